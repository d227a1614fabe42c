"""The current user's notifications."""
from flask import Blueprint, g, jsonify, request

from collab import notification_settings, notifications, validation
from collab.api.common import ID, before_id
from collab.auth import login_required
from collab.errors import ApiError
from collab.models import Notification
from collab.validation import int_arg

bp = Blueprint('api_notifications', __name__, url_prefix='/api/notifications')


@bp.get('')
@login_required
def list_notifications():
    unread = request.args.get('unread', '')
    if unread not in ('', '0', '1', 'true', 'false'):
        raise ApiError(400, 'unread must be 1 or 0', 'unread')
    query = Notification.select().where(Notification.user == g.user)
    if unread in ('1', 'true'):
        query = query.where(Notification.read_at.is_null())
    before = before_id()
    if before:
        query = query.where(Notification.id < before)
    limit = int_arg('limit', 50, 1, 1000)
    rows = list(query.order_by(Notification.id.desc()).limit(limit))
    # `limit` counts notifications; repeats among them come as one entry with a count.
    return jsonify({'notifications': notifications.grouped(rows),
                    'unread': notifications.unread_count(g.user),
                    'next_before': rows[-1].id if len(rows) == limit else None})


@bp.get('/settings')
@login_required
def get_settings():
    return jsonify(notification_settings.describe(g.user))


@bp.put('/settings')
@login_required
def put_settings():
    """{push?: bool, kinds?: {kind: bool}}: what is left out stays as it was."""
    data = validation.json_body()
    push, kinds = validation.boolean(data, 'push'), data.get('kinds')
    if kinds is not None:
        known = notification_settings.KINDS
        if not isinstance(kinds, dict) or not all(
                kind in known and isinstance(on, bool) for kind, on in kinds.items()):
            raise ApiError(400, 'kinds must map known kinds to true or false', 'kinds')
    user = notification_settings.change(g.user, push=push, kinds=kinds)
    return jsonify(notification_settings.describe(user))


@bp.post(f'/<{ID}:notification_id>/read')
@login_required
def mark_read(notification_id):
    row = Notification.get_or_none(Notification.id == notification_id)
    if row is None:
        raise ApiError(404, 'no such notification')
    if row.user_id != g.user.id:
        raise ApiError(403, 'this notification is not yours')
    notifications.mark_read(g.user, notification_id)
    return jsonify({'read': notification_id, 'unread': notifications.unread_count(g.user)})


@bp.post('/read-all')
@login_required
def mark_all_read():
    count = notifications.mark_read(g.user)
    return jsonify({'marked': count, 'unread': 0})
