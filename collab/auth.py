"""Who is asking: session cookie or bearer token; CSRF for cookie-authenticated writes."""
import functools
import hmac
import secrets

from flask import current_app, g, redirect, request, session, url_for

from collab import login_sessions
from collab.errors import ApiError, wants_json
from collab.users import user_for_token

SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')
# Signing up or in does not act as the cookie's user (login starts a new
# session), so an old session cookie must not demand a CSRF token there:
# a script or a second tab can switch users. Cross-site posts carry no
# cookie anyway (SameSite=Lax), exactly as for an anonymous visitor.
CSRF_EXEMPT = ('api_auth.register', 'api_auth.login')
# The sign-in and sign-up forms are checked even without a session user, so no
# other site can sign a visitor in to an account of its choosing.
SIGN_IN_FORMS = ('account_pages.login', 'account_pages.register')


def load_user():
    """before_request: set g.user, how it was authenticated ('token', 'cookie' or
    None), g.token, the bearer token it came with, and g.login_session, the
    server-side session row of a cookie."""
    g.user, g.auth, g.token, g.login_session = None, None, None, None
    header = request.headers.get('Authorization', '')
    if header.startswith('Bearer '):
        token = header[7:].strip()
        if _is_metrics_token(token):
            g.auth = 'metrics'   # a scraper: no user, only /metrics accepts it
            return
        g.user = user_for_token(token)
        if g.user is None:
            raise ApiError(401, 'invalid or expired token')
        g.auth, g.token = 'token', token
    elif 'sid' in session or 'user_id' in session:
        _load_session_user()


def _load_session_user():
    """The user of the cookie's server-side session. A cookie whose session has
    ended (signed out, password changed, expired), or one from before sessions
    were recorded (only a user id), signs in no one and is cleared."""
    row = login_sessions.find(session.get('sid'))
    if row is None:
        session.clear()
        return
    g.user, g.auth, g.login_session = row.user, 'cookie', row


def _is_metrics_token(token):
    expected = current_app.config['SETTINGS'].metrics_token
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def csrf_token():
    if 'csrf' not in session:
        session['csrf'] = secrets.token_urlsafe(32)
    return session['csrf']


def check_csrf():
    """before_request: a write made with the session cookie, or a page form posted
    anonymously (the sign-in form), must carry the session's CSRF token."""
    if request.method in SAFE_METHODS or g.auth in ('token', 'metrics'):
        return
    if request.endpoint in CSRF_EXEMPT:
        return
    if g.auth is None and request.endpoint not in SIGN_IN_FORMS:
        return   # anonymous: nothing to act as; the view answers 401 or a redirect
    sent = request.headers.get('X-CSRF-Token') or request.form.get('csrf_token') or ''
    expected = session.get('csrf', '')
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(403, 'missing or wrong CSRF token (send X-CSRF-Token from GET /api/auth/csrf)')


def login_session(user):
    """Sign this browser in as `user`: a new server-side session (any earlier one
    of this cookie ends), referenced from the cookie by its random key."""
    login_sessions.end(session.get('sid'))
    session.clear()
    session['sid'] = login_sessions.start(user, current_app.permanent_session_lifetime)
    session.permanent = True
    csrf_token()


def current_session_id():
    """The id of the server-side session this request came with, or None."""
    return g.login_session.id if g.get('login_session') else None


def logout_session():
    """End this browser's session for good and clear its cookie."""
    login_sessions.end(session.get('sid'))
    session.clear()


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            if wants_json():
                raise ApiError(401, 'authentication required')
            return redirect(url_for('account_pages.login', next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not g.user.is_admin:
            raise ApiError(403, 'administrators only')
        return view(*args, **kwargs)
    return wrapped
