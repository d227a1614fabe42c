"""Crash recovery: messages claimed by a consumer that is gone go back on the queue.

A consumer that was killed (no heartbeat) or stopped with tasks still running
leaves its claims in storage. Any live consumer puts them back, each one
counting as a failed attempt: a task that kills its consumer every time ends
`failed` instead of looping.
"""
import logging

from collab.jobs import alerts
from collab.jobs.engine import PoisonMessage
from collab.jobs.models import live_consumers
from collab.jobs.names import task_name

log = logging.getLogger('collab.recovery')


def recover_orphaned_claims(huey, own_id):
    """Release the claims of every consumer that is not alive. Returns how many were handled."""
    alive = {c.id for c in live_consumers()} | {own_id}
    handled = 0
    for owner in huey.storage.claim_owners() - alive:
        for token, data in huey.storage.claimed(owner):
            handled += _release(huey, owner, token, data)
    return handled


def _release(huey, owner, token, data):
    try:
        task = huey.deserialize_task(data)
    except PoisonMessage as exc:
        huey.refuse(exc, 'recovery')
        return int(huey.storage.release(owner, token, None))
    retry = task.retries > 0
    if retry:
        task.retries -= 1
    message = huey.serialize_task(task) if retry else None
    if not huey.storage.release(owner, token, message):
        return 0   # another consumer released it first
    reason = f'interrupted: consumer {owner} stopped while running it'
    huey.ledger.record_recovery(task, reason, final=not retry)
    if retry:
        huey.wakeup.notify()
        log.warning('recovered %s %s from %s; retrying (%d retries left)',
                    task_name(task), task.id, owner, task.retries)
    else:
        alerts.report_final_failure(huey, task, reason)
    return 1
