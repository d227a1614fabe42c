"""Users, passwords, bearer tokens, and ending a user's sign-ins."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_app_context
from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from collab.db import database
from collab.errors import ApiError
from collab.fields import utcnow
from collab.models import DEFAULT_TOKEN_DAYS, ApiToken, LoginSession, User, token_expiry
from collab.transactions import writing

MIN_PASSWORD = 8
# Werkzeug's default, scrypt. The app's PASSWORD_HASH_METHOD config (no setting
# reaches it) lets the test suite sign thousands of people up quickly.
DEFAULT_HASH_METHOD = 'scrypt'
# Checked against when the email is unknown, so a miss costs as much as a hit.
_DUMMY_HASH = generate_password_hash('not a real password', DEFAULT_HASH_METHOD)


def hash_password(password):
    method = DEFAULT_HASH_METHOD
    if has_app_context():
        method = current_app.config.get('PASSWORD_HASH_METHOD', method)
    return generate_password_hash(password, method)


def create_user(email, name, password, is_admin=False):
    check_password(password)
    try:
        with database.atomic():
            return User.create(email=email, name=name, is_admin=is_admin,
                               password_hash=hash_password(password))
    except IntegrityError:
        raise ApiError(409, 'an account with this email already exists', 'email') from None


def check_password(password, field='password'):
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ApiError(400, f'{field} must be at least {MIN_PASSWORD} characters', field)
    if len(password) > 1024:
        raise ApiError(400, f'{field} must be at most 1024 characters', field)


def authenticate(email, password):
    """The user for these credentials, or None."""
    user = User.get_or_none(User.email == email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def create_or_promote_admin(email, password, name=None):
    """`run.py create-admin`: make EMAIL an admin with this password."""
    user = User.get_or_none(User.email == email)
    if user is None:
        return create_user(email, name or email.split('@')[0], password, is_admin=True), True
    user.is_admin = True
    set_password(user, password)   # a reset: every old sign-in of the user ends
    return user, False


def bootstrap_admin(settings):
    """ADMIN_EMAIL/ADMIN_PASSWORD: create that admin on a first start with no admin."""
    if not (settings.admin_email and settings.admin_password):
        return None
    try:
        with writing():   # SQLite: processes starting together take turns here
            if _an_admin_exists():
                return None
            user, _ = create_or_promote_admin(settings.admin_email.lower(),
                                              settings.admin_password)
            return user
    except (ApiError, IntegrityError):
        if _an_admin_exists():   # another process, starting at the same moment, made it
            return None
        raise


def _an_admin_exists():
    return User.select().where(User.is_admin == True).exists()  # noqa: E712


def token_hash(token):
    """The SHA-256 kept in place of a secret (a bearer token, a session key)."""
    return hashlib.sha256(token.encode()).hexdigest()


# A token's last use is written at most this often, not on every request.
LAST_USED_EVERY = timedelta(minutes=1)


def issue_token(user, name='', days=DEFAULT_TOKEN_DAYS):
    """A new bearer token: (the secret, shown this once; its row)."""
    token = secrets.token_urlsafe(32)
    ApiToken.delete().where(ApiToken.user == user, ApiToken.expires_at <= utcnow()).execute()
    row = ApiToken.create(user=user, token_hash=token_hash(token), name=name,
                          expires_at=token_expiry(days))
    return token, row


def user_for_token(token):
    """The user of a token that exists and has not expired, or None."""
    row = (ApiToken.select(ApiToken, User).join(User)
           .where(ApiToken.token_hash == token_hash(token), ApiToken.expires_at > utcnow())
           .first())
    if row is None:
        return None
    _note_use(row)
    return row.user


def _note_use(row):
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_EVERY:
        return
    # The condition again in the UPDATE: of requests arriving together, one writes.
    stale = ApiToken.last_used_at.is_null() | (ApiToken.last_used_at < now - LAST_USED_EVERY)
    ApiToken.update(last_used_at=now).where(ApiToken.id == row.id, stale).execute()


def revoke_token(token):
    ApiToken.delete().where(ApiToken.token_hash == token_hash(token)).execute()


def tokens_of(user):
    """The user's tokens that have not expired, newest first."""
    return list(ApiToken.select().where(ApiToken.user == user, ApiToken.expires_at > utcnow())
                .order_by(ApiToken.id.desc()))


def delete_token(user, token_id):
    """Delete one of the user's tokens; False when the user has no such token."""
    return ApiToken.delete().where(ApiToken.user == user, ApiToken.id == token_id).execute() > 0


def set_password(user, password, keep_session_id=None):
    """Change the password and end every sign-in of the user (sessions and
    tokens) but the session `keep_session_id`, the one that made the change."""
    check_password(password)
    user.password_hash = hash_password(password)   # slow: outside the write lock
    with writing():
        user.save()
        ApiToken.delete().where(ApiToken.user == user).execute()
        ended = LoginSession.delete().where(LoginSession.user == user)
        if keep_session_id is not None:
            ended = ended.where(LoginSession.id != keep_session_id)
        ended.execute()
