"""Holding many connections: socket caps, slow clients dropped, revoked sign-ins
closed, and the consumer in a child process of `python run.py` (CPU-bound jobs
there leave the web answering; a killed consumer is started again)."""
import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import websocket

import tasks
from collab import broadcast
from collab.db import close_connection, database
from collab.jobs.instance import huey
from collab.models import User
from collab.settings import Settings
from collab.startup import prepare
from tests.support import (ADMIN, LiveServer, bearer_token, close_code, http_json, sign_in,
                           sign_up, wait_until)


def upgrade(port, token=None, cookie=None):
    """(status, JSON body) of a WebSocket handshake refused before the upgrade, or (101, None)."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    headers = {'Upgrade': 'websocket', 'Connection': 'Upgrade', 'Sec-WebSocket-Version': '13',
               'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ=='}
    if cookie:
        headers['Cookie'] = cookie
    conn.request('GET', '/ws' + (f'?token={token}' if token else ''), headers=headers)
    response = conn.getresponse()
    body = None if response.status == 101 else json.loads(response.read() or b'null')
    conn.close()
    return response.status, body


def open_socket(server, token):
    url = server.url.replace('http://', 'ws://') + f'/ws?token={token}'
    ws = websocket.create_connection(url, timeout=10, suppress_origin=True)
    assert json.loads(ws.recv())['type'] == 'hello'
    return ws


def frame_types_until(ws, wanted, most=50):
    """The types of the frames the socket receives up to `wanted` (others, such as the
    live dashboard's for an administrator, may come first)."""
    seen = []
    while wanted not in seen and len(seen) < most:
        seen.append(json.loads(ws.recv())['type'])
    return seen


# ------------------------------------------------------------------ caps

@pytest.mark.env(WS_MAX_PER_USER='2', WS_MAX='3')
def test_sockets_per_user_and_in_all_are_capped_with_a_429(server, team):
    ann, bob = bearer_token(team.ann), bearer_token(team.bob)
    held = [open_socket(server, ann), open_socket(server, ann)]

    status, body = upgrade(server.port, ann)
    assert status == 429 and 'per user' in body['error']

    held.append(open_socket(server, bob))            # the third socket in all
    status, body = upgrade(server.port, bob)
    assert status == 429 and 'maximum of 3' in body['error']

    held.pop(0).close()                               # a slot given back is free again
    wait_until(lambda: upgrade(server.port, bob)[0] == 101, timeout=5,
               message='the freed slot to be taken')
    for ws in held:
        ws.close()


def test_the_greeting_is_a_sockets_first_frame_while_frames_for_its_user_flow(server, team):
    """A socket is reachable before it is greeted (nothing sent to the user while it
    opens is lost), but what is sent to it meanwhile goes out after the greeting."""
    ann = team.user_id(team.ann)
    stop = threading.Event()

    def flood():   # as the live dashboard's frames reach an administrator's sockets
        while not stop.is_set():
            broadcast.registry.deliver([ann], json.dumps({'type': 'jobs'}))
            time.sleep(0.0005)

    flooding = threading.Thread(target=flood)
    flooding.start()
    try:
        sockets = [websocket.create_connection(
            server.url.replace('http://', 'ws://') + f'/ws?token={bearer_token(team.ann)}',
            timeout=10, suppress_origin=True) for _ in range(8)]
        firsts = [json.loads(ws.recv())['type'] for ws in sockets]
    finally:
        stop.set()
        flooding.join()
    assert firsts == ['hello'] * 8
    broadcast.registry.deliver([ann], json.dumps({'type': 'done'}))
    assert all(set(frame_types_until(ws, 'done')) <= {'jobs', 'done'} for ws in sockets)
    for ws in sockets:
        ws.close()


# ------------------------------------------------------------------ revoked sign-ins

def test_a_socket_whose_token_is_revoked_is_closed_with_4401(server, team):
    other = sign_in(server.url, 'ann@example.com')       # a second token of Ann's
    ws = open_socket(server, other.token)
    kept = open_socket(server, bearer_token(team.ann))

    started = time.monotonic()
    assert http_json(server.url, 'POST', '/api/auth/logout', {}, other.token)[0] == 200
    assert close_code(ws) == 4401
    assert time.monotonic() - started < 5

    kept.send(json.dumps({'type': 'ping'}))               # Ann's other token still works
    assert 'pong' in frame_types_until(kept, 'pong')
    kept.close()


def test_a_session_socket_is_closed_when_the_password_changes(server, team, client):
    sign_in(client, 'bob@example.com')
    cookie = f"collab_session={client.get_cookie('collab_session').value}"
    url = server.url.replace('http://', 'ws://') + '/ws'
    ws = websocket.create_connection(url, timeout=10, origin=server.url, cookie=cookie)
    assert json.loads(ws.recv())['type'] == 'hello'

    with database.connection_context():
        User.update(password_hash='changed').where(User.email == 'bob@example.com').execute()
    assert close_code(ws) == 4401


# ------------------------------------------------------------------ a real run.py

def live(tmp_path, **env):
    return LiveServer(tmp_path / 'data', env={'ADMIN_EMAIL': ADMIN['email'],
                                              'ADMIN_PASSWORD': ADMIN['password'], **env},
                      modules=('bench.connections',))


def children(pid):
    """{pid: command line} of a process's children."""
    found = {}
    for task in Path(f'/proc/{pid}/task').glob('*'):
        for child in (task / 'children').read_text().split():
            try:
                found[int(child)] = Path(f'/proc/{child}/cmdline').read_bytes().replace(b'\0', b' ')
            except OSError:
                pass
    return found


def consumer_pid(server):
    return next((pid for pid, cmd in children(server.process.pid).items()
                 if cmd.rstrip().endswith(b'worker')), None)


@pytest.mark.slow
def test_300_sockets_and_40_slow_clients_while_the_api_answers(tmp_path):
    from bench.connections import CrowdProcess, seed_users
    server = live(tmp_path, REQUEST_HEADER_TIMEOUT='2').start()
    crowd = None
    try:
        _, tokens = seed_users(server.data_dir, server.env['SECRET_KEY'], 301)
        reader = tokens.pop()
        crowd = CrowdProcess(server.port, tokens, 40, tmp_path / 'tokens.json')
        assert (crowd.ready['ready'], crowd.ready['greeted'], crowd.ready['refused']) == (300, 300, {})

        deadline = time.monotonic() + 6      # slow clients come and go meanwhile
        answered = 0
        while time.monotonic() < deadline:
            assert http_json(server.url, 'GET', '/healthz')[0] == 200
            assert http_json(server.url, 'GET', '/api/workspaces', token=reader)[0] == 200
            answered += 1
        assert answered >= 20

        report = crowd.report()
        assert report['open'] == 300 and not report['closed']
        # Each slow client was dropped after the header timeout, not served or kept.
        assert len(report['slow_dropped']) >= 40
        assert all(1.5 < seconds < 5 for seconds in report['slow_dropped'])
    finally:
        if crowd is not None:
            crowd.stop()
        assert server.stop() == 0, server.output()
        close_connection()


@pytest.mark.slow
def test_a_cpu_bound_job_runs_in_the_consumer_process_while_the_web_answers(tmp_path):
    from bench.connections import spin
    server = live(tmp_path).start()
    try:
        settings = Settings.from_mapping({'DATA_DIR': str(server.data_dir),
                                          'SECRET_KEY': server.env['SECRET_KEY']})
        prepare(settings)
        tasks.configure(settings)
        admin = sign_in(server.url, **ADMIN).token
        spin(4.0)
        huey.ledger.flush()

        def running():
            status, body = http_json(server.url, 'GET', '/admin/api/jobs?state=running',
                                     token=admin)
            return next((j for j in body['jobs'] if 'spin' in j['task']), None)
        job = wait_until(running, timeout=15, message='the CPU job to run')

        slowest = 0.0
        while running():
            started = time.monotonic()
            assert http_json(server.url, 'GET', '/healthz')[0] == 200
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < 1.0      # the web never waited for the job's interpreter
        web_pid = next(pid for pid, cmd in children(server.process.pid).items()
                       if cmd.rstrip().endswith(b'web'))
        assert str(web_pid) not in job['consumer'].split(':')   # it ran in the other process
    finally:
        huey.storage.close()
        assert server.stop() == 0, server.output()
        close_connection()


@pytest.mark.slow
def test_the_consumer_process_is_started_again_after_sigkill(tmp_path):
    server = live(tmp_path).start()
    try:
        first = wait_until(lambda: consumer_pid(server), timeout=10, message='the consumer')
        os.kill(first, signal.SIGKILL)
        second = wait_until(lambda: (consumer_pid(server) or first) != first and consumer_pid(server),
                            timeout=15, message='a new consumer process')

        ann = sign_up(server.url, 'ann@example.com')
        http_json(server.url, 'POST', '/api/workspaces', {'name': 'Team'}, ann.token)
        admin = sign_in(server.url, **ADMIN).token

        def ran():
            _, body = http_json(server.url, 'GET', '/admin/api/jobs?task=activity.log_activity',
                                token=admin)
            return next((j for j in body['jobs'] if j['state'] == 'succeeded'), None)
        job = wait_until(ran, timeout=20, message='a job run by the new consumer')
        assert f':{second}:' in job['consumer']
        assert 'restarting' in server.output()
    finally:
        assert server.stop() == 0, server.output()
