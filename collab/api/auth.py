"""Register, log in and out, and the current user."""
from flask import Blueprint, g, jsonify, request, session

from collab import security, users, validation as v
from collab.auth import csrf_token, login_required, login_session
from collab.errors import ApiError

bp = Blueprint('api_auth', __name__, url_prefix='/api')


@bp.post('/auth/register')
def register():
    data = v.json_body()
    user = users.create_user(v.email(data), v.text(data, 'name', 100),
                             data.get('password'))
    return jsonify(user.to_dict()), 201


@bp.post('/auth/login')
def login():
    data = v.json_body()
    password = data.get('password')
    if not isinstance(password, str) or not password:
        raise ApiError(400, 'password is required', 'password')
    user = security.authenticate(v.email(data), password)
    if user is None:
        raise ApiError(401, 'wrong email or password')
    login_session(user)
    return jsonify({'token': users.issue_token(user), 'user': user.to_dict(),
                    'csrf_token': csrf_token()})


@bp.post('/auth/logout')
def logout():
    header = request.headers.get('Authorization', '')
    if header.startswith('Bearer '):
        users.revoke_token(header[7:].strip())
    session.clear()
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
