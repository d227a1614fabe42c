"""Notifications: store and deliver in real time, in batches, and by push."""
import logging

from huey import group

from collab import broadcast, notifications, push
from collab.models import User
from collab.jobs.effects import after_commit
from collab.jobs.instance import huey

log = logging.getLogger('collab.tasks')


# Users per job of a batch: their notifications are stored in one transaction.
BATCH_CHUNK = 200


@huey.task(exactly_once=True)
def send_notification(user_id, type, data):
    """Store a Notification and, once it has committed, send it to the user's sockets."""
    if not User.select().where(User.id == user_id).exists():
        return None
    notification = notifications.store(user_id, type, data)
    if notification is None:
        return None   # the user turned this kind off: nothing stored, sent or pushed
    _deliver([notification], type, data)
    return notification.id


@huey.task(exactly_once=True)
def send_batch_notifications(user_ids, type, data):
    """Notify many users: a Huey group of send_notifications jobs, BATCH_CHUNK users each."""
    user_ids = sorted(set(user_ids))
    chunks = [user_ids[i:i + BATCH_CHUNK] for i in range(0, len(user_ids), BATCH_CHUNK)]
    if chunks:
        huey.enqueue(group([send_notifications.s(chunk, type, data) for chunk in chunks]))
    return len(user_ids)


@huey.task(context=True, exactly_once=True)
def send_notifications(user_ids, type, data, task=None):
    """Store a Notification for each user in one transaction and, once it has
    committed, send each to its user's sockets."""
    known = [row.id for row in User.select(User.id).where(User.id.in_(user_ids)).order_by(User.id)]
    if not known:
        return 0
    stored = notifications.store_many(known, type, data, task.id)   # who want this kind
    _deliver(stored, type, data)
    return len(stored)


def _deliver(stored, type, data):
    """Push them (to users who want push: jobs accepted with the notifications)
    and, once they have committed, send each to its user's sockets."""
    wanting_push = _wanting_push([n.user_id for n in stored])
    for notification in stored:
        if notification.user_id in wanting_push:
            title, body = notifications.title_and_body(type, data)
            send_push_notification(notification.user_id, title, body,
                                   dict(data or {}, type=type, notification_id=notification.id))
    events = [(n.user_id, notifications.event(n)) for n in stored]
    after_commit(huey, lambda: _publish(events))


def _publish(events):
    publisher = broadcast.broadcaster(huey.settings)
    for user_id, event in events:
        publisher.publish([user_id], event)


@huey.task(context=True)
def send_push_notification(user_id, title, body, data, task=None):
    """POST to PUSH_WEBHOOK_URL; skipped when it is unset or the user turned push off.

    At least once: the POST carries the job's id as its Idempotency-Key, the
    same on every retry, so the receiver can drop a repeat."""
    url = huey.settings.push_webhook_url
    user = User.get_or_none(User.id == user_id)
    if not url or user is None or not user.push_enabled:
        return 'skipped'
    return push.send(url, user.email, title, body, data, idempotency_key=task.id)


def _wanting_push(user_ids):
    """Those of these users who get push notifications (none while PUSH_WEBHOOK_URL is unset)."""
    if not user_ids or not huey.settings.push_webhook_url:
        return set()
    return {row.id for row in User.select(User.id).where(
        User.id.in_(user_ids) & (User.push_enabled == True))}  # noqa: E712
