"""What an admin can do to jobs: each action returns a message for people
and raises ApiError (with a 4xx) when it cannot be done."""
import logging
import time

from collab.jobs import args_index, log_search, progress, run_now
from collab.admin.queries import get_job
from collab.db import database
from collab.errors import ApiError
from collab.fields import utcnow
from collab.jobs.models import (EXPIRED, FAILED, FINAL_STATES, INTERRUPTED, QUEUED, RETRIED,
                               RETRYING, REVOKED, SCHEDULED, Job, JobAttempt)
from collab.jobs import control
from collab.jobs.engine import PoisonMessage
from collab.jobs.instance import huey
from collab.jobs.pausing import UnknownTask
from collab.transactions import writing

log = logging.getLogger('collab.admin')

RETRYABLE = (FAILED, INTERRUPTED, REVOKED, EXPIRED)
REVOCABLE = (QUEUED, SCHEDULED, RETRYING)
DELETABLE = (*FINAL_STATES, INTERRUPTED, RETRIED)
RUNNABLE_NOW = (SCHEDULED, RETRYING)
BULK_LIMIT = 1000
# A delete over a filter goes in batches of BULK_LIMIT, each its own short
# transaction, up to this many per request.
DELETE_LIMIT = 50_000


class Outcome(dict):
    """{'ok': True, 'message': ..., ...}: what the JSON API answers and the page shows."""

    def __init__(self, message, **data):
        super().__init__(ok=True, message=message, **data)


def retry_job(job_id):
    job = get_job(job_id)
    if job.state not in RETRYABLE:
        raise ApiError(409, f'only {", ".join(RETRYABLE)} jobs can be retried; '
                            f'this one is {job.state}', 'state')
    new_id = _retry(job)
    huey.ledger.flush(timeout=2)   # so the new job is on the next page the admin sees
    return Outcome(f'Retried {job.task} as job {new_id}.', job_id=new_id)


def _mark_retried(job_id, new_id):
    """The old job leaves its tab for the `retried` filter, naming the new job."""
    Job.update(state=RETRIED, retried_as=new_id).where(
        (Job.job_id == job_id) & Job.state.in_(RETRYABLE)).execute()


def _retry(job):
    if not job.message:
        raise ApiError(409, 'this job has no stored message to run again')
    try:
        new_id = control.retry_message(job.message)
    except PoisonMessage as exc:
        raise ApiError(409, f'the stored message cannot be read: {exc}') from None
    _mark_retried(job.job_id, new_id)
    return new_id


def revoke_job(job_id):
    job = get_job(job_id)
    if job.state not in REVOCABLE:
        raise ApiError(409, f'only {", ".join(REVOCABLE)} jobs can be revoked; '
                            f'this one is {job.state}', 'state')
    _revoke(job.job_id)
    return Outcome(f'Revoked job {job.job_id} ({job.task}).', job_id=job.job_id)


def _revoke(job_id):
    control.revoke(job_id)
    # The consumer records the skip when the job comes up; show it revoked now.
    Job.update(state=REVOKED, finished_at=utcnow()).where(
        (Job.job_id == job_id) & Job.state.in_(REVOCABLE)).execute()


def run_job_now(job_id):
    """Move a scheduled or retrying job from the schedule to the queue at once."""
    job = get_job(job_id)
    if job.state not in RUNNABLE_NOW:
        raise ApiError(409, f'only {", ".join(RUNNABLE_NOW)} jobs can be run now; '
                            f'this one is {job.state}', 'state')
    if not _moved_to_queue(job):
        raise ApiError(409, 'this job is no longer waiting in the schedule', 'state')
    huey.wakeup.notify()   # a consumer in this process takes it without polling
    return Outcome(f'Moved job {job.job_id} ({job.task}) to the queue: it runs next.',
                   job_id=job.job_id)


# A job with a time goes to the queue, then a consumer takes it and puts it in the
# schedule: while it is on its way, and until the ledger has the schedule's copy
# of its message, run now finds it in neither and waits, at most this long (on a
# busy machine that takes seconds: the consumer's claim, then the writer's batch).
SCHEDULE_ARRIVAL_SECONDS = 10


def _moved_to_queue(job):
    """Whether the job's message went from the schedule to the queue; its record is
    read again while waiting (the ledger keeps the schedule's copy of the message)."""
    deadline = time.monotonic() + SCHEDULE_ARRIVAL_SECONDS
    while True:
        due = _due_now(job)
        if run_now.move_to_queue(huey.storage, job.message, due):
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
        job = get_job(job.job_id)
        if job.state not in RUNNABLE_NOW:
            return False
    # Shown queued until the consumer records its start (never after it: the
    # state condition leaves a job the ledger has moved on alone).
    Job.update(state=QUEUED, scheduled_for=None, message=due).where(
        (Job.job_id == job.job_id) & Job.state.in_(RUNNABLE_NOW)).execute()
    return True


