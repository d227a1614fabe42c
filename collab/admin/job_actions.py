"""What an admin can do to jobs: each action returns a message for people
and raises ApiError (with a 4xx) when it cannot be done."""
import logging

from collab.jobs import args_index
from collab.admin.queries import get_job
from collab.db import database
from collab.errors import ApiError
from collab.fields import utcnow
from collab.jobs.models import (EXPIRED, FAILED, FINAL_STATES, INTERRUPTED, QUEUED,
                               RETRYING, REVOKED, SCHEDULED, Job, JobAttempt)
from collab.jobs import control
from collab.jobs.engine import PoisonMessage
from collab.jobs.instance import huey
from collab.jobs.pausing import UnknownTask

log = logging.getLogger('collab.admin')

RETRYABLE = (FAILED, INTERRUPTED, REVOKED, EXPIRED)
REVOCABLE = (QUEUED, SCHEDULED, RETRYING)
DELETABLE = (*FINAL_STATES, INTERRUPTED)
BULK_LIMIT = 1000


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


def _retry(job):
    if not job.message:
        raise ApiError(409, 'this job has no stored message to run again')
    try:
        return control.retry_message(job.message)
    except PoisonMessage as exc:
        raise ApiError(409, f'the stored message cannot be read: {exc}') from None


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


def delete_job(job_id):
    job = get_job(job_id)
    if job.state not in DELETABLE:
        raise ApiError(409, f'a {job.state} job cannot be deleted; revoke it first', 'state')
    with database.atomic():
        JobAttempt.delete().where(JobAttempt.job_id == job.job_id).execute()
        args_index.delete_jobs(Job.seq == job.seq)
    return Outcome(f'Deleted the record of job {job.job_id}.', job_id=job.job_id)


def bulk_retry(job_filter):
    """Retry up to BULK_LIMIT retryable jobs matching the filter (failed ones by default)."""
    states = _bulk_states(job_filter, RETRYABLE, default=(FAILED,))
    done = skipped = 0
    for job in _matching(job_filter, states, [Job.job_id, Job.task, Job.message]):
        try:
            _retry(job)
            done += 1
        except ApiError:
            skipped += 1
    huey.ledger.flush(timeout=5)
    return Outcome(_bulk_message('Retried', done, skipped), count=done, skipped=skipped)


def bulk_revoke(job_filter):
    """Revoke up to BULK_LIMIT queued/scheduled/retrying jobs matching the filter."""
    states = _bulk_states(job_filter, REVOCABLE, default=REVOCABLE)
    jobs = list(_matching(job_filter, states, [Job.job_id]))
    for job in jobs:
        _revoke(job.job_id)
    return Outcome(_bulk_message('Revoked', len(jobs), 0), count=len(jobs), skipped=0)


def _bulk_states(job_filter, allowed, default):
    states = job_filter.states or default
    wrong = [s for s in states if s not in allowed]
    if wrong:
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
