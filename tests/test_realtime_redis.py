"""Across processes: a task run by `run.py worker` reaches a socket of `run.py web` through Redis."""
import json
import os
import subprocess
import sys
import urllib.request

import pytest

from tests.support import ROOT, Listener, LiveServer, garden_club, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def web_and_worker(tmp_path, redis_url):
    data_dir = tmp_path / 'shared-data'
    web = LiveServer(data_dir, env={'REDIS_URL': redis_url}, command=('web',))
    web.start()
    worker_log = open(tmp_path / 'worker.log', 'wb')
    worker = subprocess.Popen([sys.executable, 'run.py', 'worker'], cwd=ROOT,
                              env={**web.env}, stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        health = lambda: json.loads(urllib.request.urlopen(web.url + '/healthz', timeout=2).read())
        wait_until(lambda: health()['consumers'] >= 1, timeout=30, interval=0.2,
                   message='the worker to heartbeat')
        yield web, worker
    finally:
        worker.terminate()
        worker.wait(30)
        worker_log.close()
        web.stop()


def test_notifications_from_a_worker_process_reach_a_web_process_socket(web_and_worker):
    web, worker = web_and_worker
    ann, bob, workspace_id = garden_club(web.url)
    listener = Listener(web.url, bob.token)

    ann.call('POST', f"/api/workspaces/{workspace_id}/documents",
             {'title': 'Seeds', 'content': 'tomatoes'})
    note = listener.wait_for(lambda m: m['type'] == 'notification'
                             and m['data']['type'] == 'document.created', 'the live notification')
    assert note['data']['title'] == 'Ann created “Seeds”'

    _run_digest_in_the_worker(web, workspace_id)
    digest = listener.wait_for(lambda m: m['type'] == 'notification'
                               and m['data']['type'] == 'digest', 'the digest', timeout=15)
    assert digest['data']['data']['workspace'] == 'Garden club'
    # Only the worker consumes (the web process has no consumer), so it ran there.
    # (its ledger records the run in its next batch, after the effect)
    wait_until(lambda: f':{worker.pid}:' in _consumer_of(web, 'notifications.send_notifications'),
               timeout=10, message='the run recorded')
    listener.close()


def _run_digest_in_the_worker(web, workspace_id):
    """Enqueue generate_daily_digest from another process, as a scheduler would."""
    script = ('import sys, tasks; from collab.startup import prepare; from collab.settings import Settings;'
              'from tasks.activity import generate_daily_digest;'
              's = Settings.from_env(); prepare(s); tasks.configure(s);'
              'generate_daily_digest(int(sys.argv[1]))')
    subprocess.run([sys.executable, '-c', script, str(workspace_id)], cwd=ROOT,
                   env={**web.env}, check=True, timeout=30, capture_output=True)


def _consumer_of(web, task):
    import sqlite3
    db = sqlite3.connect(os.path.join(web.data_dir, 'collab.db'))
    try:
        rows = db.execute('SELECT consumer FROM job WHERE task = ? AND consumer IS NOT NULL',
                          (task,)).fetchall()
    finally:
        db.close()
    return ' '.join(r[0] for r in rows)


def test_more_callers_than_the_pool_holds_wait_for_a_connection_instead_of_failing(redis_url):
    """As 2,000 sockets marking their users online at once do in the web process."""
    from concurrent.futures import ThreadPoolExecutor

    from collab.broadcast import RedisBroadcaster
    from collab.redis_pool import MAX_CONNECTIONS
    client = RedisBroadcaster(redis_url).client
    callers = 2 * MAX_CONNECTIONS + 50   # past redis-py's default pool of 100 too
    with ThreadPoolExecutor(callers) as pool:
        answers = list(pool.map(lambda n: client.blpop(f'nothing:{n}', timeout=0.2),
                                range(callers)))
    assert answers == [None] * callers
    client.close()
