"""The benchmark's tasks on Collab's Huey (loaded through TASK_MODULES=bench.tasks)."""
import logging

from bench.noop import noop as noop_body
from collab.jobs.instance import huey

LOG_LINES = 3   # INFO lines per job of the log-capture figure (bench/logcapture.py)
task_log = logging.getLogger('bench.tasks')

noop = huey.task(name='bench.noop')(noop_body)


@huey.task(name='bench.noop_that_logs')
def noop_that_logs(i):
    """The no-op, plus a few INFO lines as a task reporting what it did would log."""
    task_log.info('job %d: starting', i)
    noop_body(i)
    task_log.info('job %d: counter incremented', i)
    task_log.info('job %d: done', i)
