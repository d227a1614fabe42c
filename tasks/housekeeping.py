"""The admin's job search index, brought up to date every minute (collab/jobs/args_index.py).

Here rather than in the ledger, so recording a job does not pay for indexing it:
a search scans the jobs recorded since the last run, and this run indexes them.
"""
from huey import crontab

from collab.jobs import args_index
from collab.jobs.instance import huey

# A run stops after this much work; the next one resumes where it stopped
# (after an upgrade, the first runs index the existing jobs a slice at a time).
RUN_SECONDS = 20


@huey.periodic_once(crontab(minute='*'))
def index_job_args():
    return args_index.catch_up(seconds=RUN_SECONDS)
