"""Workspaces and their members."""
from flask import Blueprint, g, jsonify

from collab import operations, validation as v
from collab.auth import login_required
from collab.errors import ApiError
from collab.models import Member, Workspace

bp = Blueprint('api_workspaces', __name__, url_prefix='/api/workspaces')


def membership(workspace_id):
    """(workspace, role) for the current user: 404 if it does not exist, 403 if not a member."""
    workspace = Workspace.get_or_none(Workspace.id == v.row_id(workspace_id, 'workspace'))
    if workspace is None:
        raise ApiError(404, 'no such workspace')
    member = Member.get_or_none((Member.workspace == workspace) & (Member.user == g.user))
    if member is None:
        raise ApiError(403, 'you are not a member of this workspace')
    return workspace, member.role


@bp.get('')
@login_required
def list_workspaces():
    rows = (Workspace.select(Workspace, Member.role).join(Member)
            .where(Member.user == g.user).order_by(Workspace.id).objects())
    return jsonify({'workspaces': [w.to_dict(role=w.role) for w in rows]})


@bp.post('')
@login_required
def create_workspace():
    workspace = operations.create_workspace(g.user, v.text(v.json_body(), 'name', 100))
    return jsonify(workspace.to_dict(role=Member.OWNER)), 201


@bp.get('/<int:workspace_id>')
@login_required
def get_workspace(workspace_id):
    workspace, role = membership(workspace_id)
    return jsonify(workspace.to_dict(role=role))
