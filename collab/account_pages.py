"""Server-rendered account pages: sign in, sign out, create an account, change the password."""
from urllib.parse import urlparse

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from collab import security, signup, users
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
    if request.method == 'POST':
        email = (request.form.get('email') or '').strip().lower()
        try:
            user = security.authenticate(email, request.form.get('password') or '')
        except ApiError as exc:
            headers = {'Retry-After': str(exc.retry_after)} \
                if isinstance(exc, security.Throttled) else {}
            return render_template('login.html', error=exc.message), exc.status, headers
        if user is not None:
            login_session(user)
            return redirect(_safe_next(request.args.get('next')))
        error = 'Wrong email or password.'
    return render_template('login.html', error=error), 401 if error else 200


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
    token = request.form.get('invite') or request.args.get('invite') or None
    if request.method == 'POST':
        email = field('email', 254).lower()
        if not EMAIL_RE.match(email):
            raise ApiError(400, 'that is not a valid email address', 'email')
        user, workspace_id = signup.sign_up(email, field('name', 100),
                                            request.form.get('password', ''), token)
        login_session(user)
        if workspace_id is not None:
            return redirect(url_for('workspace_pages.workspace', row_id=workspace_id))
        return redirect(url_for('workspace_pages.index'))
    refusal = _signup_refusal(token)
    return render_template('register.html', invite=token, refusal=refusal), \
        403 if refusal else 200


def _signup_refusal(token):
    """Why the form would be refused, shown before anyone fills it in; None if it may go."""
    if token is None:
        return signup.refusal_without_invite()
    try:
        signup.check_invite(token)
    except ApiError as exc:
        return exc.message
    return None


def _safe_next(target):
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return url_for('workspace_pages.index')
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith('/') or target.startswith('//'):
        return url_for('workspace_pages.index')
    return target
