"""Notifications: store and deliver in real time, in batches, and by push."""
import logging

from huey import group

from collab import broadcast, notifications, push
from collab.models import User
from collab.jobs.instance import huey

log = logging.getLogger('collab.tasks')


# Users per job of a batch: their notifications are stored in one transaction.
BATCH_CHUNK = 200


@huey.task(context=True)
def send_notification(user_id, type, data, task=None):
    """Store a Notification (once per task, however often retried) and send it to the user's sockets."""
    if not User.select().where(User.id == user_id).exists():
        return None
    dedupe = task.id if task is not None else None
    notification, created = notifications.store(user_id, type, data, dedupe)
    _deliver([(notification, created)], type, data)
    return notification.id


@huey.task()
def send_batch_notifications(user_ids, type, data):
    """Notify many users: a Huey group of send_notifications jobs, BATCH_CHUNK users each."""
    user_ids = sorted(set(user_ids))
    chunks = [user_ids[i:i + BATCH_CHUNK] for i in range(0, len(user_ids), BATCH_CHUNK)]
    if chunks:
        huey.enqueue(group([send_notifications.s(chunk, type, data) for chunk in chunks]))
    return len(user_ids)


@huey.task(context=True)
def send_notifications(user_ids, type, data, task=None):
    """Store a Notification for each user (once per task and user, however often
    retried) in one transaction, and send each to its user's sockets."""
    known = [row.id for row in User.select(User.id).where(User.id.in_(user_ids)).order_by(User.id)]
    if not known:
        return 0
    _deliver(notifications.store_many(known, type, data, task.id), type, data)
    return len(known)


def _deliver(stored, type, data):
    """Push the new ones (to users who want push) and send each to its user's sockets."""
    created = [n for n, new in stored if new]
    wanting_push = _wanting_push([n.user_id for n in created])
    for notification in created:
        if notification.user_id in wanting_push:
            title, body = notifications.title_and_body(type, data)
            send_push_notification(notification.user_id, title, body,
                                   dict(data or {}, type=type, notification_id=notification.id))
    publisher = broadcast.broadcaster(huey.settings)
    for notification, _ in stored:
        publisher.publish([notification.user_id], notifications.event(notification))


@huey.task()
def send_push_notification(user_id, title, body, data):
    """POST to PUSH_WEBHOOK_URL; skipped when it is unset or the user turned push off."""
    url = huey.settings.push_webhook_url
    user = User.get_or_none(User.id == user_id)
    if not url or user is None or not user.push_enabled:
        return 'skipped'
    return push.send(url, user.email, title, body, data)


def _wanting_push(user_ids):
    """Those of these users who get push notifications (none while PUSH_WEBHOOK_URL is unset)."""
    if not user_ids or not huey.settings.push_webhook_url:
        return set()
    return {row.id for row in User.select(User.id).where(
        User.id.in_(user_ids) & (User.push_enabled == True))}  # noqa: E712
