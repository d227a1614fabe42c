"""Notifications: stored rows (for the users who want that kind), their real-time
event, their push text, the page each is about, and repeats grouped into one entry."""
from datetime import timedelta

from collab import notification_settings
from collab.transactions import writing
from collab.fields import iso, utcnow
from collab.models import Notification

TITLES = {
    'digest': 'Daily digest: {workspace}',
    'document.updated': '{user} edited “{title}”',
    'document.created': '{user} created “{title}”',
    'invite.accepted': '{user} joined {workspace}',
    'export.ready': 'Your export of {workspace} is ready',
    'export.failed': 'Your export of {workspace} failed',
    'message.posted': '{user} posted in #{channel}',
}


def store(user_id, type_, data):
    """Create the notification (in the running job's transaction, when there is one);
    None when the user turned this kind off."""
    if not notification_settings.wanting([user_id], type_):
        return None
    with writing():
        return Notification.create(user=user_id, type=type_, data=data or {})


def store_many(user_ids, type_, data, batch_key):
    """Create one notification per user who wants this kind, in one transaction: the
    rows, in the order of `user_ids`. Each is keyed `<batch_key>:<user id>` (a job's
    id), which finds them again after the insert and keeps a batch from storing twice."""
    wanting = notification_settings.wanting(user_ids, type_)
    user_ids = [uid for uid in user_ids if uid in wanting]
    if not user_ids:
        return []
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
    data.update(title=title, body=body, link=link(notification.type, notification.data))
    return {'type': 'notification', 'data': data}


def link(type_, data):
    """The page a notification is about (a path: tasks have no request to build URLs
    with; tests/test_notification_entries.py opens each)."""
    data = data or {}
    download = data.get('download_url')
    if isinstance(download, str) and download.startswith('/') and not download.startswith('//'):
        return download   # a path on this site only
    if type_ == 'export.failed' and isinstance(data.get('workspace_id'), int):
        return f"/w/{data['workspace_id']}#exports"   # where it says why, and to try again
    for keys, path in TARGET_PAGES:
        if all(isinstance(data.get(key), int) for key in keys):
            return path.format_map(data)
    return '/notifications'


# The most specific target first: a document or message is also in a workspace.
TARGET_PAGES = ((('channel_id', 'message_id'), '/c/{channel_id}#message-{message_id}'),
                (('document_id',), '/d/{document_id}'), (('channel_id',), '/c/{channel_id}'),
                (('file_id',), '/api/files/{file_id}'), (('export_id',), '/exports/{export_id}'),
                (('workspace_id',), '/w/{workspace_id}'))

# Repeats of one kind, by one person, about one thing, this close to the newest of
# them, are one entry: "Ann edited “Spec” 8 times".
GROUP_WINDOW = timedelta(hours=24)
GROUP_TITLES = {'document.updated': '{user} edited “{title}” {count} times',
                'message.posted': '{user} posted {count} messages in #{channel}'}
# Kinds whose repeats are about a wider thing than each one's target (each message
# is its own, but "Ann posted 8 messages in #general" is one entry per channel), and
# the field that orders their targets: the entry shows the newest target, as jobs
# may store the notifications of quick repeats out of order.
GROUP_BY = {'message.posted': (('channel_id',), 'message_id')}


def grouped(rows):
    """Notifications (newest first) as entries, each a group of repeats with their count."""
    groups, open_groups = [], {}
    for row in rows:
        key = _group_key(row)
        group = open_groups.get(key)
        if group is not None and group['newest'].created_at - row.created_at <= GROUP_WINDOW:
            group['rows'].append(row)
            continue
        group = {'newest': row, 'rows': [row]}
        open_groups[key] = group
        groups.append(group)
    return [_entry(group['rows']) for group in groups]


def _group_key(row):
    """Its kind, who did it, and the thing it is about."""
    data = row.data or {}
    wider = GROUP_BY[row.type][0] if row.type in GROUP_BY else None
    if wider and all(key in data for key in wider):
        return row.type, str(data.get('user')), wider, tuple(str(data[k]) for k in wider)
    for keys, _ in TARGET_PAGES:
        if all(key in data for key in keys):
            return row.type, str(data.get('user')), keys, tuple(str(data[k]) for k in keys)
    return row.type, str(data.get('user')), None, None


def _entry(rows):
    newest = _shown(rows)
    entry = event(newest)['data']
    count = len(rows)
    entry.update(count=count, ids=[r.id for r in rows], read=all(r.read_at for r in rows),
                 first_at=iso(rows[-1].created_at))
    if count > 1:
        data = _Blank(newest.data or {}, count=count)
        template = GROUP_TITLES.get(newest.type)
        entry['title'] = (template.format_map(data) if template
                          else f"{entry['title']} ({count} times)")
    return entry


def _shown(rows):
    """The row an entry shows: the newest (rows come newest first), or the one about
    the newest target for a kind grouped wider than its targets."""
    if rows[0].type not in GROUP_BY:
        return rows[0]
    order = GROUP_BY[rows[0].type][1]
    return max(rows, key=lambda row: _number((row.data or {}).get(order)))


def _number(value):
    return value if isinstance(value, int) else 0


def mark_read(user, notification_id=None):
    query = Notification.update(read_at=utcnow()).where(
        (Notification.user == user) & Notification.read_at.is_null())
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return query.execute()


def unread_count(user):
    return Notification.select().where(
        (Notification.user == user) & Notification.read_at.is_null()).count()
