"""Invites: create one for an email, accept one by its token."""
from flask import Blueprint, g, jsonify

from collab import operations, validation as v
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.fields import iso

bp = Blueprint('api_invites', __name__, url_prefix='/api')


@bp.post(f'/workspaces/<{ID}:workspace_id>/invites')
@login_required
def create_invite(workspace_id):
    workspace, _ = membership(workspace_id)
    email = v.email(v.json_body())
    invite, token = operations.invite(workspace, g.user, email)
    return jsonify({'id': invite.id, 'token': token, 'email': email,
                    'expires_at': iso(invite.expires_at),
                    'accept_url': f'/api/invites/{token}/accept'}), 201


@bp.post('/invites/<token>/accept')
@login_required
def accept_invite(token):
    if len(token) > 100:
        raise ApiError(404, 'no such invite')
    invite, member = operations.accept_invite(token, g.user)
    return jsonify({'workspace_id': invite.workspace_id, 'role': member.role})
