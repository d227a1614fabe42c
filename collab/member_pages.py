"""The members page of a workspace: members with their roles, and (for owners and
admins) pending invites with their links to copy, new invites, role changes,
removal and transfer of ownership; anyone may leave.

`settable_roles` and `allowed_actions` decide both which buttons the page shows and
what the POST routes accept, so the two cannot drift apart; the rules are the JSON
API's (collab/api/members.py).
"""
from flask import Blueprint, flash, g, redirect, render_template, url_for

from collab import invites, mail_requests, operations, workspace_actions
from collab.access import require_manager, role_in
from collab.errors import ApiError
from collab.models import Invite, Member, User, Workspace
from collab.page_forms import field, form_action
from collab.validation import EMAIL_RE
from collab.workspace_pages import ID, member_only

bp = Blueprint('member_pages', __name__)


def settable_roles(viewer_role, viewer_id, member):
    """The roles a viewer may give `member` (theirs included: setting it again changes
    nothing). Owners and admins set admin and member; only an owner makes an owner or
    changes an owner's role; no one changes their own role here."""
    if member.user_id == viewer_id or viewer_role not in Member.MANAGERS:
        return set()
    if member.role == Member.OWNER:
        return set(Member.ROLES) if viewer_role == Member.OWNER else set()
    if viewer_role == Member.OWNER:
        return set(Member.ROLES)
    return {Member.ADMIN, Member.MEMBER}


def allowed_actions(viewer_role, viewer_id, member):
    """What a viewer with `viewer_role` may do to `member` on this page: `role:<role>`
    for each role change, then remove, transfer and leave."""
    if member.user_id == viewer_id:
        return {'leave'}
    roles = settable_roles(viewer_role, viewer_id, member)
    if not roles:   # whoever may not change the role may not remove the member either
        return set()
    actions = {f'role:{role}' for role in roles if role != member.role} | {'remove'}
    if viewer_role == Member.OWNER and member.role != Member.OWNER:
        actions.add('transfer')
    return actions


def _member(ws, user_id):
    member = Member.get_or_none((Member.workspace == ws) & (Member.user == user_id))
    if member is None:
        raise ApiError(404, 'no such member in this workspace')
    return member


def _target(ws, user_id, action):
    """The member `user_id` of `ws`, if the viewer may do `action` to them; else 403/404."""
    member = _member(ws, user_id)
    if action not in allowed_actions(role_in(ws.id), g.user.id, member):
        raise ApiError(403, f'your role ({role_in(ws.id)}) does not allow that')
    return member


def _back(ws):
    return redirect(url_for('member_pages.members', row_id=ws.id))


@bp.get(f'/w/<{ID}:row_id>/members')
@member_only(Workspace, 'workspace')
def members(ws):
    role = role_in(ws.id)
    rows = (Member.select(Member, User).join(User).where(Member.workspace == ws)
            .order_by(Member.joined_at, Member.id))
    pending = []
    if role in Member.MANAGERS:
        pending = [(i, invites.token_of(i)) for i in invites.pending(ws.id)]
    inviters = {u.id: u.name for u in User.select(User.id, User.name).where(
        User.id.in_({i.invited_by_id for i, _ in pending}))} if pending else {}
    return render_template(
        'members.html', workspace=ws, role=role,
        members=[(m, allowed_actions(role, g.user.id, m)) for m in rows],
        pending=[(i, mail_requests.invite_link(t) if t else None, inviters.get(i.invited_by_id))
                 for i, t in pending],
        email_enabled=mail_requests.enabled())


@bp.post(f'/w/<{ID}:row_id>/members/invites')
@member_only(Workspace, 'workspace')
@form_action
def create_invite(ws):
    """An email invite (mailed when SMTP is set up), or a link for anyone signed in."""
    require_manager(ws.id, 'invite people')
    if field('kind', 10, required=False) == 'link':
        uses = field('max_uses', 4, required=False) or '1'
        if not uses.isdigit() or not 1 <= int(uses) <= invites.MAX_LINK_USES:
            raise ApiError(400, f'uses must be a whole number from 1 to {invites.MAX_LINK_USES}',
                           'max_uses')
        workspace_actions.link_invite(ws, g.user, int(uses))
        flash('Invite link made: copy it from the pending invites below.', 'info')
        return _back(ws)
    email = field('email', 254).lower()
    if not EMAIL_RE.match(email):
        raise ApiError(400, 'that is not a valid email address', 'email')
    invite, token = operations.invite(ws, g.user, email)
    if mail_requests.email_invite(invite, token):
        flash(f'Invite emailed to {email}. Its link is also below, to copy.', 'info')
    else:
        flash(f'Email is not set up on this server: copy the invite link for {email} below '
              'and send it yourself.', 'info')
    return _back(ws)


@bp.post(f'/w/<{ID}:row_id>/invites/<{ID}:invite_id>/revoke')
@member_only(Workspace, 'workspace')
@form_action
def revoke_invite(ws, invite_id):
    require_manager(ws.id, 'revoke invites')
    invite = Invite.get_or_none((Invite.id == invite_id) & (Invite.workspace == ws))
    if invite is None:
        raise ApiError(404, 'no such invite in this workspace')
    workspace_actions.revoke_invite(invite, g.user)
    flash('Invite revoked: its link no longer works.', 'info')
    return _back(ws)


@bp.post(f'/w/<{ID}:row_id>/members/<{ID}:user_id>/role')
@member_only(Workspace, 'workspace')
@form_action
def change_role(ws, user_id):
    role = field('role', 10)
    if role not in Member.ROLES:
        raise ApiError(400, f"role must be one of {', '.join(Member.ROLES)}", 'role')
    member = _member(ws, user_id)
    viewer = role_in(ws.id)
    if role not in settable_roles(viewer, g.user.id, member):
        raise ApiError(403, f'your role ({viewer}) does not allow that')
    workspace_actions.change_role(member, role, g.user)
    flash(f'{member.user.name} is now {role}.', 'info')
    return _back(ws)


@bp.post(f'/w/<{ID}:row_id>/members/<{ID}:user_id>/transfer')
@member_only(Workspace, 'workspace')
@form_action
def transfer_ownership(ws, user_id):
    """The member becomes an owner, then the viewer steps down to admin."""
    member = _target(ws, user_id, 'transfer')
    workspace_actions.change_role(member, Member.OWNER, g.user)
    me = Member.get((Member.workspace == ws) & (Member.user == g.user))
    workspace_actions.change_role(me, Member.ADMIN, g.user)
    flash(f'{member.user.name} now owns {ws.name}; you are an admin.', 'info')
    return _back(ws)


@bp.post(f'/w/<{ID}:row_id>/members/<{ID}:user_id>/remove')
@member_only(Workspace, 'workspace')
@form_action
def remove(ws, user_id):
    member = _target(ws, user_id, 'remove')
    workspace_actions.remove_member(member, g.user)
    flash(f'{member.user.name} was removed from {ws.name}.', 'info')
    return _back(ws)


@bp.post(f'/w/<{ID}:row_id>/leave')
@member_only(Workspace, 'workspace')
@form_action
def leave(ws):
    member = _target(ws, g.user.id, 'leave')
    workspace_actions.remove_member(member, g.user)
    flash(f'You left {ws.name}.', 'info')
    return redirect(url_for('workspace_pages.index'))
