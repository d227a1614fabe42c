"""Server-rendered account pages: sign in, sign out, create an account."""
from urllib.parse import urlparse

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from collab import security, users
from collab.auth import csrf_token, login_session
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
            return render_template('login.html', error=exc.message), exc.status
        if user is not None:
            login_session(user)
            return redirect(_safe_next(request.args.get('next')))
        error = 'Wrong email or password.'
    return render_template('login.html', error=error), 401 if error else 200


@bp.post('/logout')
def logout():
    session.clear()
    return redirect(url_for('account_pages.login'))


@bp.route('/register', methods=['GET', 'POST'])
@form_action
def register():
    if request.method == 'POST':
        email = field('email', 254).lower()
        if not EMAIL_RE.match(email):
            raise ApiError(400, 'that is not a valid email address', 'email')
        user = users.create_user(email, field('name', 100), request.form.get('password', ''))
        login_session(user)
        return redirect(url_for('workspace_pages.index'))
    return render_template('register.html')


def _safe_next(target):
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return url_for('workspace_pages.index')
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith('/') or target.startswith('//'):
        return url_for('workspace_pages.index')
    return target
