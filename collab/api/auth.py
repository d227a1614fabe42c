"""Register, log in and out, and the current user."""
from flask import Blueprint, current_app, g, jsonify, request

from collab import security, signup, users, validation as v
from collab.auth import (csrf_token, current_session_id, login_required, login_session,
                         logout_session)
from collab.errors import ApiError, error_response

bp = Blueprint('api_auth', __name__, url_prefix='/api')


@bp.app_errorhandler(security.Throttled)
def _throttled(exc):
    """429 with Retry-After, on every route that is throttled."""
    response, status = error_response(exc.status, exc.message, exc.field)
    response.headers['Retry-After'] = str(exc.retry_after)
    return response, status


@bp.post('/auth/register')
def register():
    """SIGNUP decides who may (collab/signup.py); `invite` is an invite's token."""
    data = v.json_body()
    user, _ = signup.sign_up(v.email(data), v.text(data, 'name', 100),
                             data.get('password'), data.get('invite'))
    return jsonify(user.to_dict()), 201


@bp.post('/auth/login')
def login():
    data = v.json_body()
    password = data.get('password')
    if not isinstance(password, str) or not password:
        raise ApiError(400, 'password is required', 'password')
    name = v.text(data, 'token_name', 100, required=False) or 'sign-in'
    user = security.authenticate(v.email(data), password)
    if user is None:
        raise ApiError(401, 'wrong email or password')
    login_session(user)
    token, _ = users.issue_token(user, name, current_app.config['SETTINGS'].token_days)
    return jsonify({'token': token, 'user': user.to_dict(), 'csrf_token': csrf_token()})


@bp.post('/auth/logout')
def logout():
    """Ends the bearer token the request came with, and the cookie's session."""
    header = request.headers.get('Authorization', '')
    if header.startswith('Bearer '):
        users.revoke_token(header[7:].strip())
    logout_session()
    return jsonify({'ok': True})


@bp.get('/auth/csrf')
def csrf():
    return jsonify({'csrf_token': csrf_token()})


@bp.get('/me')
@login_required
def me():
    return jsonify(g.user.to_dict())


@bp.patch('/me')
@login_required
def update_me():
    data = v.json_body()
    name, push = v.text(data, 'name', 100, required=False), v.boolean(data, 'push')
    if name is None and push is None:
        raise ApiError(400, 'nothing to change: send name and/or push')
    if name is not None:
        g.user.name = name
    if push is not None:
        g.user.push_enabled = push
    g.user.save()
    return jsonify(g.user.to_dict())


@bp.post('/me/password')
@login_required
def change_password():
    """{current, new}: every other session and every token of the user ends."""
    data = v.json_body()
    current, new = data.get('current'), data.get('new')
    if not isinstance(current, str) or not current:
        raise ApiError(400, 'current is required: your present password', 'current')
    users.check_password(new, 'new')
    # Throttled as a sign-in is: a stolen session cannot guess the password.
    if security.authenticate(g.user.email, current) is None:
        raise ApiError(403, 'the current password is wrong', 'current')
    users.set_password(g.user, new, keep_session_id=current_session_id())
    return jsonify({'ok': True})
