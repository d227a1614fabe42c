"""Tasks that exist only for the tests: they succeed, fail, fail then succeed, or sleep.

Their effects are recorded in `calls` (the consumer runs in this process).
"""
import time
from collections import defaultdict

from huey import crontab

from collab.jobs.instance import huey
from collab.jobs.slots import latest_slot

calls = defaultdict(list)


def reset():
    calls.clear()


@huey.task()
def succeed(value):
    calls['succeed'].append(value)
    return value


@huey.task(retries=3, retry_delay=1, retry_backoff=2)
def flaky(key, failures):
    """Fails `failures` times for `key`, then succeeds."""
    calls[key].append(time.monotonic())
    if len(calls[key]) <= failures:
        raise RuntimeError(f'flaky failure {len(calls[key])} of {failures}')
    return len(calls[key])


@huey.task(retries=2, retry_delay=0, retry_backoff=1)
def flaky_now(key, failures):
    """As flaky, retried at once: put back in the queue, not in the schedule."""
    return flaky.call_local(key, failures)


@huey.task(retries=3, retry_delay=0.1, retry_backoff=1)
def always_fail(key):
    calls[key].append(time.monotonic())
    raise ValueError(f'always fails: <script>alert({key!r})</script>')


@huey.task()
def add(a, b):
    return a + b


@huey.task()
def total(values):
    calls['total'].append(values)
    return sum(values)


@huey.task(retries=0)
def sleep_for(seconds, key='sleep'):
    calls[key].append('started')
    time.sleep(seconds)
    calls[key].append('finished')
    return seconds


@huey.task(retries=0)
def note_start(key, seconds=0.0):
    """Records when it started (time.monotonic()), then sleeps `seconds`."""
    calls[key].append(time.monotonic())
    time.sleep(seconds)


@huey.periodic_task(lambda moment: False)
def never_due():
    """A periodic task the scheduler never starts by itself; tests enqueue its runs."""
    calls['never_due'].append(time.monotonic())


@huey.task(retries=2, retry_delay=0.2)
def leave_mark(directory, name, seconds=0.0):
    """Idempotent: creates `directory/name` once, however often it runs."""
    import os
    time.sleep(seconds)
    try:
        fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        return False
    os.close(fd)
    return True


@huey.periodic_once(crontab(minute='*'), retries=0)
def every_minute_once():
    """A test schedule: appends this minute's slot to DATA_DIR/minute-runs.log."""
    if huey.settings is None:
        return
    with open(huey.settings.data_dir / 'minute-runs.log', 'a') as log:
        log.write(f'{int(time.time()) // 60}\n')


def _log_run(filename, schedule):
    if huey.settings is not None:
        slot = latest_slot(schedule, huey._get_timestamp())
        with open(huey.settings.data_dir / filename, 'a') as log:
            log.write(f'{slot:%Y-%m-%dT%H:%M}\n')


HOURLY = crontab(minute='0')


@huey.periodic_once(HOURLY, catch_up=True, retries=0)
def hourly_catching_up():
    """Runs at :00, and once at start-up when the last :00 was missed."""
    _log_run('catch-up-runs.log', HOURLY)


@huey.periodic_once(HOURLY, retries=0)
def hourly_skipping_missed():
    """Runs at :00 only: a missed slot is skipped."""
    _log_run('skip-runs.log', HOURLY)


def _busy(seconds):
    """Busy in pure Python: only a limit that interrupts the thread stops this early."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


@huey.task(retries=1, retry_delay=1)
def spin(key, seconds):
    """Busy for `seconds` under TASK_TIMEOUT (it sets no timeout of its own)."""
    calls[key].append('started')
    _busy(seconds)
    calls[key].append('finished')
    return seconds


@huey.task(retries=0, timeout=5)
def spin_within_own_limit(key, seconds):
    """As spin, with a limit of its own: 5 s whatever TASK_TIMEOUT says."""
    return spin.call_local(key, seconds)
