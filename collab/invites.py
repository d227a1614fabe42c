"""Invites: a random token (only its hash is stored) that makes its holder a member.

An email invite is for the account with that email, once. A link invite is for
anyone signed in, until it expires or has been used `max_uses` times. Only a
workspace's owners and admins create them.
"""
import hashlib
import secrets
from datetime import timedelta

from collab.access import require_manager
from collab.security import check_invite_allowed
from collab.transactions import writing
from collab.errors import ApiError
from collab.fields import utcnow
from collab.models import Invite, Member

INVITE_LIFETIME = timedelta(days=7)
MAX_LINK_USES = 1000


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create(workspace, email, invited_by, max_uses=1):
    """(invite, token): the token is shown once, to the inviter. `email` None makes a
    link invite."""
    require_manager(workspace.id, 'invite people', invited_by)
    check_invite_allowed(invited_by)
    token = secrets.token_urlsafe(32)
    invite = Invite.create(workspace=workspace, email=email, invited_by=invited_by,
                           token_hash=token_hash(token), max_uses=max_uses,
                           expires_at=utcnow() + INVITE_LIFETIME)
    return invite, token


def accept(token, user):
    """Make `user` a member; (invite, member, joined_now). 404 unknown, 403 for another
    email's invite, 410 expired or used up."""
    invite = Invite.get_or_none(Invite.token_hash == token_hash(token))
    if invite is None:
        raise ApiError(404, 'no such invite')
    if invite.email is not None and invite.email != user.email.lower():
        raise ApiError(403, 'this invite is for another email address: sign in with the '
                            'invited account to accept it')
    with writing():
        member = Member.get_or_none((Member.workspace == invite.workspace_id)
                                    & (Member.user == user))
        if member is not None and invite.email is None:
            return invite, member, False   # already in: a link's use stays for someone else
        _use(invite)
        joined = member is None
        if joined:
            member = Member.create(workspace=invite.workspace_id, user=user, role=Member.MEMBER)
    return Invite.get_by_id(invite.id), member, joined


def _use(invite):
    """Count one use, or 410. One conditional UPDATE, so concurrent accepts can never
    use an invite more than `max_uses` times."""
    now = utcnow()
    used = (Invite.update(uses=Invite.uses + 1, accepted_at=now)
            .where((Invite.id == invite.id) & (Invite.uses < Invite.max_uses)
                   & (Invite.expires_at > now))
            .execute())
    if used:
        return
    if invite.expires_at <= now:
        raise ApiError(410, 'this invite has expired')
    raise ApiError(410, 'this invite has already been used' if invite.email is not None
                   else 'this invite link has been used as many times as it allows')


def pending(workspace_id):
    """Invites of a workspace that can still be accepted, newest first."""
    return (Invite.select()
            .where((Invite.workspace == workspace_id) & (Invite.uses < Invite.max_uses)
                   & (Invite.expires_at > utcnow()))
            .order_by(Invite.id.desc()))


def revoke(invite):
    Invite.delete().where(Invite.id == invite.id).execute()


def delete_expired(now=None):
    """Remove invites past their expiry that were never accepted, and expired links;
    returns how many."""
    now = now or utcnow()
    return Invite.delete().where((Invite.expires_at <= now)
                                 & (Invite.accepted_at.is_null()
                                    | Invite.email.is_null())).execute()
