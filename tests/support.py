"""Real outside parts for tests: a redis-server process and a webhook receiver."""
import json
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis


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
