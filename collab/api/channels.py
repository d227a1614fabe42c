"""Chat channels and their messages (a message is deleted by its author, an owner or
an admin)."""
from flask import Blueprint, g, jsonify

from collab import operations, validation as v, workspace_actions
from collab.access import require, require_author_or_manager
from collab.api.common import ID, before_id
from collab.validation import content
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
    return jsonify({'channels': [c.to_dict() for c in rows]})


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
    body = content(v.json_body(), 'body', max_length=MAX_MESSAGE)
    if not body.strip():
        raise ApiError(400, 'body must not be empty', 'body')
    return jsonify(operations.post_message(channel, g.user, body).to_dict()), 201


@bp.delete(f'/messages/<{ID}:message_id>')
@login_required
def delete_message(message_id):
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise ApiError(404, 'no such message')
    channel = message.channel
    require_author_or_manager(channel.workspace_id, message.user_id, 'message')
    workspace_actions.delete_message(message, channel, g.user)
    return jsonify({'deleted': message.id})
