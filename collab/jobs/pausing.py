"""Pause flags of periodic tasks, in Huey's own key-value storage (the SQLite
queue file or Redis), so every consumer sharing the queue sees them; the
scheduler skips a paused periodic task (collab.jobs.consumer.PausableScheduler)."""
from collab.jobs.names import task_name

PAUSE_KEY = 'collab:paused-periodic:'


class UnknownTask(LookupError):
    """No periodic task of that name is registered."""


def periodic_tasks(huey):
    """{display name: task class} of every registered periodic task."""
    return {task_name(task): type(task) for task in huey._registry.periodic_tasks}


def periodic_task(huey, name):
    cls = periodic_tasks(huey).get(name)
    if cls is None:
        raise UnknownTask(name)
    return cls


def pause(huey, name):
    periodic_task(huey, name)
    huey.storage.put_data(PAUSE_KEY + name, b'1')


def resume(huey, name):
    periodic_task(huey, name)
    huey.storage.delete_data(PAUSE_KEY + name)


def is_paused(huey, name):
    return huey.storage.has_data_for_key(PAUSE_KEY + name)


def paused_names(huey):
    return {name for name in periodic_tasks(huey) if is_paused(huey, name)}
