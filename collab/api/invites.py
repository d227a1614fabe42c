"""Invites: by email or as a link (owners and admins), the pending list, revoking one,
what an invite's token is for (anyone holding it), and accepting one by its token."""
from flask import Blueprint, g, jsonify

from collab import invites, mail_requests, operations, validation as v, workspace_actions
from collab.access import require, require_manager
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.fields import iso
from collab.models import Invite, User

bp = Blueprint('api_invites', __name__, url_prefix='/api')


def _max_uses(data):
    value = data.get('max_uses')
    if value is None:
        raise ApiError(400, 'max_uses is required for a link invite', 'max_uses')
    if isinstance(value, bool) or not isinstance(value, int) \
            or not 1 <= value <= invites.MAX_LINK_USES:
        raise ApiError(400, f'max_uses must be a whole number from 1 to {invites.MAX_LINK_USES}',
                       'max_uses')
    return value


@bp.post(f'/workspaces/<{ID}:workspace_id>/invites')
@login_required
def create_invite(workspace_id):
    """`{email}` for that account only, or `{link: true, max_uses}` for anyone signed in."""
    workspace, _ = membership(workspace_id)
    require_manager(workspace.id, 'invite people')
    data = v.json_body()
    if v.boolean(data, 'link'):
        if data.get('email') is not None:
            raise ApiError(400, 'a link invite has no email: send either email or link', 'email')
        invite, token = workspace_actions.link_invite(workspace, g.user, _max_uses(data))
    else:
        invite, token = operations.invite(workspace, g.user, v.email(data))
    emailed = mail_requests.email_invite(invite, token)
    return jsonify({**invite.to_dict(), 'token': token,
                    'expires_at': iso(invite.expires_at),
                    'accept_url': f'/api/invites/{token}/accept',
                    'invite_url': mail_requests.invite_link(token), 'emailed': emailed}), 201


@bp.get(f'/workspaces/<{ID}:workspace_id>/invites')
@login_required
def list_invites(workspace_id):
    """Invites that can still be accepted (their tokens are never shown again)."""
    workspace, _ = membership(workspace_id)
    require_manager(workspace.id, 'see invites')
    return jsonify({'invites': [pending_dict(i) for i in invites.pending(workspace.id)]})


def pending_dict(invite):
    """A pending invite, with its link when the server can rebuild it (owners and
    admins copy it again)."""
    data = invite.to_dict()
    token = invites.token_of(invite)
    if token is not None:
        data['invite_url'] = mail_requests.invite_link(token)
    return data


@bp.delete(f'/invites/<{ID}:invite_id>')
@login_required
def revoke_invite(invite_id):
    invite = require(Invite, invite_id, 'invite')
    require_manager(invite.workspace_id, 'revoke invites')
    workspace_actions.revoke_invite(invite, g.user)
    return jsonify({'revoked': invite.id})


@bp.post('/invites/<token>/accept')
@login_required
def accept_invite(token):
    if len(token) > 100:
        raise ApiError(404, 'no such invite')
    invite, member = operations.accept_invite(token, g.user)
    return jsonify({'workspace_id': invite.workspace_id, 'role': member.role})


@bp.get('/invites/<token>/preview')
def show_invite(token):
    """For whoever holds the token, signed in or not: the workspace and who invited."""
    invite = invites.find(token)
    if invite is None:
        raise ApiError(404, 'no such invite')
    return jsonify(invite_preview(invite))


def invite_preview(invite):
    inviter = User.get_or_none(User.id == invite.invited_by_id)
    return {'workspace_id': invite.workspace_id, 'workspace': invite.workspace.name,
            'invited_by': inviter.name if inviter else None, 'email': invite.email,
            'expires_at': iso(invite.expires_at), 'usable': invites.usable(invite)}
