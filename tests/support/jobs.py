"""Waiting for jobs: one job's ledger row reaching a state, or every job done."""
from bench.local import wait_until
from collab.db import database
from collab.jobs.instance import huey
from collab.jobs.models import Job


def job(job_id):
    """The job's ledger row, once the ledger has written what it holds (or None)."""
    huey.ledger.flush()
    return Job.get_or_none(Job.job_id == job_id)


def wait_for_state(job_id, *states, timeout=15):
    def reached():
        row = job(job_id)
        return row if row is not None and row.state in states else None
    return wait_until(reached, timeout, message=f'job {job_id} to reach {states}')


def wait_for_jobs_idle(timeout=15):
    """Until the queue is empty and no job in the ledger is still queued, scheduled or running."""
    def idle():
        huey.ledger.flush()
        busy = Job.select().where(Job.state.in_(['queued', 'running', 'retrying',
                                                 'scheduled'])).count()
        database.close()
        return huey.storage.queue_size() == 0 and busy == 0
    wait_until(idle, timeout=timeout, interval=0.05, message='the queue to drain')
