"""Notifications: stored rows, their real-time event, and their push text."""
from peewee import IntegrityError

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


def store(user_id, type_, data, dedupe_key=None):
    """Create the notification, or return the one this dedupe key already made."""
    if dedupe_key:
        existing = Notification.get_or_none(Notification.dedupe_key == dedupe_key)
        if existing is not None:
            return existing, False
    try:
        with writing():
            return Notification.create(user=user_id, type=type_, data=data or {},
                                       dedupe_key=dedupe_key), True
    except IntegrityError:
        return Notification.get(Notification.dedupe_key == dedupe_key), False


def store_many(user_ids, type_, data, dedupe_prefix):
    """Create one notification per user in one transaction, once per user and
    prefix (a job's id): [(notification, created)] in the order of `user_ids`."""
    keys = {user_id: f'{dedupe_prefix}:{user_id}' for user_id in user_ids}
    with writing():
        found = {n.dedupe_key: n for n in
                 Notification.select().where(Notification.dedupe_key.in_(list(keys.values())))}
        missing = [uid for uid in user_ids if keys[uid] not in found]
        Notification.insert_many([{'user': uid, 'type': type_, 'data': data or {},
                                   'dedupe_key': keys[uid]} for uid in missing]).execute()
        made = {n.dedupe_key: n for n in Notification.select().where(
            Notification.dedupe_key.in_([keys[uid] for uid in missing]))} if missing else {}
    return [(found[keys[uid]], False) if keys[uid] in found else (made[keys[uid]], True)
            for uid in user_ids]


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
