"""Users, passwords and bearer tokens."""
import hashlib
import secrets

from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from collab.db import database
from collab.errors import ApiError
from collab.models import ApiToken, User
from collab.transactions import writing

MIN_PASSWORD = 8
# Checked against when the email is unknown, so a miss costs as much as a hit.
_DUMMY_HASH = generate_password_hash('not a real password')


def create_user(email, name, password, is_admin=False):
    check_password(password)
    try:
        with database.atomic():
            return User.create(email=email, name=name, is_admin=is_admin,
                               password_hash=generate_password_hash(password))
    except IntegrityError:
        raise ApiError(409, 'an account with this email already exists', 'email') from None


def check_password(password):
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ApiError(400, f'password must be at least {MIN_PASSWORD} characters', 'password')
    if len(password) > 1024:
        raise ApiError(400, 'password must be at most 1024 characters', 'password')


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
    check_password(password)
    user.is_admin = True
    user.password_hash = generate_password_hash(password)
    user.save()
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
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user):
    token = secrets.token_urlsafe(32)
    ApiToken.create(user=user, token_hash=token_hash(token))
    return token


def user_for_token(token):
    row = (ApiToken.select(ApiToken, User).join(User)
           .where(ApiToken.token_hash == token_hash(token)).first())
    return row.user if row else None


def revoke_token(token):
    ApiToken.delete().where(ApiToken.token_hash == token_hash(token)).execute()
