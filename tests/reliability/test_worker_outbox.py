"""A worker alone (no web process) sends the jobs its jobs accept: the outbox rows
written in an exactly-once job's transaction leave from the worker's own dispatcher."""
import subprocess
import sys

import pytest

from tests.support import ROOT, wait_until

pytestmark = pytest.mark.slow

ENQUEUE = ('import sys, tasks; tasks.configure_from_environment();'
           'from tests.effect_tasks import mark_later; mark_later(sys.argv[1], "mark")')


def test_a_worker_alone_sends_the_jobs_its_jobs_accept(worker_env, workers, tmp_path):
    worker_env['TASK_MODULES'] = 'tests.sample_tasks,tests.effect_tasks'
    worker = workers()
    # The script enqueues and exits: no other process is left to move the child job.
    subprocess.run([sys.executable, '-c', ENQUEUE, str(tmp_path)], cwd=ROOT, check=True,
                   env={**worker.env}, timeout=60, capture_output=True)
    wait_until(lambda: (tmp_path / 'mark').exists(), timeout=30,
               message=f'the child job to run ({worker.output()[-2000:]})')
