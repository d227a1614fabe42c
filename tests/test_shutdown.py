"""Stopping with work in flight: tasks inside SHUTDOWN_GRACE finish, longer ones
are recorded as interrupted. In-process with ConsumerRunner, and in a real
`python run.py` that also knows the test tasks (tests.sample_tasks)."""
import signal
import time

import pytest

import tasks
from collab.startup import prepare
from collab.db import close_connection
from collab.jobs.models import INTERRUPTED, RUNNING, SUCCEEDED, Job, JobAttempt
from collab.settings import Settings
from collab.jobs.instance import huey
from collab.jobs.runner import ConsumerRunner
from tests import sample_tasks
from tests.support import LiveServer, wait_until

pytestmark = pytest.mark.slow


def job_state(job_id):
    job = Job.get_or_none(Job.job_id == job_id)
    return job.state if job else None


# ------------------------------------------------------------------ in-process

@pytest.fixture
def runner(app, settings):
    runner = ConsumerRunner(settings, embedded=True, workers=2)
    runner.start()
    yield runner
    runner.stop()   # a second stop is harmless


def timed_stop(runner):
    """Stop the consumer; how many seconds the stop took."""
    started = time.monotonic()
    runner.stop()
    return time.monotonic() - started


def test_an_idle_consumer_stops_without_waiting_out_its_poll(app):
    consumer = huey.create_consumer(embedded=True, workers=2, initial_delay=2.0)
    consumer.start()
    time.sleep(0.3)   # both workers found the queue empty and sleep for 2 s
    started = time.monotonic()
    consumer.shutdown()
    assert time.monotonic() - started < 1.0


@pytest.mark.env(SHUTDOWN_GRACE='3')
def test_stop_lets_a_task_shorter_than_the_grace_finish(runner):
    result = sample_tasks.sleep_for(0.5, key='short')
    wait_until(lambda: sample_tasks.calls['short'] == ['started'], message='the task to start')

    elapsed = timed_stop(runner)

    assert sample_tasks.calls['short'] == ['started', 'finished']
    assert elapsed < 3
    huey.ledger.flush()
    assert job_state(result.id) == SUCCEEDED


@pytest.mark.env(SHUTDOWN_GRACE='0.3')
def test_stop_records_a_task_longer_than_the_grace_as_interrupted(runner):
    result = sample_tasks.sleep_for(1.5, key='long')
    wait_until(lambda: sample_tasks.calls['long'] == ['started'], message='the task to start')

    elapsed = timed_stop(runner)

    assert 0.3 <= elapsed < 1.2          # waited the grace, not the task
    assert sample_tasks.calls['long'] == ['started']
    huey.ledger.flush()
    job = Job.get(Job.job_id == result.id)
    assert job.state == INTERRUPTED
    assert job.finished_at is not None
    attempt = JobAttempt.get(JobAttempt.job_id == result.id)
    assert attempt.outcome == 'interrupted'
    # In a real process the thread dies with it; here, let it end before the next test.
    wait_until(lambda: sample_tasks.calls['long'][-1] == 'finished', timeout=5)


# ------------------------------------------------------------------ a real run.py

@pytest.fixture
def server_with_sample_tasks(tmp_path):
    """Start `python run.py` knowing tests.sample_tasks; this process enqueues into its queue."""
    servers = []

    def start(grace):
        data_dir = tmp_path / 'data'
        server = LiveServer(data_dir, env={'SHUTDOWN_GRACE': str(grace)},
                            modules=('tests.sample_tasks',)).start()
        servers.append(server)
        # Same DATA_DIR and key: enqueueing here is what a `web` process does.
        settings = Settings.from_mapping({'DATA_DIR': str(data_dir),
                                          'SECRET_KEY': server.env['SECRET_KEY']})
        prepare(settings)
        tasks.configure(settings)
        return server

    yield start
    for server in servers:
        server.stop(signal.SIGKILL, group=True)
    huey.ledger.flush()
    huey.storage.close()
    close_connection()


def start_slow_job(seconds):
    result = sample_tasks.sleep_for(seconds, key='subprocess')
    huey.ledger.flush()
    wait_until(lambda: job_state(result.id) == RUNNING, timeout=10,
               message='the server to start the job')
    return result.id


def test_sigterm_waits_for_a_running_job_within_the_grace(server_with_sample_tasks):
    server = server_with_sample_tasks(grace=5)
    job_id = start_slow_job(1.0)

    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0, server.output()
    elapsed = time.monotonic() - started

    assert elapsed < 5
    assert job_state(job_id) == SUCCEEDED
    assert 'Traceback' not in server.output()


def test_sigterm_records_a_job_longer_than_the_grace_as_interrupted(server_with_sample_tasks):
    server = server_with_sample_tasks(grace=1)
    job_id = start_slow_job(60)

    started = time.monotonic()
    assert server.stop(signal.SIGTERM) == 0, server.output()
    elapsed = time.monotonic() - started

    assert elapsed < 6                   # the grace, not the minute the job wanted
    assert job_state(job_id) == INTERRUPTED
    assert 'Traceback' not in server.output()


def test_ctrl_c_in_a_terminal_waits_for_a_running_job(server_with_sample_tasks):
    """Ctrl-C signals the whole process group; the job still gets its grace."""
    server = server_with_sample_tasks(grace=5)
    job_id = start_slow_job(1.0)

    assert server.stop(signal.SIGINT, group=True) == 0, server.output()

    assert job_state(job_id) == SUCCEEDED
    assert 'Traceback' not in server.output()
