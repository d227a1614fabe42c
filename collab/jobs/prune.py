"""Pruning of job records by age and count.

The defaults: 14 days, 1,000,000 rows, and 30 days for failed jobs.

Rows go in chunks, one short write transaction each: on SQLite a write
transaction locks out every other writer, and a prune of a big backlog (after
an upgrade, or a lowered limit) in one transaction would hold the ledger and
the web requests past their busy timeout.
"""
import logging
import time
from datetime import timedelta

from peewee import fn

from collab.jobs import args_index, log_search, progress
from collab.fields import utcnow
from collab.jobs.models import FAILED, DeadLetter, Job, JobAttempt, JobEffect
from collab.transactions import writing

log = logging.getLogger('collab.ledger')

CHUNK_ROWS = 5000   # per write transaction: 20–40 ms of the write lock


def prune_jobs(settings, now=None):
    now = now or utcnow()
    keep_until = now - timedelta(days=settings.job_retention_days)
    keep_failed_until = now - timedelta(days=settings.failed_retention_days)
    old = _delete_jobs(
        ((Job.state != FAILED) & (Job.finished_at < keep_until))
        | ((Job.state == FAILED) & (Job.finished_at < keep_failed_until)))
    newest = Job.select(fn.MAX(Job.seq)).scalar() or 0
    excess = _delete_jobs(Job.seq <= newest - settings.job_retention_rows)
    _delete_rows(JobAttempt, JobAttempt.id, JobAttempt.started_at < keep_failed_until)
    _delete_rows(DeadLetter, DeadLetter.id, DeadLetter.received_at < keep_failed_until)
    # An effect record must outlive every copy of its job's message: by then the
    # job is terminal and acknowledged, and its ledger row is going too.
    _delete_rows(JobEffect, JobEffect.job_id, JobEffect.committed_at < min(keep_until, keep_failed_until))
    if old or excess:
        log.info('pruned %d old and %d excess job records', old, excess)
    return old + excess


def _delete_jobs(condition):
    """Delete the jobs matching `condition`, and their entries in the admin's
    args index with them (collab/admin/args_index.py)."""
    return _in_chunks(lambda: _delete_chunk_of_jobs(Job.seq.in_(_chunk(Job.seq, condition))))


def _delete_chunk_of_jobs(chosen):
    # Their logs and progress first, while their rows still say which they are.
    job_ids = Job.select(Job.job_id).where(chosen)
    log_search.delete_for(job_ids)
    progress.delete_for(job_ids)
    return args_index.delete_jobs(chosen)


def _delete_rows(model, key, condition):
    return _in_chunks(lambda: model.delete().where(key.in_(_chunk(key, condition))).execute())


def _chunk(key, condition):
    return key.model.select(key).where(condition).limit(CHUNK_ROWS)


def _in_chunks(delete_chunk):
    """Run `delete_chunk` (deletes at most CHUNK_ROWS rows, returns how many),
    each time in a write transaction of its own, until a chunk comes back short.

    After each chunk it pauses as long as the chunk took: a writer waiting for
    the lock polls with growing sleeps (SQLite's busy handler), and would miss
    a lock that is taken again at once."""
    total = 0
    while True:
        began = time.monotonic()
        with writing():
            deleted = delete_chunk()
        total += deleted
        if deleted < CHUNK_ROWS:
            return total
        time.sleep(time.monotonic() - began)
