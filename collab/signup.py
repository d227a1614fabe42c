"""Who may create an account: SIGNUP is `open` (anyone), `invite` (only with a valid
invite token, and an email invite only for its own email) or `closed` (no one).

Whatever the policy, the very first account of a server that has no user yet is let
in and made its administrator, so a fresh install needs no command line (a server
that starts with ADMIN_EMAIL has its administrator already).

A sign-up with an invite uses the invite and joins its workspace, so one invite
never makes more accounts than it has uses.
"""
from flask import current_app

from collab import invites, operations, security, users
from collab.db import database, is_sqlite
from collab.errors import ApiError
from collab.fields import utcnow
from collab.models import Invite, User
from collab.transactions import writing

# PostgreSQL advisory lock key held while the first account is made.
FIRST_ACCOUNT_LOCK = 0x636f6c6d

CLOSED = 'sign-up is closed on this server: ask its administrator for an account'
NEEDS_INVITE = ('sign-up on this server needs an invite: open the invite link you '
                'were sent, or ask a workspace owner for one')


def policy():
    return current_app.config['SETTINGS'].signup


def sign_up(email, name, password, invite_token=None):
    """(the new user, the workspace id it joined or None), or a 403 ApiError saying why
    this sign-up is refused. Throttled per address."""
    security.check_signup_allowed()
    users.check_password(password)
    if not _any_user():
        user = _first_account(email, name, password)
        if user is not None:
            return user, None
    if not invite_token:
        refusal = refusal_without_invite()
        if refusal:
            raise ApiError(403, refusal, 'invite')
        return users.create_user(email, name, password), None
    return _with_invite(email, name, password, invite_token)


def refusal_without_invite():
    """Why a sign-up with no invite is refused now, or None when it may go ahead."""
    if policy() == 'open' or not _any_user():
        return None
    return CLOSED if policy() == 'closed' else NEEDS_INVITE


def check_invite(token, email=None):
    """The invite a sign-up may use, or a 403 ApiError saying why not."""
    if policy() == 'closed' and _any_user():
        raise ApiError(403, CLOSED, 'invite')
    invite = None
    if isinstance(token, str) and len(token) <= 100:
        invite = Invite.get_or_none(Invite.token_hash == invites.token_hash(token))
    if invite is None:
        raise ApiError(403, 'this invite is not valid: it may have been revoked, or the '
                            'link was cut short', 'invite')
    if invite.expires_at <= utcnow():
        raise ApiError(403, 'this invite has expired: ask for a new one', 'invite')
    if invite.uses >= invite.max_uses:
        raise ApiError(403, 'this invite has already been used up', 'invite')
    if email is not None and invite.email is not None and invite.email != email:
        raise ApiError(403, 'this invite is for another email address: sign up with the '
                            'address it was sent to', 'email')
    return invite


def _with_invite(email, name, password, token):
    check_invite(token, email)
    user = users.create_user(email, name, password)
    try:
        invite, _ = operations.accept_invite(token, user)
    except ApiError as exc:   # used up or revoked since the check: no account either
        user.delete_instance()
        raise ApiError(403, exc.message, 'invite') from None
    return user, invite.workspace_id


def _any_user():
    return User.select().exists()


def _first_account(email, name, password):
    """The first account, made an administrator; None when another sign-up got there
    first. One at a time: SQLite's write lock, and an advisory lock on PostgreSQL
    (two empty reads at once would otherwise both insert)."""
    with writing():
        if not is_sqlite():
            database.execute_sql('SELECT pg_advisory_xact_lock(%s)', (FIRST_ACCOUNT_LOCK,))
        if _any_user():
            return None
        return users.create_user(email, name, password, is_admin=True)
