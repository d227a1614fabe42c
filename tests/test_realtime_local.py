"""Across processes without Redis: the local channel in DATA_DIR carries events from
`run.py worker` (or a script) to the sockets of `run.py web`, and answers who is online."""
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from collab.local_channel import ChannelClient, ChannelRefused, ChannelServer, address
from tests.support import (ADMIN, ROOT, Listener, LiveServer, WorkerProcess, garden_club,
                           sign_in, wait_until)

pytestmark = pytest.mark.slow

NO_REDIS = {'REDIS_URL': ''}


class Machine:
    """`run.py web` and `run.py worker` sharing one DATA_DIR, SQLite, no Redis."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.data_dir = tmp_path / 'shared-data'
        self.web = self.start_web()
        self.worker = WorkerProcess(self.web.env, tmp_path / 'worker.log').start()
        health = lambda: json.loads(urllib.request.urlopen(self.web.url + '/healthz',
                                                           timeout=2).read())
        wait_until(lambda: health()['consumers'] >= 1, timeout=30, interval=0.2,
                   message=f'the worker to heartbeat (log: {self.worker.log_path})')

    def start_web(self):
        return LiveServer(self.data_dir, command=('web',), env={
            **NO_REDIS, 'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password']}).start()

    def script(self, code, *args, env=None):
        """Run Python in a fresh process configured like the servers."""
        prelude = ('import sys, json, tasks; from collab.startup import prepare;'
                   'from collab.settings import Settings;'
                   's = Settings.from_env(); prepare(s); tasks.configure(s);')
        return subprocess.run([sys.executable, '-c', prelude + code, *map(str, args)], cwd=ROOT,
                              env={**self.web.env, **(env or {})}, check=True, timeout=30,
                              capture_output=True, text=True).stdout

    def query(self, sql, *params):
        db = sqlite3.connect(os.path.join(self.data_dir, 'collab.db'))
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def consumers_of(self, task):
        return ' '.join(c for (c,) in self.query(
            'SELECT consumer FROM job WHERE task = ? AND consumer IS NOT NULL', task))

    def stop(self):
        self.worker.stop()
        self.web.stop()


@pytest.fixture
def machine(tmp_path):
    running = Machine(tmp_path)
    yield running
    running.stop()


def document_created(listener, title, timeout=10):
    return listener.wait_for(lambda m: m['type'] == 'notification'
                             and m['data']['type'] == 'document.created'
                             and title in m['data']['title'], f'the notification for {title}',
                             timeout=timeout)


def test_a_workers_notifications_and_job_events_reach_the_web_process(machine):
    ann, bob, workspace_id = garden_club(machine.web.url)
    bob_socket = Listener(machine.web.url, bob.token)
    admin_socket = Listener(machine.web.url, sign_in(machine.web.url, ADMIN['email'],
                                                     ADMIN['password']).token)

    ann.call('POST', f'/api/workspaces/{workspace_id}/documents',
             {'title': 'Seeds', 'content': 'tomatoes'})
    assert document_created(bob_socket, 'Seeds')['data']['title'] == 'Ann created “Seeds”'
    # The web process runs no consumer: the worker ran the task and published it.
    wait_until(lambda: f':{machine.worker.process.pid}:' in machine.consumers_of(
        'notifications.send_notifications'), timeout=10, message='the run recorded')
    admin_socket.wait_for(lambda m: m['type'] == 'jobs', 'a jobs event on the admin socket')
    assert not bob_socket.of_type('jobs')

    # Any process with the same DATA_DIR and SECRET_KEY may publish: here a script.
    machine.script("from collab import broadcast;"
                   "broadcast.broadcaster(s).publish([int(sys.argv[1])], {'type': 'from-a-script'})",
                   bob.id)
    bob_socket.wait_for(lambda m: m['type'] == 'from-a-script', 'the script’s event')
    bob_socket.close()
    admin_socket.close()


def test_the_worker_sees_who_has_a_socket_in_the_web_process(machine):
    ann, bob, _ = garden_club(machine.web.url)
    sync = "from tasks.online_status import sync_online_status; sync_online_status(force=True)"
    bob_online = lambda: machine.query('SELECT online FROM presence WHERE user_id = ?', bob.id)

    bob_socket = Listener(machine.web.url, bob.token)
    machine.script(sync)
    wait_until(lambda: bob_online() == [(1,)], timeout=15, message='Bob recorded online')
    # The worker ran it (its ledger records the run in its next batch, after the effect).
    wait_until(lambda: f':{machine.worker.process.pid}:' in machine.consumers_of(
        'online_status.sync_online_status'), timeout=10, message='the run recorded')

    bob_socket.close()
    online = "from collab import broadcast; print(json.dumps(sorted(broadcast.online_users(s).online_user_ids())))"
    wait_until(lambda: bob.id not in json.loads(machine.script(online)), timeout=10,
               message='the socket closed in the web process')
    machine.script(sync)
    wait_until(lambda: bob_online() == [(0,)], timeout=15, message='Bob recorded offline')


def test_a_publisher_with_another_key_is_refused(machine):
    _, bob, _ = garden_club(machine.web.url)
    bob_socket = Listener(machine.web.url, bob.token)

    stranger = ChannelClient(machine.data_dir, 'not-the-secret-key')
    assert stranger.publish([bob.id], json.dumps({'type': 'forged'})) is False
    with pytest.raises(ChannelRefused):
        stranger.online_user_ids()
    machine.web.wait_for_output('refused a realtime publisher')

    # The same socket with the right key works; the forged event never arrived before it.
    friend = ChannelClient(machine.data_dir, machine.web.env['SECRET_KEY'])
    assert friend.publish([bob.id], json.dumps({'type': 'genuine'})) is True
    bob_socket.wait_for(lambda m: m['type'] == 'genuine', 'the genuine event')
    assert not bob_socket.of_type('forged')
    assert friend.online_user_ids() == {bob.id}
    friend.close()
    bob_socket.close()


def test_without_a_web_process_tasks_succeed_and_events_resume_after_a_restart(machine):
    ann, bob, workspace_id = garden_club(machine.web.url)
    Listener(machine.web.url, bob.token).close()   # the web process now listens
    machine.web.stop(sig=signal.SIGKILL, group=True)
    assert os.path.exists(address(machine.data_dir))   # stale: nobody answers it

    started = time.monotonic()
    out = machine.script("from collab import broadcast;"
                         "print(broadcast.broadcaster(s).publish([1], {'type': 'lost'}));"
                         "print(sorted(broadcast.online_users(s).online_user_ids()))")
    assert out.split() == ['0', '[]'] and time.monotonic() - started < 20
    # A task that publishes still succeeds in the worker.
    job_id = machine.script("from tasks.notifications import send_notification;"
                            "print(send_notification(int(sys.argv[1]), 'digest', {}).id)",
                            bob.id).strip()
    wait_until(lambda: machine.query('SELECT state FROM job WHERE job_id = ?', job_id)
               == [('succeeded',)], timeout=15, message='the notification job to succeed')

    machine.web = machine.start_web()   # the stale socket file is replaced
    bob_socket = Listener(machine.web.url, bob.token)
    ann = sign_in(machine.web.url, 'ann@example.com')   # the new server is on another port
    ann.call('POST', f'/api/workspaces/{workspace_id}/documents', {'title': 'After', 'content': ''})
    document_created(bob_socket, 'After')   # the worker reconnected to the new listener
    bob_socket.close()


def test_a_publisher_with_no_listener_returns_at_once(tmp_path):
    client = ChannelClient(tmp_path, 'key')
    started = time.monotonic()
    assert client.publish([1], '{}') is False          # no socket file
    assert client.online_user_ids() == set()
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(address(tmp_path))
    stale.close()                                      # a file nobody answers
    assert client.publish([1], '{}') is False
    assert time.monotonic() - started < 1

    received = []
    server = ChannelServer(tmp_path, 'key', lambda users, text: received.append((users, text)),
                           lambda: {7})
    assert server.start()
    assert not ChannelServer(tmp_path, 'key', None, None).start()   # one listener per DATA_DIR
    try:
        assert client.publish([1, 2], '{"type": "x"}') is True
        wait_until(lambda: received == [([1, 2], '{"type": "x"}')], timeout=5, message='delivery')
        assert client.online_user_ids() == {7}
        assert oct(os.stat(address(tmp_path)).st_mode & 0o777) == '0o600'
    finally:
        server.stop()
    assert client.publish([1], '{}') is False
    client.close()
