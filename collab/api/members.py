"""Workspace members, with who is online now and when each was last seen; changing a
member's role, removing a member, leaving."""
from flask import Blueprint, current_app, g, jsonify
from peewee import JOIN

from collab import broadcast, validation as v, workspace_actions
from collab.access import require_manager, require_owner
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
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


def _target(workspace, user_id):
    member = Member.get_or_none((Member.workspace == workspace)
                                & (Member.user == v.row_id(user_id, 'member')))
    if member is None:
        raise ApiError(404, 'no such member in this workspace')
    return member


@bp.patch(f'/workspaces/<{ID}:workspace_id>/members/<{ID}:user_id>')
@login_required
def change_role(workspace_id, user_id):
    """Owners and admins make members admins and back; only an owner makes an owner
    (a transfer of ownership) or changes an owner's role."""
    workspace, _ = membership(workspace_id)
    require_manager(workspace.id, 'change roles')
    role = v.text(v.json_body(), 'role', 10)
    if role not in Member.ROLES:
        raise ApiError(400, f"role must be one of {', '.join(Member.ROLES)}", 'role')
    member = _target(workspace, user_id)
    if Member.OWNER in (role, member.role):
        require_owner(workspace.id, "make an owner or change an owner's role")
    member = workspace_actions.change_role(member, role, g.user)
    return jsonify({'user_id': member.user_id, 'role': member.role})


@bp.delete(f'/workspaces/<{ID}:workspace_id>/members/<{ID}:user_id>')
@login_required
def remove_member(workspace_id, user_id):
    """Leave (your own id), or, as an owner or admin, remove someone; only an owner
    removes an owner."""
    workspace, _ = membership(workspace_id)
    member = _target(workspace, user_id)
    if member.user_id != g.user.id:
        require_manager(workspace.id, 'remove members')
        if member.role == Member.OWNER:
            require_owner(workspace.id, 'remove an owner')
    workspace_actions.remove_member(member, g.user)
    return jsonify({'removed': member.user_id, 'workspace_id': workspace.id})
