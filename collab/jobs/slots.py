"""Periodic tasks that run once per slot however many consumers run, and catch up after downtime.

A slot is the scheduled moment a run serves: the latest minute, at or before
now, that the task's crontab names. Every consumer's scheduler enqueues the
task at that minute; the first run to claim the slot's key in the shared
queue storage (an atomic put-if-empty, on SQLite and Redis alike) does the
work, the others return 'skipped' at once — not an error, so nothing is
retried. A run that fails releases its claim, so its own retry can take it.

With `catch_up=True`, a consumer starting after downtime runs a task whose
latest slot has no claim — once, however many slots were missed and however
many consumers start: the slot key decides, as for any run. Only slots after
the schedule's first start count: a first start has missed nothing.
"""
import functools
import logging
from datetime import datetime, timedelta

from collab.jobs.names import task_name

log = logging.getLogger('collab.tasks')

SKIPPED = 'skipped'
LOOKBACK = timedelta(days=8)   # covers weekly schedules


def slot_key(name, slot):
    return f'slot:{name}:{slot:%Y-%m-%dT%H:%M}'


def latest_slot(schedule, now):
    """The latest minute at or before `now` (UTC, naive) that `schedule` names, or None."""
    minute = now.replace(second=0, microsecond=0)
    for _ in range(int(LOOKBACK / timedelta(minutes=1))):
        if schedule(minute):
            return minute
        minute -= timedelta(minutes=1)
    return None


def periodic_once(huey, schedule, catch_up=False, **options):
    """Register a periodic task on `huey` (its periodic_task) that runs once per slot.

    `catch_up`: after downtime, run the missed latest slot once when a consumer starts.
    Admins' "run now" passes force=True to run outside the slot rule.
    """
    def decorator(fn):
        name = f'{fn.__module__}.{fn.__name__}'

        @functools.wraps(fn)
        def run_once_per_slot(force=False):
            slot = latest_slot(schedule, huey._get_timestamp())
            key = slot_key(name, slot)
            if not force and not huey.put_if_empty(key, '1'):
                log.info('%s: slot %s already run by another consumer; skipped', name, slot)
                return SKIPPED
            previous = latest_slot(schedule, slot - timedelta(minutes=1))
            if previous is not None:
                huey.delete(slot_key(name, previous))   # keeps the key store small
            try:
                return fn()
            except Exception:
                huey.delete(key)
                raise

        task = huey.periodic_task(schedule, **options)(run_once_per_slot)
        task.task_class.schedule = staticmethod(schedule)
        task.task_class.catch_up = catch_up
        task.task_class.once_per_slot = True
        return task
    return decorator


def schedule_start(huey, name, now):
    """When a consumer first saw this task's schedule (the first start ever, as
    recorded by whichever consumer was first): no slot before it was missed.
    `now` is recorded when no consumer has yet."""
    key = f'schedule-since:{name}'
    huey.storage.put_if_empty(key, now.isoformat().encode())
    return datetime.fromisoformat(bytes(huey.storage.peek_data(key)).decode())


def catch_up_missed(huey, skip=frozenset()):
    """Enqueue one run of each catch-up task whose latest slot came after the
    schedule's first start and was never claimed. A fresh install catches up
    nothing. Returns the names enqueued; `skip`: names not to run (paused)."""
    now = huey._get_timestamp()
    started = []
    for task in huey._registry.periodic_tasks:
        cls = type(task)
        if not cls.catch_up:
            continue
        name, shown = f'{cls.__module__}.{cls.__name__}', task_name(task)
        slot = latest_slot(cls.schedule, now)
        if (slot is None or slot <= schedule_start(huey, name, now) or shown in skip
                or huey.storage.has_data_for_key(slot_key(name, slot))):
            continue
        huey.enqueue(task)
        started.append(shown)
    return started