def _due_now(job):
    if not job.message:
        raise ApiError(409, 'this job has no stored message to run')
    try:
        return run_now.due_now(huey, job.message)
    except PoisonMessage as exc:
        raise ApiError(409, f'the stored message cannot be read: {exc}') from None


def delete_job(job_id):
    job = get_job(job_id)
    if job.state not in DELETABLE:
        raise ApiError(409, f'a {job.state} job cannot be deleted; revoke it first', 'state')
    with database.atomic():
        JobAttempt.delete().where(JobAttempt.job_id == job.job_id).execute()
        log_search.delete_for([job.job_id])
        progress.delete_for([job.job_id])
        args_index.delete_jobs(Job.seq == job.seq)
    return Outcome(f'Deleted the record of job {job.job_id}.', job_id=job.job_id)


def bulk_retry(job_filter):
    """Retry up to BULK_LIMIT retryable jobs matching the filter (failed ones by default)."""
    states = bulk_states(job_filter, RETRYABLE, default=(FAILED,))
    done = skipped = 0
    # Read them all first: a write while a SQLite read is still open would have to
    # upgrade a stale snapshot, and fails at once with "database is locked".
    for job in list(_matching(job_filter, states, [Job.job_id, Job.task, Job.message])):
        try:
            _retry(job)
            done += 1
        except ApiError:
            skipped += 1
    huey.ledger.flush(timeout=5)
    return Outcome(_bulk_message('Retried', done, skipped), count=done, skipped=skipped)


def bulk_revoke(job_filter):
    """Revoke up to BULK_LIMIT queued/scheduled/retrying jobs matching the filter."""
    states = bulk_states(job_filter, REVOCABLE, default=REVOCABLE)
    jobs = list(_matching(job_filter, states, [Job.job_id]))
    for job in jobs:
        _revoke(job.job_id)
    return Outcome(_bulk_message('Revoked', len(jobs), 0), count=len(jobs), skipped=0)


def delete_matching(job_filter):
    """Delete the records of the ended jobs matching the filter (all ended states by
    default), BULK_LIMIT per transaction, up to DELETE_LIMIT."""
    states = bulk_states(job_filter, DELETABLE, default=DELETABLE)
    deleted = 0
    while deleted < DELETE_LIMIT:
        batch = _delete_batch(job_filter, states)
        deleted += batch
        if batch < BULK_LIMIT:
            break
    text = f'Deleted the records of {deleted} job{"" if deleted == 1 else "s"}'
    if deleted >= DELETE_LIMIT:
        text += f' (at most {DELETE_LIMIT:,} at a time: repeat for the rest)'
    return Outcome(text + '.', count=deleted)


def _delete_batch(job_filter, states):
    # Reads, then deletes: SQLite's write lock taken at BEGIN (a deferred transaction
    # fails at once as "locked" when another connection wrote after its read).
    with writing():
        rows = list(_matching(job_filter, states, [Job.seq, Job.job_id]))
        if not rows:
            return 0
        ids = [job.job_id for job in rows]
        JobAttempt.delete().where(JobAttempt.job_id.in_(ids)).execute()
        log_search.delete_for(ids)
        progress.delete_for(ids)
        return args_index.delete_jobs(Job.seq.in_([job.seq for job in rows]))


def bulk_states(job_filter, allowed, default):
    """The states a bulk action over this filter acts on. A tab groups states: the
    action takes those of them it can act on (Retry on the ended tab leaves the
    retried jobs alone); states named one by one must all be ones it can."""
    states = job_filter.states or default
    if job_filter.tab:
        states = tuple(s for s in states if s in allowed)
    if not states or any(s not in allowed for s in states):
        raise ApiError(400, f'state must be one of {", ".join(allowed)} for this action', 'state')
    return states


def _matching(job_filter, states, fields):
    query = Job.select(*fields).where(Job.state.in_(states))
    for condition in job_filter.conditions():
        query = query.where(condition)
    return query.order_by(Job.seq).limit(BULK_LIMIT)


def _bulk_message(verb, done, skipped):
    text = f'{verb} {done} job{"" if done == 1 else "s"}'
    if skipped:
        text += f'; {skipped} had no readable stored message'
    if done + skipped >= BULK_LIMIT:
        text += f' (at most {BULK_LIMIT} at a time: repeat for the rest)'
    return text + '.'


# ---------------------------------------------------------------- periodic tasks

def run_periodic(name):
    job_id = _periodic_action(control.run_now, name)
    huey.ledger.flush(timeout=2)
    return Outcome(f'Started {name} now as job {job_id}.', job_id=job_id)


def pause_periodic(name):
    _periodic_action(control.pause, name)
    return Outcome(f'Paused {name}: the scheduler skips it until it is resumed.')


def resume_periodic(name):
    _periodic_action(control.resume, name)
    return Outcome(f'Resumed {name}.')


def _periodic_action(action, name):
    try:
        return action(name)
    except UnknownTask:
        raise ApiError(404, 'no periodic task of that name', 'task') from None
