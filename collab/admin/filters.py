"""The job filter shared by the dashboard, the JSON API and the bulk actions."""
import json
from dataclasses import dataclass, field
from datetime import datetime

from collab import validation
from collab.errors import ApiError
from collab.jobs.models import (EXPIRED, FAILED, INTERRUPTED, QUEUED, RETRYING, REVOKED,
                               RUNNING, SCHEDULED, STATES, SUCCEEDED, Job)

# The dashboard's tabs: (key, label, states).
TABS = (
    ('queued', 'Queued', (QUEUED,)),
    ('scheduled', 'Scheduled', (SCHEDULED,)),
    ('running', 'Running', (RUNNING,)),
    ('retrying', 'Retrying', (RETRYING,)),
    ('failed', 'Failed', (FAILED,)),
    ('succeeded', 'Succeeded', (SUCCEEDED,)),
    ('ended', 'Revoked / expired / interrupted', (REVOKED, EXPIRED, INTERRUPTED)),
)
TAB_STATES = {key: states for key, _, states in TABS}
MAX_QUERY = 200


@dataclass
class JobFilter:
    states: tuple = ()
    task: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    tab: str | None = field(default=None, compare=False)

    @classmethod
    def from_mapping(cls, data):
        """From query-string or JSON values; a 400 names the bad field."""
        state = _text(data, 'state', 100)
        return cls(states=_states(state), task=_text(data, 'task', 100),
                   q=_text(data, 'q', MAX_QUERY), since=_moment(data, 'since'),
                   until=_moment(data, 'until'),
                   tab=state if state in TAB_STATES else None)

    def conditions(self):
        """Peewee conditions for every part of the filter except the states."""
        found = []
        if self.task:
            found.append(Job.task == self.task)
        if self.since:
            found.append(Job.enqueued_at >= self.since)
        if self.until:
            found.append(Job.enqueued_at < self.until)
        if self.q:
            found.append(Job.args.cast('text').contains(self.fragment))
        return found

    @property
    def fragment(self):
        """The search text as the args column holds it, or None."""
        return _json_fragment(self.q) if self.q else None

    def as_args(self, **changes):
        """Query-string values for links that keep this filter."""
        values = {'state': self.tab or ','.join(self.states), 'task': self.task,
                  'q': self.q, 'since': _iso_minutes(self.since),
                  'until': _iso_minutes(self.until)}
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def _text(data, name, max_length):
    return validation.text(data, name, max_length, required=False, min_length=0) or None


def _states(value):
    if not value:
        return ()
    if value in TAB_STATES:
        return TAB_STATES[value]
    states = tuple(s.strip() for s in value.split(',') if s.strip())
    for state in states:
        if state not in STATES:
            raise ApiError(400, f'state must be one of {", ".join(STATES)}', 'state')
    return states


def _moment(data, name):
    """ISO 8601 (a form's datetime-local works too); stored as naive UTC."""
    return validation.moment(data, name)


def _iso_minutes(moment):
    return moment.strftime('%Y-%m-%dT%H:%M') if moment else None


def _json_fragment(text):
    """The search text as it appears inside the stored JSON (quotes, non-ASCII escaped)."""
    return json.dumps(text)[1:-1]
