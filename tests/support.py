"""Real outside parts for tests: a redis-server process and a webhook receiver."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent

def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout=10.0, interval=0.02, message='condition'):
    """Poll until predicate() is truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout}s waiting for {message}')
        time.sleep(interval)


class RedisServer:
    """A redis-server of the test's own on a free port; it can be stopped and restarted."""

    def __init__(self, port, directory):
        self.port, self.directory, self.process = port, directory, None

    @staticmethod
    def available():
        return shutil.which('redis-server') is not None

    @property
    def url(self):
        return f'redis://127.0.0.1:{self.port}/0'

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self):
        self.process = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--dir', str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=10, message='redis-server to start')

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def _answers(self):
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False


class WebhookServer:
    """A local HTTP server standing in for the push and alert webhooks; it records POSTs."""

    def __init__(self, status=200):
        self.requests, self.status = [], status
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                server.requests.append({'path': self.path, 'body': json.loads(body or b'null'),
                                        'content_type': self.headers.get('Content-Type')})
                self.send_response(server.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)

    @property
    def url(self):
        return f'http://127.0.0.1:{self.httpd.server_address[1]}/hook'

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class LiveServer:
    """`python run.py` in a subprocess on a free port: the real gunicorn server.

    `command` is run.py's command (`('web',)`, `('worker',)`); `modules` are
    extra task modules (TASK_MODULES, e.g. the test tasks). The server runs in
    its own process group, so `signal_group` can signal it as a terminal's
    Ctrl-C does, and `stop` leaves none of its processes behind.
    """

    def __init__(self, data_dir, env=None, command=(), modules=()):
        self.port = free_port()
        self.data_dir = data_dir
        self.env = {**os.environ, 'DATA_DIR': str(data_dir), 'PORT': str(self.port),
                    'HOST': '127.0.0.1', 'SECRET_KEY': 'live-test-secret',
                    'SHUTDOWN_GRACE': '5', 'HUEY_WORKERS': '2', **(env or {})}
        if modules:
            self.env['TASK_MODULES'] = ','.join(modules)
        self.command = [sys.executable, 'run.py', *command]
        self.process = None
        self.log_path = Path(data_dir).parent / f'server-{self.port}.log'

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def start(self, timeout=30, wait_for='/healthz'):
        """Start; wait until /healthz answers 200, or (wait_for=None) only launch."""
        self.log = open(self.log_path, 'wb')
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        if wait_for:
            wait_until(self._healthy, timeout=timeout, interval=0.1,
                       message=f'the server to answer /healthz (log: {self.log_path})')
        return self

    def wait_for_output(self, text, timeout=30):
        """Wait until the process has logged `text`; fail early if it exits."""
        def logged():
            if text in self.output():
                return True
            if self.process.poll() is not None:
                raise AssertionError(f'exited with {self.process.returncode}: {self.output()}')
            return False
        wait_until(logged, timeout=timeout, interval=0.05, message=f'{text!r} in {self.log_path}')

    def signal_group(self, sig):
        """Signal every process of the server, as Ctrl-C in a terminal does."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def _healthy(self):
        if self.process.poll() is not None:
            raise AssertionError(f'server exited with {self.process.returncode}: {self.output()}')
        try:
            with urllib.request.urlopen(self.url + '/healthz', timeout=1) as response:
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def output(self):
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def stop(self, sig=signal.SIGTERM, timeout=30, group=False):
        """Send `sig` (to the whole process group if `group`) and wait; returns the exit code."""
        if self.process is None:
            return None
        try:
            if self.process.poll() is None:
                self.signal_group(sig) if group else self.process.send_signal(sig)
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            # No process of this server may outlive the test: a stray consumer
            # would take the next test's jobs from a shared Redis.
            self.signal_group(signal.SIGKILL)
            self.log.close()


def page_csrf_token(client):
    """The CSRF token that the pages' forms carry for this client's session."""
    return client.get('/api/auth/csrf').json['csrf_token']


def http_json(base_url, method, path, body=None, token=None):
    """(status, JSON body) of one HTTP request to a running server."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    if token:
        request.add_header('Authorization', f'Bearer {token}')
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b'null')
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'null')


def require(name, reason):
    """Skip, or fail when the REQUIRE_* variable says this part must be there."""
    if os.environ.get(name) == '1':
        pytest.fail(f'{reason} (and {name}=1)')
    pytest.skip(reason)
