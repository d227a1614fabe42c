"""Queue-side admin actions: retry a job from its stored message, revoke, and
run now / pause / resume periodic tasks.

Pause flags live in Huey's own key-value storage (the SQLite queue file or
Redis), so every consumer sharing the queue sees them; the scheduler skips a
paused periodic task (PausableScheduler, used by collab.jobs.runner).
"""
import logging

from huey.consumer import Scheduler

from collab.jobs.engine import huey, task_name, time_ordered_id

log = logging.getLogger('collab.tasks')

PAUSE_KEY = 'collab:paused-periodic:'


class UnknownTask(LookupError):
    """No periodic task of that name is registered."""


def retry_message(message):
    """Enqueue the task of a stored signed message again: same task and args,
    a new id and fresh retries; the ledger records the old job as its parent.

    Returns the new task id. Raises PoisonMessage if the message is not ours.
    """
    old = huey.deserialize_task(bytes(message))
    fresh = _fresh_copy(old)
    outer = huey.context.current
    huey.context.current = old
    try:
        huey.enqueue(fresh)
    finally:
        huey.context.current = outer
    return fresh.id


def _fresh_copy(task):
    cls = type(task)
    return cls(args=task.args, kwargs=task.kwargs, id=time_ordered_id(),
               retries=cls.default_retries, retry_delay=cls.default_retry_delay,
               retry_backoff=cls.default_retry_backoff, priority=task.priority,
               expires=task.expires, on_complete=task.on_complete,
               on_error=task.on_error, timeout=task.timeout,
               chord_config=task.chord_config)


def revoke(job_id):
    """Revoke a queued or scheduled job; the consumer skips it when it comes up."""
    huey.revoke_by_id(job_id, revoke_once=True)


# ---------------------------------------------------------------- periodic tasks

def periodic_tasks():
    """{display name: task class} of every registered periodic task."""
    return {task_name(task): type(task) for task in huey._registry.periodic_tasks}


def _periodic(name):
    cls = periodic_tasks().get(name)
    if cls is None:
        raise UnknownTask(name)
    return cls


def run_now(name):
    """Enqueue one run of a periodic task now (also when it is paused, or when its
    slot has already run). Returns its id."""
    cls = _periodic(name)
    task = cls(kwargs={'force': True} if getattr(cls, 'once_per_slot', False) else None)
    huey.enqueue(task)
    return task.id


def pause(name):
    _periodic(name)
    huey.storage.put_data(PAUSE_KEY + name, b'1')


def resume(name):
    _periodic(name)
    huey.storage.delete_data(PAUSE_KEY + name)


def is_paused(name):
    return huey.storage.has_data_for_key(PAUSE_KEY + name)


def paused_names():
    return {name for name in periodic_tasks() if is_paused(name)}


class PausableScheduler(Scheduler):
    """Huey's scheduler, skipping periodic tasks an admin has paused."""

    def enqueue_periodic_tasks(self, now):
        try:
            paused = paused_names()
        except Exception:
            log.exception('could not read paused periodic tasks; running all')
            paused = set()
        for task in self.huey.read_periodic(now):
            name = task_name(task)
            if name in paused:
                log.info('periodic task %s is paused; skipped', name)
                continue
            log.info('enqueueing periodic task %s', name)
            try:
                self.huey.enqueue(task)
            except Exception:
                log.exception('error enqueueing periodic task %s', name)
