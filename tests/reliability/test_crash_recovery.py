"""SIGKILL a worker with jobs in flight: a new worker finishes every one, effects once."""
import pytest

from collab.jobs.models import Job, JobAttempt
from collab.jobs.instance import huey
from tests.sample_tasks import leave_mark
from tests.support import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.env(TASK_MODULES='tests.sample_tasks')]

JOBS = 240


@pytest.mark.parametrize('worker_command', ['run.py worker', 'huey_consumer'], indirect=True)
def test_killed_worker_loses_nothing(app, queue_backend, workers, tmp_path):
    marks = tmp_path / 'marks'
    marks.mkdir()
    first = workers()
    ids = [leave_mark(str(marks), f'mark-{n}', 0.3).id for n in range(JOBS)]
    wait_until(lambda: len(list(marks.iterdir())) >= 20, timeout=30,
               message=f'the first worker to start work ({first.output()[-2000:]})')
    first.kill()
    done_before_kill = len(list(marks.iterdir()))
    assert done_before_kill < JOBS, 'the kill came too late to test anything'

    second = workers()

    def all_succeeded():
        huey.ledger.flush()
        return Job.select().where(Job.job_id.in_(ids), Job.state == 'succeeded').count() == JOBS
    wait_until(all_succeeded, timeout=120, interval=0.5,
               message=f'every job to succeed ({second.output()[-3000:]})')

    assert sorted(p.name for p in marks.iterdir()) == sorted(f'mark-{n}' for n in range(JOBS))
    assert Job.select().where(Job.job_id.in_(ids)).count() == JOBS   # one record per job
    interrupted = JobAttempt.select().where(JobAttempt.job_id.in_(ids),
                                            JobAttempt.outcome == 'interrupted').count()
    assert interrupted >= 1, 'no job was running when the worker was killed'
