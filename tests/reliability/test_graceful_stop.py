"""SIGTERM during a long task: short tasks finish within the grace period, the rest are recovered."""
import signal

import pytest

from collab.jobs.models import Job
from collab.jobs.instance import huey
from tests.sample_tasks import leave_mark
from tests.support import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.env(TASK_MODULES='tests.sample_tasks')]


def state(job_id):
    huey.ledger.flush()
    row = Job.get_or_none(Job.job_id == job_id)
    return row.state if row else None


@pytest.mark.parametrize('worker_command', ['run.py worker', 'huey_consumer'], indirect=True)
def test_sigterm_lets_short_tasks_finish_and_recovers_long_ones(app, workers, worker_env, tmp_path):
    worker_env['SHUTDOWN_GRACE'] = '2'
    marks = tmp_path / 'marks'
    marks.mkdir()
    first = workers()
    short = leave_mark(str(marks), 'short', 1.0).id
    long = leave_mark(str(marks), 'long', 6.0).id
    wait_until(lambda: state(short) == 'running' and state(long) == 'running', timeout=20,
               message=f'both tasks to start ({first.output()[-2000:]})')

    assert first.stop(signal.SIGTERM, timeout=20) == 0
    assert state(short) == 'succeeded' and (marks / 'short').exists()
    assert state(long) == 'interrupted' and not (marks / 'long').exists()

    workers()
    wait_until(lambda: state(long) == 'succeeded', timeout=30, interval=0.3,
               message='the interrupted task to be recovered and finish')
    assert (marks / 'long').exists()
    row = Job.get(Job.job_id == long)
    assert row.attempts == 2
