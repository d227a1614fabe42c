"""The jobs page's bulk buttons: which show for a filter, how many jobs each
would touch (from the tab counts), and the question asked before it runs."""
from dataclasses import dataclass

from collab.admin import job_actions
from collab.admin.filters import JobFilter
from collab.errors import ApiError
from collab.jobs.models import FAILED


@dataclass
class BulkButton:
    action: str         # the route's action: retry, revoke, delete
    label: str
    fields: dict        # the filter the form posts
    count: int          # matching jobs in the action's states
    at_least: bool      # the count is a lower bound (tab counts capped)
    limit: int          # the most one click acts on
    style: str = ''

    @property
    def disabled(self):
        return self.count == 0

    @property
    def confirm(self):
        """The question before the action, naming how many jobs it touches."""
        verb = self.label.split(' ')[0]
        many = f'{self.count:,}{"+" if self.at_least else ""}'
        noun = 'job' if self.count == 1 and not self.at_least else 'jobs'
        if self.count > self.limit or self.at_least and self.count >= self.limit:
            return (f'{verb} the first {self.limit:,} of {many} matching jobs? '
                    'Repeat for the rest.')
        return f'{verb} {many} matching {noun}?' + (
            ' This cannot be undone.' if self.action == 'delete' else '')


# (action, label with no state filter, label within a tab, allowed, default, limit, style)
ACTIONS = (
    ('retry', 'Retry all matching failed', 'Retry all matching', job_actions.RETRYABLE,
     (FAILED,), job_actions.BULK_LIMIT, ''),
    ('revoke', 'Revoke all matching waiting', 'Revoke all matching', job_actions.REVOCABLE,
     job_actions.REVOCABLE, job_actions.BULK_LIMIT, 'danger'),
    ('delete', 'Delete matching ended', 'Delete matching', job_actions.DELETABLE,
     job_actions.DELETABLE, job_actions.DELETE_LIMIT, 'danger'),
)


def bulk_buttons(job_filter, counts, failed_total):
    """The buttons for this filter, with `counts` (TabCounts of the filter) and
    `failed_total` (every failed job) for "Delete all failed"."""
    buttons = []
    for action, label, tab_label, allowed, default, limit, style in ACTIONS:
        try:
            states = job_actions.bulk_states(job_filter, allowed, default)
        except ApiError:
            continue    # this tab has nothing this action can act on
        buttons.append(BulkButton(action, tab_label if job_filter.states else label,
                                  job_filter.as_args(), counts.total(states), counts.capped,
                                  limit, style))
    every_failed = JobFilter(states=(FAILED,), tab='failed')
    buttons.append(BulkButton('delete', 'Delete all failed', every_failed.as_args(),
                              failed_total, False, job_actions.DELETE_LIMIT, 'danger'))
    return buttons
