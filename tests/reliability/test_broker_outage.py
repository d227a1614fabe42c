"""Redis stopped while the API takes writes: no 5xx, nothing lost, nothing doubled."""
import json
import sqlite3
import time
from collections import Counter

import pytest

from tests.support import LiveServer, http_json, sign_up, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

WRITES = 120
OUTAGE_SECONDS = 10


def call(server, method, path, body=None, token=None):
    return http_json(server.url, method, path, body, token)


def query(server, sql):
    """Rows from the server's own database, read with a connection of this test's own
    (binding this process's models to it would let this process's outbox act on it)."""
    with sqlite3.connect(server.data_dir / 'collab.db', timeout=10) as db:
        return db.execute(sql).fetchall()


def progress(server):
    """What happened to the jobs so far, for a failure message."""
    states = Counter(state for state, in query(server, 'SELECT state FROM job'))
    outbox, = query(server, 'SELECT COUNT(*) FROM outboxmessage')[0]
    activity, = query(server, 'SELECT COUNT(*) FROM activity')[0]
    return f'{activity} activity entries, jobs {dict(states)}, {outbox} still in the outbox'


def test_writes_during_a_redis_outage_are_kept_and_run_once(tmp_path, redis_url, redis_server):
    server = LiveServer(tmp_path / 'data', env={'REDIS_URL': redis_url}).start()
    try:
        token = sign_up(server.url, 'ann@example.com', 'Ann').token

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

        def all_logged():
            return query(server, 'SELECT COUNT(*) FROM activity')[0][0] >= WRITES
        try:
            wait_until(all_logged, timeout=90, interval=0.5, message='every activity entry')
        except AssertionError:
            raise AssertionError(f'{progress(server)}\n{server.output()[-3000:]}') from None
        time.sleep(1)   # room for a duplicate to show up, if there were one
        names = sorted(json.loads(metadata)['name']
                       for metadata, in query(server, 'SELECT metadata FROM activity'))
        assert names == sorted(f'ws {n}' for n in range(WRITES))   # each exactly once
        jobs = query(server, "SELECT state FROM job WHERE task = 'activity.log_activity'")
        assert len(jobs) == WRITES and {state for state, in jobs} == {'succeeded'}
        assert call(server, 'GET', '/healthz')[0] == 200
    finally:
        server.stop()
        if not redis_server.running:
            redis_server.start()
