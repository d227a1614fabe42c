"""Real servers for tests: redis-server, a webhook receiver, the app in a thread or as
`python run.py` in a subprocess, and `run.py worker` processes to kill."""
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bench.local import RedisServer, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]

__all__ = ['ROOT', 'LiveServer', 'RedisServer', 'ThreadedServer', 'WebhookServer',
           'WorkerProcess', 'require']


def require(name, reason):
    """Skip, or fail when the REQUIRE_* variable says this part must be there."""
    if os.environ.get(name) == '1':
        pytest.fail(f'{reason} (and {name}=1)')
    pytest.skip(reason)


class WebhookServer:
    """A local HTTP server standing in for the push and alert webhooks; it records POSTs."""

    def __init__(self, status=200):
        self.requests, self.status = [], status
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                server.requests.append({'path': self.path, 'body': json.loads(body or b'null'),
                                        'content_type': self.headers.get('Content-Type'),
                                        'idempotency_key': self.headers.get('Idempotency-Key')})
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


class ThreadedServer:
    """The test app behind werkzeug's threaded server: real sockets, same process."""

    def __init__(self, app):
        self.httpd = make_server('127.0.0.1', 0, app, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def start(self):
        self.thread.start()
        return self

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
                    'HOST': '127.0.0.1',
                    'SECRET_KEY': 'live-test-secret-of-32-characters-at-least',
                    'SHUTDOWN_GRACE': '5', 'HUEY_WORKERS': '2',
                    'SIGNUP': 'open',   # tests sign people up freely
                    **(env or {})}
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


# How a worker is started: Collab's command, or Huey's own consumer on the same instance.
WORKER_COMMANDS = {
    'run.py worker': ['run.py', 'worker'],
    'huey_consumer': ['-m', 'huey.bin.huey_consumer', 'tasks.huey', '-k', 'thread'],
}


class WorkerProcess:
    """A worker in a subprocess (`python run.py worker` unless `command` names
    another of WORKER_COMMANDS), with its log kept for failure messages."""

    def __init__(self, settings_env, log_path, command='run.py worker'):
        self.env = {**os.environ, **settings_env}
        self.log_path = log_path
        self.argv = [sys.executable, *WORKER_COMMANDS[command]]
        if command == 'huey_consumer':   # Huey's consumer takes its worker count as a flag
            self.argv += ['-w', self.env.get('HUEY_WORKERS', '2')]
        self.process = None

    def start(self):
        self.log = open(self.log_path, 'ab')
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        return self

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        return self.process.returncode

    def output(self):
        return self.log_path.read_text(errors='replace')
