"""Invites: a random token (only its hash is stored) that makes its holder a member."""
import hashlib
import secrets
from datetime import timedelta

from collab.transactions import writing
from collab.errors import ApiError
from collab.fields import utcnow
from collab.models import Invite, Member

INVITE_LIFETIME = timedelta(days=7)


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def create(workspace, email, invited_by):
    """(invite, token): the token is shown once, to the inviter."""
    token = secrets.token_urlsafe(32)
    invite = Invite.create(workspace=workspace, email=email, invited_by=invited_by,
                           token_hash=token_hash(token), expires_at=utcnow() + INVITE_LIFETIME)
    return invite, token


def accept(token, user):
    """Make `user` a member; (invite, member, joined_now). 404 unknown, 410 expired or used."""
    invite = Invite.get_or_none(Invite.token_hash == token_hash(token))
    if invite is None:
        raise ApiError(404, 'no such invite')
    if invite.accepted_at is not None:
        raise ApiError(410, 'this invite has already been used')
    if invite.expires_at <= utcnow():
        raise ApiError(410, 'this invite has expired')
    with writing():
        member = Member.get_or_none((Member.workspace == invite.workspace_id)
                                    & (Member.user == user))
        joined = member is None
        if joined:
            member = Member.create(workspace=invite.workspace_id, user=user, role=Member.MEMBER)
        invite.accepted_at = utcnow()
        invite.save()
    return invite, member, joined


def delete_expired(now=None):
    """Remove invites past their expiry that were never accepted; returns how many."""
    now = now or utcnow()
    return Invite.delete().where((Invite.expires_at <= now)
                                 & Invite.accepted_at.is_null()).execute()
