"""Tasks that log and report progress, for the per-job log and progress tests.

Imported by those tests (the consumer runs in the test process) and by the
live server of the browser test (TASK_MODULES=tests.job_log_tasks).
"""
import logging
import threading
import time

from collab.jobs import report_progress
from collab.jobs.instance import huey

task_log = logging.getLogger('tests.job_log_tasks')
part_log = logging.getLogger('tests.job_log_tasks.part')


@huey.task(retries=0)
def chatty(word):
    """Logs through several loggers at several levels, and from a helper thread
    (whose records are not the job's)."""
    task_log.debug('debug is below the kept levels')
    task_log.info('starting with %s', word)
    part_log.warning('a warning from a part')
    logging.getLogger().error('an error on the root logger')
    helper = threading.Thread(target=lambda: task_log.info('from a helper thread'))
    helper.start()
    helper.join()
    try:
        raise KeyError('missing')
    except KeyError:
        task_log.exception('caught one')
    return word


@huey.task(retries=0)
def verbose(lines, width=100):
    """Logs `lines` lines of `width` characters each."""
    for n in range(lines):
        task_log.info('%05d %s', n, 'x' * width)


@huey.task(retries=0)
def count_up(n, note=None):
    """Reports progress on every one of `n` steps, as fast as it can."""
    for done in range(1, n + 1):
        report_progress(done, n, note)


@huey.task(retries=0)
def step_slowly(steps, pause, word='step'):
    """`steps` steps of `pause` seconds, each logged and reported."""
    for done in range(1, steps + 1):
        time.sleep(pause)
        task_log.info('%s %d of %d', word, done, steps)
        report_progress(done, steps, f'{word} {done}')
