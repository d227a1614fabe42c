"""Local parts that the benchmark and the test suite both use: a free port, polling
until something holds, and a redis-server of the caller's own."""
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class WaitTimeout(TimeoutError, AssertionError):
    """A wait that ran out: a TimeoutError to the benchmark, a failed assertion to a test."""


def wait_until(predicate, timeout=10.0, interval=0.02, message='condition'):
    """Poll until predicate() is truthy and return its value; WaitTimeout after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f'timed out after {timeout}s waiting for {message}')
        time.sleep(interval)


class RedisServer:
    """A redis-server on a free port of 127.0.0.1, never a shared one. It keeps nothing on
    disk, so after stop() a start() gives an empty server on the same port.

    `directory` is its working directory; without one it gets a temporary directory,
    removed again at stop().
    """

    # The benchmark gives figures databases of their own, up to number 20.
    DATABASES = 32

    def __init__(self, port=None, directory=None):
        self.port = port or free_port()
        self.directory = directory
        self._temporary = directory is None
        self.process = None

    @staticmethod
    def available():
        return shutil.which('redis-server') is not None

    def url(self, db=0):
        return f'redis://127.0.0.1:{self.port}/{db}'

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def client(self, db=0):
        return redis.Redis(port=self.port, db=db, socket_timeout=5)

    def start(self):
        if self._temporary:
            self.directory = tempfile.mkdtemp(prefix='collab-redis-')
        Path(self.directory).mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'no', '--dir', str(self.directory),
             '--databases', str(self.DATABASES)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout=10, message='redis-server to start')
        return self

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        if self._temporary and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def _answers(self):
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False
