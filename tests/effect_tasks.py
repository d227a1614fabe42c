"""Exactly-once sample tasks: they write the app database, then may fail or sleep.

Runs are counted in tests.sample_tasks.calls (the consumer runs in this process).
"""
import time

from collab import activity
from collab.jobs.instance import huey
from tests.sample_tasks import calls, leave_mark, succeed


@huey.task(exactly_once=True, retries=3, retry_delay=0)
def write_then_fail(workspace_id, action, failures):
    """Adds a feed entry, then fails `failures` times before it succeeds."""
    calls[action].append('run')
    activity.record(workspace_id, None, action, 'test')
    if len(calls[action]) <= failures:
        raise RuntimeError(f'failed after writing, run {len(calls[action])}')
    return len(calls[action])


@huey.task(exactly_once=True, retries=2, retry_delay=0)
def enqueue_then_fail(key, failures):
    """Enqueues succeed(key), then fails `failures` times before it succeeds."""
    calls[key].append('run')
    succeed(key)
    if len(calls[key]) <= failures:
        raise RuntimeError('failed after enqueueing')


@huey.task(exactly_once=True, retries=0)
def slow_write(workspace_id, action, seconds):
    calls[action].append('run')
    activity.record(workspace_id, None, action, 'test')
    time.sleep(seconds)


@huey.task(exactly_once=True)
def add_once(a, b):
    calls['add_once'].append((a, b))
    return a + b


@huey.task(exactly_once=True)
def mark_later(directory, name):
    """Leaves the mark through a job of its own, accepted with this job's effect."""
    leave_mark(directory, name)
