"""Huey's own habits: `huey_consumer tasks.huey` runs Collab's jobs as `run.py worker`
does, and a script that imports `tasks` and calls a task enqueues it.

Crash recovery and the graceful stop under `huey_consumer` are in
test_crash_recovery.py and test_graceful_stop.py (parametrized over both commands).
"""
import os
import subprocess
import sys

import pytest

from collab.jobs.models import ConsumerProcess, Job, live_consumers
from collab.jobs.instance import huey
from collab.jobs.names import task_name
from tests.sample_tasks import succeed
from tests.support import ROOT, Team, wait_for_state, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.env(TASK_MODULES='tests.sample_tasks'),
              pytest.mark.usefixtures('queue_backend')]   # on SQLite and Redis

stock_consumer = pytest.mark.parametrize('worker_command', ['huey_consumer'], indirect=True)


def run_script(env, code):
    """Python code in a fresh process with only the environment to configure it."""
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@stock_consumer
def test_a_job_from_a_script_runs_on_the_stock_consumer(app, workers, worker_env):
    worker = workers()
    wait_until(lambda: live_consumers().count() == 1, timeout=20,
               message=f'the consumer to register ({worker.output()[-2000:]})')
    job_id = run_script({**os.environ, **worker_env},
                        'import tasks\nfrom tests.sample_tasks import succeed\nprint(succeed(21).id)')

    row = wait_for_state(job_id, 'succeeded', timeout=20)
    consumer = ConsumerProcess.get()
    assert row.consumer == consumer.id
    assert consumer.workers == int(worker_env['HUEY_WORKERS'])   # its -w
    assert row.to_dict()['args'] == [21]
    assert row.enqueued_at <= row.started_at   # recorded as queued by the script itself


@stock_consumer
def test_a_job_from_the_web_runs_on_the_stock_consumer(app, client, workers):
    worker = workers()
    team = Team(client)
    team.document(title='Plan', content='Grow beans')   # the save enqueues through the outbox

    def feed():   # the team's own setup logged activity too: wait for this save's
        body = client.get(f'/api/workspaces/{team.ws_id}/activity', headers=team.ann).json
        return [entry['action'] for entry in body['activity']]
    wait_until(lambda: 'document.created' in feed(), timeout=20,
               message=f'the activity job of the save to run ({worker.output()[-2000:]})')
    # Run by the one consumer there is: Huey's huey_consumer process.
    [consumer] = ConsumerProcess.select()
    assert consumer.pid == worker.process.pid


@stock_consumer
def test_the_stock_consumer_refuses_an_unsigned_message(app, workers):
    from huey import RedisHuey, SqliteHuey
    worker = workers()
    settings = huey.settings
    stranger = (RedisHuey('collab', url=settings.redis_url) if settings.redis_url
                else SqliteHuey('collab', filename=str(settings.queue_path)))
    unsigned = stranger.task()(succeed.func)   # the same task name, on the same queue
    unsigned(1)
    wait_until(lambda: 'refused a queue message' in worker.output(), timeout=20,
               message=f'the consumer to refuse it ({worker.output()[-2000:]})')
    # Its task's jobs only: a periodic test task may run meanwhile, as it should.
    assert not Job.select().where((Job.task == task_name(succeed.task_class))
                                  & (Job.state == 'succeeded')).exists()
