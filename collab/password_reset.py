"""Password resets by email: a random token (only its hash is stored), valid for an
hour and once. Using it sets the new password and ends every session and API
token of the user (collab/users.py set_password).

The token is made inside the mail job (tasks/mail.py), never in the request:
the request looks the same whether or not the email has an account, and the
token appears in no job argument.
"""
import secrets
from datetime import timedelta

from collab import users
from collab.errors import ApiError
from collab.fields import utcnow
from collab.models import PasswordReset, User
from collab.transactions import writing
from collab.users import token_hash

LIFETIME = timedelta(hours=1)
PATH = '/reset-password/'   # the page route, collab/account_pages.py
INVALID = ('this password-reset link is not valid: it has expired (links last an hour), '
           'has been used already, or was cut short. Ask for a new one.')


def issue(user):
    """A new reset token for `user`: the secret, for the link. Expired and used ones of
    the user are dropped."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with writing():
        PasswordReset.delete().where((PasswordReset.user == user)
                                     & ((PasswordReset.expires_at <= now)
                                        | PasswordReset.used_at.is_null(False))).execute()
        PasswordReset.create(user=user, token_hash=token_hash(token), expires_at=now + LIFETIME)
    return token


def link(settings, token):
    return settings.base_url + PATH + token


def find_valid(token):
    """The unused, unexpired reset with this token (its user joined in), or None."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    return (PasswordReset.select(PasswordReset, User).join(User)
            .where((PasswordReset.token_hash == token_hash(token))
                   & PasswordReset.used_at.is_null() & (PasswordReset.expires_at > utcnow()))
            .first())


def reset(token, new_password):
    """Set the new password by a reset token; the user. 400 for a bad password (the
    token stays usable), 410 for a token that is unknown, used or expired. One
    conditional UPDATE uses the token, so two requests at once cannot both."""
    users.check_password(new_password)
    row = find_valid(token)
    if row is None or not _use(row):
        raise ApiError(410, INVALID, 'token')
    users.set_password(row.user, new_password)   # ends every session and token
    # Other reset links of the user die with the old password.
    PasswordReset.delete().where((PasswordReset.user == row.user_id)
                                 & PasswordReset.used_at.is_null()).execute()
    return row.user


def _use(row):
    now = utcnow()
    with writing():
        return (PasswordReset.update(used_at=now)
                .where((PasswordReset.id == row.id) & PasswordReset.used_at.is_null()
                       & (PasswordReset.expires_at > now))
                .execute()) == 1
