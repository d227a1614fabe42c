"""Chat channels and their messages (a message is edited by its author, deleted by
its author, an owner or an admin), and each member's read marker per channel.
Every change to a message is pushed live to the members viewing its channel
(collab/channel_live.py)."""
from flask import Blueprint, current_app, g, jsonify, request

from collab import channel_live, channel_reads, operations, validation as v, workspace_actions
from collab.access import require, require_author_or_manager
from collab.api.common import ID, before_id
from collab.validation import MAX_ID, content
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.models import Channel, Message

bp = Blueprint('api_channels', __name__, url_prefix='/api')
MAX_MESSAGE = 10_000


@bp.get(f'/workspaces/<{ID}:workspace_id>/channels')
@login_required
def list_channels(workspace_id):
    workspace, _ = membership(workspace_id)
    rows = Channel.select().where(Channel.workspace == workspace).order_by(Channel.name)
    unread = channel_reads.unread_counts(g.user.id, workspace.id)
    return jsonify({'channels': [dict(c.to_dict(), unread=unread.get(c.id, 0)) for c in rows]})


@bp.post(f'/workspaces/<{ID}:workspace_id>/channels')
@login_required
def create_channel(workspace_id):
    workspace, _ = membership(workspace_id)
    name = v.lowered(v.text(v.json_body(), 'name', 80), 'name', 80)
    if Channel.select().where((Channel.workspace == workspace) & (Channel.name == name)).exists():
        raise ApiError(409, 'a channel with this name already exists', 'name')
    return jsonify(operations.create_channel(workspace, g.user, name).to_dict()), 201


@bp.get(f'/channels/<{ID}:channel_id>/messages')
@login_required
def list_messages(channel_id):
    channel = require(Channel, channel_id, 'channel')
    limit, before = v.int_arg('limit', 50, 1, 1000), before_id()
    query = Message.select().where(Message.channel == channel)
    if before:
        query = query.where(Message.id < before)
    rows = list(query.order_by(Message.id.desc()).limit(limit))
    return jsonify({'messages': [m.to_dict() for m in rows],
                    'next_before': rows[-1].id if len(rows) == limit else None})


@bp.post(f'/channels/<{ID}:channel_id>/messages')
@login_required
def post_message(channel_id):
    channel = require(Channel, channel_id, 'channel')
    message = operations.post_message(channel, g.user, message_body())
    channel_live.announce(settings(), channel_live.POSTED, message, channel, g.user.id)
    return jsonify(message.to_dict()), 201


@bp.patch(f'/messages/<{ID}:message_id>')
@login_required
def edit_message(message_id):
    message = message_or_404(message_id)
    channel = message.channel
    require(Channel, channel.id, 'channel')
    if message.user_id != g.user.id:
        raise ApiError(403, 'only the member who wrote this message can edit it')
    message = operations.edit_message(message, channel, g.user, message_body())
    channel_live.announce(settings(), channel_live.EDITED, message, channel, g.user.id)
    return jsonify(message.to_dict())


@bp.post(f'/channels/<{ID}:channel_id>/read')
@login_required
def mark_channel_read(channel_id):
    """Move your read marker: to `message_id`, or to the newest message."""
    channel = require(Channel, channel_id, 'channel')
    data = v.json_body() if request.get_data() else {}
    up_to = data.get('message_id')
    if up_to is not None and (type(up_to) is not int or not 0 <= up_to <= MAX_ID):
        raise ApiError(400, f'message_id must be a whole number from 0 to {MAX_ID}', 'message_id')
    last_read = channel_reads.mark_read(g.user.id, channel, up_to)
    unread = channel_reads.unread_in(g.user.id, channel.id)
    channel_live.announce_read(settings(), g.user.id, channel, unread)
    return jsonify({'channel_id': channel.id, 'last_read_id': last_read, 'unread': unread})


def message_body():
    body = content(v.json_body(), 'body', max_length=MAX_MESSAGE)
    if not body.strip():
        raise ApiError(400, 'body must not be empty', 'body')
    return body


def message_or_404(message_id):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise ApiError(404, 'no such message')
    return message


def settings():
    return current_app.config['SETTINGS']


@bp.delete(f'/messages/<{ID}:message_id>')
@login_required
def delete_message(message_id):
    message = message_or_404(message_id)
    channel = message.channel
    require_author_or_manager(channel.workspace_id, message.user_id, 'message')
    workspace_actions.delete_message(message, channel, g.user)
    channel_live.announce(settings(), channel_live.DELETED, message, channel, g.user.id)
    return jsonify({'deleted': message.id})
