"""/admin/users and /admin/api/users: the accounts, searchable by email, and an
administrator's password reset. A reset ends every session and every API token
of the user exactly as a password change does (users.set_password), so the
socket watcher closes the user's open WebSockets with 4401 too."""
import logging
import secrets

from flask import g, jsonify, make_response, render_template, request
from peewee import OP, SQL, Expression, NodeList, fn

from collab import users, validation as v
from collab.admin.api import bp as api_bp
from collab.admin.views import bp as pages_bp
from collab.api.common import ID
from collab.auth import admin_required
from collab.errors import ApiError
from collab.fields import iso, utcnow
from collab.models import ApiToken, LoginSession, User

log = logging.getLogger('collab.admin')

PAGE_SIZE = 50
MAX_LIMIT = 500
MAX_QUERY = 254   # the longest email
# token_urlsafe(12): 16 characters, 96 random bits; over users.MIN_PASSWORD.
TEMPORARY_PASSWORD_BYTES = 12
# Never the password hash: a list has no use for it.
LISTED = [User.id, User.email, User.name, User.is_admin, User.created_at]
LIKE_ESCAPE = '!'   # not a backslash: SQLite and PostgreSQL quote that differently


# ---------------------------------------------------------------- reads

def list_users(q=None, limit=PAGE_SIZE, cursor=None):
    """Newest first; `cursor` is the last seen user's id. Returns (rows, next_cursor).
    Three queries per page, whatever its size: the users, then their sessions and
    tokens counted together."""
    query = User.select(*LISTED).order_by(User.id.desc()).limit(limit + 1)
    if q:
        query = query.where(_email_contains(q))
    if cursor is not None:
        query = query.where(User.id < cursor)
    found = list(query)
    page = found[:limit]
    next_cursor = page[-1].id if len(found) > limit else None
    return _with_sign_ins(page), next_cursor


def _email_contains(q):
    """A case-insensitive substring match, with LIKE's wildcards taken literally."""
    escaped = ''.join(LIKE_ESCAPE + c if c in f'%_{LIKE_ESCAPE}' else c for c in q)
    # ILIKE: PostgreSQL's; peewee writes SQLite's LIKE, which ignores ASCII case.
    return Expression(User.email, OP.ILIKE,
                      NodeList((f'%{escaped}%', SQL(f"ESCAPE '{LIKE_ESCAPE}'"))))


def _with_sign_ins(page):
    ids = [user.id for user in page]
    sessions = _live_sessions(ids) if ids else {}
    tokens = _live_tokens(ids) if ids else {}
    return [user_row(user, sessions.get(user.id), tokens.get(user.id, 0)) for user in page]


def _live_sessions(ids):
    """{user id: row with `n` live sessions and the `newest` one's start}."""
    query = (LoginSession.select(LoginSession.user, fn.COUNT(LoginSession.id).alias('n'),
                                 fn.MAX(LoginSession.created_at).alias('newest'))
             .where(LoginSession.user.in_(ids), LoginSession.expires_at > utcnow())
             .group_by(LoginSession.user))
    return {row.user_id: row for row in query}


def _live_tokens(ids):
    """{user id: how many tokens that have not expired}."""
    query = (ApiToken.select(ApiToken.user, fn.COUNT(ApiToken.id).alias('n'))
             .where(ApiToken.user.in_(ids), ApiToken.expires_at > utcnow())
             .group_by(ApiToken.user))
    return {row.user_id: row.n for row in query}


def user_row(user, sessions=None, tokens=0):
    """A user as the admin shows it. `last_sign_in_at` is when the newest live
    session began: a session that ended (signed out, expired) leaves no record."""
    newest = sessions.newest if sessions else None
    if isinstance(newest, str):   # SQLite hands an aggregate back as text
        newest = LoginSession.created_at.python_value(newest)
    return {'id': user.id, 'email': user.email, 'name': user.name, 'is_admin': user.is_admin,
            'created_at': iso(user.created_at), 'sessions': sessions.n if sessions else 0,
            'tokens': tokens, 'last_sign_in_at': iso(newest)}


def search_arg():
    q = (request.args.get('q') or '').strip()
    if len(q) > MAX_QUERY:
        raise ApiError(400, f'q must be at most {MAX_QUERY} characters', 'q')
    return q or None


# ---------------------------------------------------------------- the reset

def reset_password(user_id):
    """A new random temporary password for the user, returned this once (it is
    stored only as a hash); every session and token of the user ends."""
    user = User.get_or_none(User.id == v.row_id(user_id, 'user'))
    if user is None:
        raise ApiError(404, 'no such user')
    if user.id == g.user.id:
        # It would end the very session making the request.
        raise ApiError(409, 'change your own password on the password page, not here')
    temporary = secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
    users.set_password(user, temporary)
    log.info('administrator %s reset the password of user %s', g.user.id, user.id)
    return {'ok': True, 'user_id': user.id, 'email': user.email,
            'temporary_password': temporary,
            'message': f'Reset the password of {user.email}: every session and token of '
                       'theirs has ended.'}


def _unstored(response):
    """The temporary password is in this response: no cache may keep it."""
    response.headers['Cache-Control'] = 'no-store'
    return response


# ---------------------------------------------------------------- routes

@pages_bp.get('/users', endpoint='users')
@admin_required
def users_page():
    return _users_page()


@pages_bp.post(f'/users/<{ID}:user_id>/reset-password', endpoint='reset_user_password')
@admin_required
def reset_page(user_id):
    """Answered with the page itself, not a redirect: a flashed message would carry the
    password in the session cookie."""
    try:
        outcome, status = reset_password(user_id), 200
    except ApiError as exc:
        outcome, status = {'error': exc.message}, exc.status
    return _unstored(_users_page(outcome, status))


def _users_page(outcome=None, status=200):
    q = search_arg()
    cursor = v.int_arg('cursor', None, 1, v.MAX_ID)
    rows, next_cursor = list_users(q, PAGE_SIZE, cursor)
    html = render_template('admin/users.html', nav='users', users=rows, q=q or '',
                           cursor=cursor, next_cursor=next_cursor, outcome=outcome)
    return make_response(html, status)


@api_bp.get('/users', endpoint='users')
@admin_required
def users_json():
    rows, next_cursor = list_users(search_arg(), v.int_arg('limit', PAGE_SIZE, 1, MAX_LIMIT),
                                   v.int_arg('cursor', None, 1, v.MAX_ID))
    return jsonify({'users': rows, 'next_cursor': next_cursor})


@api_bp.post(f'/users/<{ID}:user_id>/reset-password', endpoint='reset_user_password')
@admin_required
def reset_json(user_id):
    return _unstored(jsonify(reset_password(user_id)))
