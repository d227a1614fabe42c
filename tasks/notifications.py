"""Notifications: store and deliver in real time, in batches, and by push."""
import logging

from huey import group

from collab import broadcast, notifications, push
from collab.models import User
from collab.jobs.instance import huey

log = logging.getLogger('collab.tasks')


@huey.task(context=True)
def send_notification(user_id, type, data, task=None):
    """Store a Notification (once per task, however often retried) and send it to the user's sockets."""
    if not User.select().where(User.id == user_id).exists():
        return None
    dedupe = task.id if task is not None else None
    notification, created = notifications.store(user_id, type, data, dedupe)
    if created and _push_wanted(user_id):
        title, body = notifications.title_and_body(type, data)
        send_push_notification(user_id, title, body, dict(data or {}, type=type,
                                                          notification_id=notification.id))
    broadcast.broadcaster(huey.settings).publish([user_id], notifications.event(notification))
    return notification.id


@huey.task()
def send_batch_notifications(user_ids, type, data):
    """One send_notification per user, as a Huey group."""
    user_ids = sorted(set(user_ids))
    if user_ids:
        huey.enqueue(group([send_notification.s(uid, type, data) for uid in user_ids]))
    return len(user_ids)


@huey.task()
def send_push_notification(user_id, title, body, data):
    """POST to PUSH_WEBHOOK_URL; skipped when it is unset or the user turned push off."""
    url = huey.settings.push_webhook_url
    user = User.get_or_none(User.id == user_id)
    if not url or user is None or not user.push_enabled:
        return 'skipped'
    return push.send(url, user.email, title, body, data)


def _push_wanted(user_id):
    return bool(huey.settings.push_webhook_url) and User.select().where(
        (User.id == user_id) & (User.push_enabled == True)).exists()  # noqa: E712
