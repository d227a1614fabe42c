"""Housekeeping: the admin's job search index brought up to date every minute
(collab/jobs/args_index.py), and old sign-in rate-limit windows dropped hourly.

The index is caught up here rather than in the ledger, so recording a job does
not pay for indexing it: a search scans the jobs recorded since the last run,
and this run indexes them.
"""
import time

from huey import crontab

from collab import ratelimit
from collab.jobs import args_index, log_search
from collab.jobs.instance import huey

# A run stops after this much work; the next one resumes where it stopped
# (after an upgrade, the first runs index the existing jobs a slice at a time).
RUN_SECONDS = 20


# Not exactly-once: a run works up to RUN_SECONDS, too long to hold a write
# transaction, and indexing a job twice leaves the same entries.
@huey.periodic_once(crontab(minute='*'))
def index_job_args():
    """The search indexes of the job ledger: arguments, then logs."""
    started = time.monotonic()
    indexed = args_index.catch_up(seconds=RUN_SECONDS)
    return indexed + log_search.INDEX.catch_up(
        seconds=max(RUN_SECONDS - (time.monotonic() - started), 1))


@huey.periodic_once(crontab(minute='17'), exactly_once=True)
def forget_old_rate_limits():
    """Rate-limit windows are only read while current; the ones an hour old go."""
    return ratelimit.forget_before(time.time())
