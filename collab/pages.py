"""Server-rendered pages: sign-in and the start page."""
from urllib.parse import urlparse

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from collab import security
from collab.errors import ApiError
from collab.auth import csrf_token, login_session

bp = Blueprint('pages', __name__)


@bp.app_context_processor
def _template_globals():
    return {'csrf_token': csrf_token, 'current_user': g.get('user')}


@bp.get('/')
def index():
    if g.user is None:
        return redirect(url_for('pages.login'))
    from collab.models import Member, Workspace
    workspaces = (Workspace.select(Workspace, Member.role).join(Member)
                  .where(Member.user == g.user).order_by(Workspace.name).objects())
    return render_template('index.html', workspaces=workspaces)


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
    return redirect(url_for('pages.login'))


def _safe_next(target):
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return url_for('pages.index')
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith('/') or target.startswith('//'):
        return url_for('pages.index')
    return target
