"""Periodic tasks that run once per slot, however many consumers enqueue them.

Every consumer's scheduler enqueues a periodic task at its time. The first run
to claim the slot's key in the shared queue storage (an atomic put-if-empty,
on SQLite and Redis alike) does the work; the others return 'skipped' at once
— not an error, so nothing is retried. A run that fails releases its claim,
so its own retry can take the slot again.
"""
import functools
import logging
import time

from tasks.queue import huey

log = logging.getLogger('collab.tasks')

SKIPPED = 'skipped'
HOUR, DAY, WEEK = 3600, 86400, 7 * 86400


def slot_key(name, slot):
    return f'slot:{name}:{slot}'


def once_per_slot(slot_seconds):
    """Decorate a periodic task's function; slots are aligned to the epoch (UTC)."""
    def decorator(fn):
        name = f'{fn.__module__}.{fn.__name__}'

        @functools.wraps(fn)
        def run_if_first(*args, **kwargs):
            slot = int(time.time()) // slot_seconds
            key = slot_key(name, slot)
            if not huey.put_if_empty(key, '1'):
                log.info('%s: slot %s already run by another consumer; skipped', name, slot)
                return SKIPPED
            huey.delete(slot_key(name, slot - 1))   # keeps the key store from growing
            try:
                return fn(*args, **kwargs)
            except Exception:
                huey.delete(key)
                raise
        return run_if_first
    return decorator
