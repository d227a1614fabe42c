"""Server-side records of signed-in browsers.

The signed session cookie carries a random key; the database keeps only the
key's SHA-256, in a LoginSession row. A session is valid while its row exists
and has not expired, so signing out (or a password change) ends it for good:
a copy of the cookie taken before is worth nothing afterwards.
"""
import secrets

from collab.fields import utcnow
from collab.models import LoginSession, User
from collab.users import token_hash


def start(user, lifetime):
    """A new session for `user` lasting `lifetime` (a timedelta): its key, for the cookie."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    LoginSession.delete().where(LoginSession.user == user,
                                LoginSession.expires_at <= now).execute()
    LoginSession.create(key_hash=token_hash(key), user=user, expires_at=now + lifetime)
    return key


def find(key):
    """The live session with this key (its user joined in), or None."""
    if not isinstance(key, str) or not key:
        return None
    return (LoginSession.select(LoginSession, User).join(User)
            .where(LoginSession.key_hash == token_hash(key), LoginSession.expires_at > utcnow())
            .first())


def end(key):
    if isinstance(key, str) and key:
        LoginSession.delete().where(LoginSession.key_hash == token_hash(key)).execute()

