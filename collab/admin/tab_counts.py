"""The dashboard's tab counts for a filter.

Without a search or a time range they are the kept counts per task and state
(collab/jobs/counts.py): no job row is read. With one, they count the matching
jobs themselves, found the way the list finds them (the same indexes), up to
COUNT_CAP: past it a count says "at least" (`capped`), so a page never reads
more than that many rows to count. Those rows are the newest matches: where
they hold a page's first page whole, the page is read from them
(`first_page`) rather than searched again.
"""
from collections import Counter
from dataclasses import dataclass, field

from collab.admin import queries
from collab.jobs.counts import state_counts
from collab.jobs.models import Job

COUNT_CAP = 100


@dataclass
class TabCounts:
    counts: dict      # {state: n}
    capped: bool      # more than COUNT_CAP jobs match: each n is a lower bound
    newest: list = field(default_factory=list)   # the jobs counted, newest first (a search's)

    def total(self, states):
        return sum(self.counts.get(state, 0) for state in states)

    def to_dict(self):
        return {'counts': self.counts, 'capped': self.capped}


def tab_counts(job_filter):
    """The counts per state of the jobs passing the filter, whatever its states."""
    if not job_filter.narrows_counts:
        return TabCounts(state_counts(job_filter.task), False)
    every_state = job_filter.in_every_state()
    rows, _ = queries.list_jobs(every_state, limit=COUNT_CAP + 1,
                                fields=[Job.seq, Job.task, Job.state])
    counted = Counter(job.state for job in rows[:COUNT_CAP])
    return TabCounts(dict(counted), len(rows) > COUNT_CAP, rows)


def first_page(job_filter, counts, limit):
    """(jobs, next_cursor) of the filter's first page, from the jobs its counts
    found, or None when they may not hold it whole. They are the newest matches
    in every state: every match in the filter's states newer than the last of
    them is among them."""
    states = job_filter.states
    found = [job for job in counts.newest if not states or job.state in states]
    if not found or (counts.capped and len(found) <= limit):
        return None
    page = [job.seq for job in found[:limit + 1]]
    rows = {job.seq: job for job in Job.select(*queries.LIST_FIELDS).where(Job.seq.in_(page))}
    jobs = [rows[seq] for seq in page if seq in rows]   # one deleted meanwhile is left out
    return jobs[:limit], (jobs[limit - 1].seq if len(jobs) > limit else None)
