"""The job filter shared by the dashboard, the JSON API and the bulk actions."""
import functools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime

from collab import validation
from collab.db import is_sqlite
from collab.errors import ApiError
from collab.jobs import log_search
from collab.jobs.models import (EXPIRED, FAILED, INTERRUPTED, QUEUED, RETRIED, RETRYING,
                               REVOKED, RUNNING, SCHEDULED, STATES, SUCCEEDED, Job)

# The dashboard's tabs: (key, label, states).
TABS = (
    ('queued', 'Queued', (QUEUED,)),
    ('scheduled', 'Scheduled', (SCHEDULED,)),
    ('running', 'Running', (RUNNING,)),
    ('retrying', 'Retrying', (RETRYING,)),
    ('failed', 'Failed', (FAILED,)),
    ('succeeded', 'Succeeded', (SUCCEEDED,)),
    ('ended', 'Revoked / expired / interrupted / retried',
     (REVOKED, EXPIRED, INTERRUPTED, RETRIED)),
)
# Filters within a tab: (key, label, states, the tab they narrow).
SUB_TABS = (('retried', 'Retried', (RETRIED,), 'ended'),)
TAB_STATES = {key: states for key, _, states in TABS} | {
    key: states for key, _, states, _ in SUB_TABS}
TAB_OF = {key: key for key, _, _ in TABS} | {key: tab for key, _, _, tab in SUB_TABS}
MAX_QUERY = 200
# A search this long or longer also matches the jobs whose id starts with it:
# shorter prefixes match too many ids to mean one job.
ID_PREFIX_MIN = 8


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

    def conditions(self, text=True):
        """Peewee conditions for every part of the filter except the states
        (`text=False`: and except the search, for walks that add one of its parts)."""
        found = []
        if self.task:
            found.append(Job.task == self.task)
        if self.since:
            found.append(Job.enqueued_at >= self.since)
        if self.until:
            found.append(Job.enqueued_at < self.until)
        if self.q and text:
            found.append(self.text_condition())
        return found

    def text_condition(self):
        """The search: argument text, error text, or (8+ characters) an id prefix."""
        condition = self.args_condition() | self.error_condition() | self.log_condition()
        if self.id_prefix:
            condition |= self.id_prefix_condition()
        return condition

    def args_condition(self):
        return Job.args.cast('text').contains(self.fragment)

    def log_condition(self):
        """Log text: only jobs that logged have log rows (collab/jobs/log_search.py)."""
        return self.log_search.condition

    @functools.cached_property
    def log_search(self):   # it may ask the log index: once per filter, not per walk
        return log_search.LogSearch(self.fragment)

    def error_condition(self):
        return Job.error.is_null(False) & Job.error.contains(self.q)

    @property
    def id_prefix(self):
        """The search as the start of a job id, or None when too short to be one."""
        return self.q if self.q and len(self.q) >= ID_PREFIX_MIN else None

    def id_prefix_condition(self):
        if not is_sqlite():
            # Comparisons follow the database's collation there, which may not be bytewise.
            return Job.job_id.startswith(self.id_prefix)
        # A range rather than LIKE (which SQLite runs case-blind): the job_id index answers it.
        return (Job.job_id >= self.id_prefix) & (Job.job_id < self.id_prefix + '\uffff')

    def in_every_state(self):
        """This filter over every state (the tab counts), sharing what its search
        has gathered: the page's list and its counts ask the log index once."""
        wider = replace(self, states=(), tab=None)
        if self.q:
            wider.log_search = self.log_search
        return wider

    @property
    def narrows_counts(self):
        """Whether counts need the matching rows: a search or a time range."""
        return bool(self.q or self.since or self.until)

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
