"""`python run.py` as users run it: a real subprocess, real gunicorn, real signals."""
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import ADMIN, ROOT, LiveServer, free_port, http_json, sign_in, sign_up, wait_until

pytestmark = pytest.mark.slow


# ------------------------------------------------------------------ helpers

def call(server, method, path, body=None, token=None):
    """(status, JSON body) of one HTTP request to a live server."""
    return http_json(server.url, method, path, body, token)


def create_workspace(server, token, name='Team'):
    status, body = call(server, 'POST', '/api/workspaces', {'name': name}, token)
    assert status == 201, body
    return body


def jobs(server, admin_token, **filters):
    query = '&'.join(f'{k}={v}' for k, v in filters.items())
    status, body = call(server, 'GET', f'/admin/api/jobs?{query}', token=admin_token)
    assert status == 200, body
    return body['jobs']


def wait_for_job(server, admin_token, task, state, timeout=15):
    def found():
        matching = [j for j in jobs(server, admin_token, task=task) if j['state'] == state]
        return matching[0] if matching else None
    return wait_until(found, timeout=timeout, interval=0.1, message=f'{task} to be {state}')


def healthz(server):
    return call(server, 'GET', '/healthz')


def run_py(*args, env=None, data_dir, stdin='', timeout=30):
    """Run `python run.py ARGS` to completion; returns the CompletedProcess."""
    environ = {**os.environ, 'DATA_DIR': str(data_dir),
               'SECRET_KEY': 'run-test-secret-0123456789abcdef',
               **(env or {})}
    return subprocess.run([sys.executable, 'run.py', *args], cwd=ROOT, env=environ,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


# ------------------------------------------------------------------ the main job

def test_run_py_serves_with_an_embedded_consumer_and_a_job_flows(live_server):
    wait_until(lambda: healthz(live_server) == (200, {'db': 'ok', 'queue': 'ok', 'disk': 'ok',
                                                      'consumers': 1}),
               timeout=15, message='/healthz to report one consumer')

    workspace = create_workspace(live_server, sign_up(live_server.url, name='Ann').token)

    admin = sign_in(live_server.url, **ADMIN).token
    job = wait_for_job(live_server, admin, 'activity.log_activity', 'succeeded')
    assert job['args'][:3] == [workspace['id'], workspace['owner_id'], 'workspace.created']
    assert job['attempts'] == 1
    assert job['consumer']   # the consumer process recorded itself


def test_the_supervisor_checks_the_database_without_loading_a_driver(live_server):
    """It only watches its children: the database check ran in a child of its own."""
    assert healthz(live_server)[0] == 200
    loaded = Path(f'/proc/{live_server.process.pid}/maps').read_text()
    assert '_sqlite3' not in loaded and 'psycopg2' not in loaded


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_a_signal_stops_the_idle_server_cleanly(live_server, sig):
    started = time.monotonic()
    assert live_server.stop(sig) == 0, live_server.output()
    assert time.monotonic() - started < 5
    assert 'consumer' in live_server.output() and 'stopped' in live_server.output()
    assert 'Traceback' not in live_server.output()


def test_ctrl_c_in_a_terminal_stops_the_server_cleanly(tmp_path):
    """A terminal's Ctrl-C signals the whole process group: gunicorn's master and worker."""
    server = LiveServer(tmp_path / 'data').start()
    try:
        started = time.monotonic()
        assert server.stop(signal.SIGINT, group=True) == 0, server.output()
        assert time.monotonic() - started < 5
        assert 'Traceback' not in server.output()
    finally:
        server.stop(signal.SIGKILL, group=True)


# ------------------------------------------------------------------ bad settings

@pytest.mark.parametrize('variable, value', [
    ('PORT', 'abc'),
    ('PORT', '70000'),
    ('REDIS_URL', 'http://x'),
    ('REDIS_URL', 'redis://127.0.0.1:1'),       # nothing listens there
    ('HUEY_WORKERS', '0'),
    ('SHUTDOWN_GRACE', 'soon'),
    ('DATABASE_URL', 'mysql://db.example/collab'),
    ('DATABASE_URL', 'postgresql://postgres@127.0.0.1:1/collab'),   # unreachable
    ('ALERT_WEBHOOK_URL', 'not a url'),
])
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, variable, value):
    env = {'PORT': str(free_port()), variable: value}
    result = run_py(env=env, data_dir=tmp_path / 'data', timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert 'Traceback' not in result.stderr + result.stdout


@pytest.mark.parametrize('command', [(), ('web',)], ids=['run.py', 'web'])
def test_a_port_in_use_stops_start_up_with_one_line(tmp_path, command):
    with socket.create_server(('127.0.0.1', 0)) as taken:
        port = taken.getsockname()[1]
        result = run_py(*command, env={'PORT': str(port)}, data_dir=tmp_path / 'data')
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'PORT' in lines[0] and str(port) in lines[0], result.stderr
    assert 'already in use' in lines[0]


@pytest.mark.parametrize('command', ['web', 'worker'])
def test_web_and_worker_check_settings_too(tmp_path, command):
    result = run_py(command, env={'REDIS_URL': 'redis://127.0.0.1:1'}, data_dir=tmp_path / 'data')
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and 'REDIS_URL' in lines[0], result.stderr


# ------------------------------------------------------------------ create-admin

def read_user(data_dir, email):
    """The stored user, read straight from the SQLite database file."""
    import sqlite3
    with sqlite3.connect(data_dir / 'collab.db') as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute('SELECT * FROM user WHERE email = ?', (email,)).fetchone()


def test_create_admin_creates_then_promotes(tmp_path):
    data_dir = tmp_path / 'data'
    result = run_py('create-admin', 'Boss@Example.com', '--password-stdin',
                    stdin='a long password\n', data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert 'created' in result.stdout
    assert read_user(data_dir, 'boss@example.com')['is_admin']

    # An ordinary user, registered through the API of a real server ...
    server = LiveServer(data_dir).start()
    try:
        sign_up(server.url, 'carol@example.com')
    finally:
        assert server.stop() == 0
    assert not read_user(data_dir, 'carol@example.com')['is_admin']

    # ... is promoted, with the new password.
    result = run_py('create-admin', 'carol@example.com', '--password-stdin',
                    stdin='another long password\n', data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert 'promoted' in result.stdout
    assert read_user(data_dir, 'carol@example.com')['is_admin']
    from werkzeug.security import check_password_hash
    assert check_password_hash(read_user(data_dir, 'carol@example.com')['password_hash'],
                               'another long password')


def test_create_admin_refuses_a_short_password(tmp_path):
    data_dir = tmp_path / 'data'
    result = run_py('create-admin', 'boss@example.com', '--password-stdin',
                    stdin='short\n', data_dir=data_dir)
    assert result.returncode != 0
    assert 'password must be at least 8 characters' in result.stderr
    assert 'Traceback' not in result.stderr + result.stdout
    assert read_user(data_dir, 'boss@example.com') is None


# ------------------------------------------------------------------ web + worker

def test_worker_and_web_processes_share_redis_and_the_database(tmp_path, redis_url):
    env = {'REDIS_URL': redis_url,
           'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password']}
    web = LiveServer(tmp_path / 'data', env=env, command=('web',)).start()
    worker = LiveServer(tmp_path / 'data', env=env, command=('worker',)).start(wait_for=None)
    try:
        worker.wait_for_output(' started: 2 workers, redis backend')
        worker_id = re.search(r'consumer (\S+) started: ', worker.output()).group(1)
        wait_until(lambda: healthz(web)[1].get('consumers', 0) >= 1, timeout=15,
                   message='/healthz on web to count the worker')

        create_workspace(web, sign_up(web.url, name='Ann').token)

        admin = sign_in(web.url, **ADMIN).token
        job = wait_for_job(web, admin, 'activity.log_activity', 'succeeded')
        assert job['consumer'] == worker_id           # it ran in the worker, not the web process

        assert worker.stop(signal.SIGINT) == 0, worker.output()
        assert healthz(web)[1]['consumers'] == 0       # a clean stop is seen at once
    finally:
        assert worker.stop() == 0, worker.output()
        assert web.stop() == 0, web.output()


# ------------------------------------------------------------------ data that lasts

def test_job_records_survive_a_restart(tmp_path):
    env = {'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password']}
    first = LiveServer(tmp_path / 'data', env=env).start()
    try:
        create_workspace(first, sign_up(first.url, name='Ann').token)
        admin = sign_in(first.url, **ADMIN).token
        job = wait_for_job(first, admin, 'activity.log_activity', 'succeeded')
    finally:
        assert first.stop() == 0

    second = LiveServer(tmp_path / 'data', env=env).start()
    try:
        admin = sign_in(second.url, **ADMIN).token
        listed = {j['id']: j for j in jobs(second, admin)}
        assert job['id'] in listed
        assert listed[job['id']]['state'] == 'succeeded'
        assert listed[job['id']]['finished_at'] == job['finished_at']
    finally:
        assert second.stop() == 0


def test_a_secret_key_is_generated_once_with_mode_0600(tmp_path):
    data_dir = tmp_path / 'data'
    server = LiveServer(data_dir, env={'SECRET_KEY': ''}).start()
    assert server.stop() == 0
    key_file = data_dir / 'secret_key'
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert len(key) >= 32

    server = LiveServer(data_dir, env={'SECRET_KEY': ''}).start()
    assert server.stop() == 0
    assert key_file.read_text() == key     # kept across restarts, not regenerated


def test_the_worker_logs_no_line_per_job_but_every_failure(tmp_path):
    """Huey's per-job start and end lines are left out (the ledger has them);
    a job that fails for good is still logged."""
    worker = LiveServer(tmp_path / 'data', command=('worker',),
                        modules=('tests.sample_tasks',)).start(wait_for=None)
    try:
        worker.wait_for_output(' started: 2 workers')
        script = ('import tasks\nfrom tests.sample_tasks import always_fail, succeed\n'
                  'succeed(1)\nalways_fail("logged")\n')
        subprocess.run([sys.executable, '-c', script], cwd=ROOT, env=worker.env, check=True,
                       timeout=60)
        worker.wait_for_output('failed for good', timeout=30)
        assert 'Executing' not in worker.output() and 'executed in' not in worker.output()
    finally:
        assert worker.stop() == 0, worker.output()


def test_the_worker_never_builds_the_web_app(tmp_path):
    """`run.py worker` loads the engine and the task catalogue, never a blueprint
    (Python's -X importtime lists every module a process imports)."""
    env = {**os.environ, 'DATA_DIR': str(tmp_path / 'data'),
           'SECRET_KEY': 'worker-only-0123456789abcdefghij',
           'HUEY_WORKERS': '1'}
    log = tmp_path / 'worker.log'
    with open(log, 'wb') as out:
        worker = subprocess.Popen([sys.executable, '-X', 'importtime', 'run.py', 'worker'],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: ' started: 1 workers' in log.read_text(errors='replace'),
                       timeout=30, message='the worker to start')
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
    imported = {line.rsplit('|', 1)[-1].strip() for line in log.read_text().splitlines()
                if line.startswith('import time:')}
    assert {'tasks', 'collab.jobs.consumer'} <= imported
    assert not imported & {'collab.api', 'collab.admin', 'collab.realtime', 'flask_sock',
                           'collab.account_pages', 'collab.workspace_pages'}
