"""Queue-side admin actions: retry a job from its stored message, revoke, and
run now / pause / resume periodic tasks (pause flags: collab.jobs.pausing)."""
from collab.jobs import pausing
from collab.jobs.ids import time_ordered_id
from collab.jobs.instance import huey


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


def periodic_tasks():
    """{display name: task class} of every registered periodic task."""
    return pausing.periodic_tasks(huey)


def run_now(name):
    """Enqueue one run of a periodic task now (also when it is paused, or when its
    slot has already run). Returns its id."""
    cls = pausing.periodic_task(huey, name)
    task = cls(kwargs={'force': True} if cls.once_per_slot else None)
    huey.enqueue(task)
    return task.id


def pause(name):
    pausing.pause(huey, name)


def resume(name):
    pausing.resume(huey, name)


def is_paused(name):
    return pausing.is_paused(huey, name)


def paused_names():
    return pausing.paused_names(huey)
