"""The dashboard's tab counts for a filter.

Without a search or a time range they are the kept counts per task and state
(collab/jobs/counts.py): no job row is read. With one, they count the matching
jobs themselves, found the way the list finds them (the same indexes), up to
COUNT_CAP: past it a count says "at least" (`capped`), so a page never reads
more than that many rows to count.
"""
from collections import Counter
from dataclasses import dataclass, replace

from collab.admin import queries
from collab.jobs.counts import state_counts
from collab.jobs.models import Job

COUNT_CAP = 10_000


@dataclass
class TabCounts:
    counts: dict      # {state: n}
    capped: bool      # more than COUNT_CAP jobs match: each n is a lower bound

    def total(self, states):
        return sum(self.counts.get(state, 0) for state in states)

    def to_dict(self):
        return {'counts': self.counts, 'capped': self.capped}


def tab_counts(job_filter):
    """The counts per state of the jobs passing the filter, whatever its states."""
    if not job_filter.narrows_counts:
        return TabCounts(state_counts(job_filter.task), False)
    every_state = replace(job_filter, states=(), tab=None)
    rows, _ = queries.list_jobs(every_state, limit=COUNT_CAP + 1,
                                fields=[Job.seq, Job.task, Job.state])
    counted = Counter(job.state for job in rows[:COUNT_CAP])
    return TabCounts(dict(counted), len(rows) > COUNT_CAP)
