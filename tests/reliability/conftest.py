"""Helpers for tests that do real damage: worker subprocesses that get killed."""
import os
import signal
import subprocess
import sys

import pytest

from tests.support import ROOT


class WorkerProcess:
    """`python run.py worker` in a subprocess, with its log kept for failure messages."""

    def __init__(self, settings_env, log_path):
        self.env = {**os.environ, **settings_env}
        self.log_path = log_path
        self.process = None

    def start(self):
        self.log = open(self.log_path, 'ab')
        self.process = subprocess.Popen([sys.executable, 'run.py', 'worker'], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
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


@pytest.fixture
def worker_env(settings):
    """The environment a worker subprocess needs to share this test's queue and database."""
    env = {'DATA_DIR': str(settings.data_dir), 'SECRET_KEY': settings.secret_key,
           'DATABASE_URL': settings.database_url, 'TASK_MODULES': 'tests.sample_tasks',
           'HUEY_WORKERS': '8', 'SHUTDOWN_GRACE': '5',
           'CATCH_UP_PERIODIC': '1' if settings.catch_up_periodic else '0'}
    if settings.redis_url:
        env['REDIS_URL'] = settings.redis_url
    return env


@pytest.fixture
def workers(worker_env, tmp_path):
    started = []

    def start():
        worker = WorkerProcess(worker_env, tmp_path / 'workers.log').start()
        started.append(worker)
        return worker
    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.stop()
