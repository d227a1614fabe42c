"""Invites: a random token (only its hash is stored) that makes its holder a member.

An email invite is for the account with that email, once. A link invite is for
anyone signed in, until it expires or has been used `max_uses` times. Only a
workspace's owners and admins create them.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app

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
    nonce = secrets.token_urlsafe(32)
    token = _token_from(nonce)
    invite = Invite.create(workspace=workspace, email=email, invited_by=invited_by,
                           token_hash=token_hash(token), max_uses=max_uses,
                           expires_at=utcnow() + INVITE_LIFETIME, link_nonce=nonce)
    return invite, token


def _token_from(nonce):
    """The token is an HMAC of a random nonce under SECRET_KEY: the row keeps the nonce
    and the token's hash, so the server can show a pending invite's link again while
    a stolen copy of the database alone accepts no invite."""
    key = current_app.config['SETTINGS'].secret_key.encode()
    digest = hmac.new(key, b'invite-token:' + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b'=').decode()


def token_of(invite):
    """The token of a pending invite, or None when it cannot be rebuilt (made before
    nonces were kept, or under another SECRET_KEY)."""
    if not invite.link_nonce:
        return None
    token = _token_from(invite.link_nonce)
    return token if hmac.compare_digest(token_hash(token), invite.token_hash) else None


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


def find(token):
    """The invite with this token (any state), its workspace and inviter joined in; None
    for an unknown token."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return Invite.get_or_none(Invite.token_hash == token_hash(token))


def usable(invite):
    """Whether the invite can still be accepted by someone."""
    return invite.uses < invite.max_uses and invite.expires_at > utcnow()


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
