"""Pruning of job records by age and count (SPEC §5 defaults: 14 days, 1,000,000 rows, failed 30 days)."""
import logging
import time
from datetime import timedelta

from peewee import fn

from collab import ratelimit
from collab.admin import search_index
from collab.fields import utcnow
from collab.job_models import FAILED, DeadLetter, Job, JobAttempt
from collab.transactions import writing

log = logging.getLogger('collab.ledger')


def prune_jobs(settings, now=None):
    now = now or utcnow()
    keep_until = now - timedelta(days=settings.job_retention_days)
    keep_failed_until = now - timedelta(days=settings.failed_retention_days)
    old = _delete_jobs(
        ((Job.state != FAILED) & (Job.finished_at < keep_until))
        | ((Job.state == FAILED) & (Job.finished_at < keep_failed_until)))
    newest = Job.select(fn.MAX(Job.seq)).scalar() or 0
    excess = _delete_jobs(Job.seq <= newest - settings.job_retention_rows)
    JobAttempt.delete().where(JobAttempt.started_at < keep_failed_until).execute()
    DeadLetter.delete().where(DeadLetter.received_at < keep_failed_until).execute()
    ratelimit.forget_before(time.time())
    if old or excess:
        log.info('pruned %d old and %d excess job records', old, excess)
    return old + excess


def _delete_jobs(condition):
    """Delete the jobs matching `condition`, and their entries in the admin's
    args index with them (collab/admin/search_index.py)."""
    with writing():
        return search_index.delete_jobs(condition)
