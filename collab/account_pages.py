"""Server-rendered account pages: sign in, sign out, create an account, the account
page and changing the password, and resetting a forgotten one by email.

Sign-in and sign-up keep `?next=` (an invite link sends people through them and
back), and go there only if it is a path on this site."""
import hmac
from urllib.parse import urlparse

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from collab import mail_requests, password_reset, security, signup, users
from collab.api.password_reset import NOT_SET_UP, SENT
from collab.auth import (csrf_token, current_session_id, login_required, login_session,
                         logout_session)
from collab.errors import ApiError
from collab.page_forms import field, form_action
from collab.validation import EMAIL_RE

bp = Blueprint('account_pages', __name__)


@bp.app_context_processor
def _template_globals():
    return {'csrf_token': csrf_token, 'current_user': g.get('user')}


@bp.route('/login', methods=['GET', 'POST'])
def login():
    error = None
    next_path = local_path(_next_arg())
    if request.method == 'POST':
        email = (request.form.get('email') or '').strip().lower()
        try:
            user = security.authenticate(email, request.form.get('password') or '')
        except ApiError as exc:
            headers = {'Retry-After': str(exc.retry_after)} \
                if isinstance(exc, security.Throttled) else {}
            return render_template('login.html', error=exc.message, next=next_path), \
                exc.status, headers
        if user is not None:
            login_session(user)
            return redirect(next_path or url_for('workspace_pages.index'))
        error = 'Wrong email or password.'
    return render_template('login.html', error=error, next=next_path), 401 if error else 200


@bp.post('/logout')
def logout():
    logout_session()
    return redirect(url_for('account_pages.login'))


@bp.route('/account/password', methods=['GET', 'POST'])
@login_required
@form_action
def password():
    """Change the password: every other session and every token of the user ends."""
    if request.method == 'POST':
        new = request.form.get('new', '')
        users.check_password(new, 'new')
        if request.form.get('repeat', '') != new:
            raise ApiError(400, 'the two new passwords differ', 'repeat')
        if security.authenticate(g.user.email, request.form.get('current', '')) is None:
            raise ApiError(403, 'the current password is wrong', 'current')
        users.set_password(g.user, new, keep_session_id=current_session_id())
        flash('Password changed. Every other session and every API token of yours has ended.')
        return redirect(url_for('account_pages.password'))
    return render_template('password.html')


@bp.route('/register', methods=['GET', 'POST'])
@form_action
def register():
    """SIGNUP decides who may (collab/signup.py); an invite link's token comes as
    `?invite=` and rides along in the form."""
    next_path = local_path(_next_arg())
    token = request.form.get('invite') or request.args.get('invite') or _needed_invite(next_path)
    if request.method == 'POST':
        email = field('email', 254).lower()
        if not EMAIL_RE.match(email):
            raise ApiError(400, 'that is not a valid email address', 'email')
        user, workspace_id = signup.sign_up(email, field('name', 100),
                                            request.form.get('password', ''), token)
        login_session(user)
        if next_path:
            return redirect(next_path)
        if workspace_id is not None:
            return redirect(url_for('workspace_pages.workspace', row_id=workspace_id))
        return redirect(url_for('workspace_pages.index'))
    refusal = _signup_refusal(token)
    return render_template('register.html', invite=token, refusal=refusal, next=next_path), \
        403 if refusal else 200


def _needed_invite(next_path):
    """The invite in `next` (/invites/<token>) when sign-up needs one: the invite link
    sent its holder here to sign up, and brings them back to it."""
    prefix = '/invites/'
    if not next_path or not next_path.startswith(prefix) \
            or signup.refusal_without_invite() is None:
        return None
    return urlparse(next_path).path[len(prefix):] or None


def _signup_refusal(token):
    """Why the form would be refused, shown before anyone fills it in; None if it may go."""
    if token is None:
        return signup.refusal_without_invite()
    try:
        signup.check_invite(token)
    except ApiError as exc:
        return exc.message
    return None


def _next_arg():
    return request.form.get('next') or request.args.get('next')


def local_path(target):
    """`target` if it is a path on this site, else None. Browsers read `//host`,
    `/\\host` and `\\host` as other sites, and skip tabs and newlines in a URL, so
    any backslash, control character or a second leading slash is refused."""
    if not isinstance(target, str) or not target.startswith('/') or len(target) > 2000:
        return None
    if target.startswith('//') or '\\' in target \
            or any(ord(c) < 0x21 or ord(c) == 0x7f for c in target):
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc:
        return None
    return target


def _check_form_csrf():
    """Forms anyone may post (forgot, reset) carry the session's CSRF token too: no
    other site can post them in a visitor's name."""
    sent = request.headers.get('X-CSRF-Token') or request.form.get('csrf_token') or ''
    expected = session.get('csrf', '')
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise ApiError(403, 'missing or wrong CSRF token: reload the page and try again')


@bp.get('/account')
@login_required
def account():
    return render_template('account.html', email_enabled=mail_requests.enabled())


@bp.route('/forgot-password', methods=['GET', 'POST'])
def forgot_password():
    """Ask for a reset link. The page says the same whether or not the email has an
    account; without SMTP_URL it says that no mail can be sent."""
    if request.method == 'POST':
        _check_form_csrf()
    if not mail_requests.enabled():
        return render_template('forgot_password.html', not_set_up=NOT_SET_UP)
    if request.method == 'POST':
        try:
            email = field('email', 254).lower()
            if not EMAIL_RE.match(email):
                raise ApiError(400, 'that is not a valid email address', 'email')
            mail_requests.request_password_reset(email)
        except ApiError as exc:
            return render_template('forgot_password.html', error=exc.message), exc.status
        return render_template('forgot_password.html', sent=SENT)
    return render_template('forgot_password.html')


@bp.route(password_reset.PATH + '<token>', methods=['GET', 'POST'])
def reset_password(token):
    """Set a new password with the token from the mailed link."""
    if request.method == 'POST':
        _check_form_csrf()
        try:
            new = request.form.get('new', '')
            if request.form.get('repeat', '') != new:
                raise ApiError(400, 'the two new passwords differ', 'repeat')
            password_reset.reset(token, new)
        except ApiError as exc:
            return render_template('reset_password.html', token=token, error=exc.message,
                                   invalid=exc.status == 410), exc.status
        logout_session()   # whoever this browser was signed in as
        flash('Your password is set. Every session of your account has ended: sign in '
              'with the new password.')
        return redirect(url_for('account_pages.login'))
    valid = password_reset.find_valid(token) is not None
    return render_template('reset_password.html', token=token, invalid=not valid,
                           error=None if valid else password_reset.INVALID), \
        200 if valid else 410
