"""Notifications: stored rows, their real-time event, and their push text."""
from collab.transactions import writing
from collab.fields import utcnow
from collab.models import Notification

TITLES = {
    'digest': 'Daily digest: {workspace}',
    'document.updated': '{user} edited “{title}”',
    'document.created': '{user} created “{title}”',
    'invite.accepted': '{user} joined {workspace}',
    'export.ready': 'Your export of {workspace} is ready',
    'export.failed': 'Your export of {workspace} failed',
    'message.posted': '{user} in #{channel}',
}


def store(user_id, type_, data):
    """Create the notification (in the running job's transaction, when there is one)."""
    with writing():
        return Notification.create(user=user_id, type=type_, data=data or {})


def store_many(user_ids, type_, data, batch_key):
    """Create one notification per user in one transaction: the rows, in the order
    of `user_ids`. Each is keyed `<batch_key>:<user id>` (a job's id), which
    finds them again after the insert and keeps a batch from storing twice."""
    keys = [f'{batch_key}:{user_id}' for user_id in user_ids]
    with writing():
        Notification.insert_many([{'user': uid, 'type': type_, 'data': data or {},
                                   'dedupe_key': key} for uid, key in zip(user_ids, keys)]).execute()
        made = {n.dedupe_key: n for n in Notification.select().where(Notification.dedupe_key.in_(keys))}
    return [made[key] for key in keys]


def title_and_body(type_, data):
    data = data or {}
    template = TITLES.get(type_, type_)
    try:
        title = template.format_map(_Blank(data))
    except (ValueError, IndexError):
        title = type_
    return title, data.get('body') or data.get('summary') or ''


class _Blank(dict):
    def __missing__(self, key):
        return '?'


def event(notification):
    """What a socket receives."""
    title, body = title_and_body(notification.type, notification.data)
    data = notification.to_dict()
    data.update(title=title, body=body)
    return {'type': 'notification', 'data': data}


def mark_read(user, notification_id=None):
    query = Notification.update(read_at=utcnow()).where(
        (Notification.user == user) & Notification.read_at.is_null())
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return query.execute()


def unread_count(user):
    return Notification.select().where(
        (Notification.user == user) & Notification.read_at.is_null()).count()
