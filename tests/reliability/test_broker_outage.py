"""Redis stopped while the API takes writes: no 5xx, nothing lost, nothing doubled."""
import time
from collections import Counter

import pytest

from collab.db import database, open_database
from collab.job_models import Job, OutboxMessage
from collab.models import Activity
from tests.support import LiveServer, http_json, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

WRITES = 120
OUTAGE_SECONDS = 10


def call(server, method, path, body=None, token=None):
    return http_json(server.url, method, path, body, token)


def progress():
    """What happened to the jobs so far, for a failure message."""
    with database.connection_context():
        states = Counter(job.state for job in Job.select(Job.state))
        return (f'{Activity.select().count()} activity entries, jobs {dict(states)}, '
                f'{OutboxMessage.select().count()} still in the outbox')


def test_writes_during_a_redis_outage_are_kept_and_run_once(tmp_path, redis_url, redis_server):
    server = LiveServer(tmp_path / 'data', env={'REDIS_URL': redis_url}).start()
    try:
        call(server, 'POST', '/api/auth/register',
             {'email': 'ann@example.com', 'name': 'Ann', 'password': 'correct horse'})
        token = call(server, 'POST', '/api/auth/login',
                     {'email': 'ann@example.com', 'password': 'correct horse'})[1]['token']

        redis_server.stop()
        started = time.monotonic()
        statuses = []
        for n in range(WRITES):
            statuses.append(call(server, 'POST', '/api/workspaces', {'name': f'ws {n}'}, token)[0])
            time.sleep(max(0, started + OUTAGE_SECONDS * (n + 1) / WRITES - time.monotonic()))
        health = call(server, 'GET', '/healthz')
        redis_server.start()

        assert statuses == [201] * WRITES
        assert health[0] == 503 and health[1]['queue'] == 'down'
        open_database(f'sqlite:///{tmp_path / "data" / "collab.db"}')

        def all_logged():
            with database.connection_context():
                return Activity.select().count() >= WRITES
        try:
            wait_until(all_logged, timeout=90, interval=0.5, message='every activity entry')
        except AssertionError:
            raise AssertionError(f'{progress()}\n{server.output()[-3000:]}') from None
        time.sleep(1)   # room for a duplicate to show up, if there were one
        with database.connection_context():
            assert Activity.select().count() == WRITES
            names = sorted(a.metadata['name'] for a in Activity.select())
            assert names == sorted(f'ws {n}' for n in range(WRITES))   # each once
            jobs = Job.select().where(Job.task == 'activity.log_activity')
            assert jobs.count() == WRITES and {j.state for j in jobs} == {'succeeded'}
        assert call(server, 'GET', '/healthz')[0] == 200
    finally:
        server.stop()
        if not redis_server.running:
            redis_server.start()
