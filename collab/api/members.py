"""Workspace members, with who is online now and when each was last seen."""
from flask import Blueprint, current_app, jsonify
from peewee import JOIN

from collab import broadcast
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.fields import iso
from collab.models import LastSeen, Member, User

bp = Blueprint('api_members', __name__, url_prefix='/api')


@bp.get(f'/workspaces/<{ID}:workspace_id>/members')
@login_required
def list_members(workspace_id):
    workspace, _ = membership(workspace_id)
    online = broadcast.online_users(current_app.config['SETTINGS']).online_user_ids()
    rows = (Member.select(Member, User, LastSeen.last_seen_at)
            .join(User).switch(Member)
            .join(LastSeen, on=(LastSeen.user == Member.user), join_type=JOIN.LEFT_OUTER,
                  attr='last_seen')
            .where(Member.workspace == workspace).order_by(Member.joined_at, Member.id))
    return jsonify({'members': [member_dict(m, online) for m in rows]})


def member_dict(member, online):
    seen = getattr(member, 'last_seen', None)
    return {'user_id': member.user_id, 'name': member.user.name, 'email': member.user.email,
            'role': member.role, 'joined_at': iso(member.joined_at),
            'online': member.user_id in online,
            'last_seen_at': iso(seen.last_seen_at) if seen else None}
