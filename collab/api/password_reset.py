"""Forgotten passwords: ask for a reset link by email, then set a new password with
the link's token. The answer to the first is the same whether or not the email
has an account."""
from flask import Blueprint, jsonify

from collab import mail_requests, password_reset, validation as v
from collab.errors import ApiError

bp = Blueprint('api_password_reset', __name__, url_prefix='/api')

NOT_SET_UP = ('email is not set up on this server (SMTP_URL), so no reset link can be '
              "sent: ask the server's administrator to set a new password for you")
SENT = ('if an account has this email, a link to set a new password is on its way; '
        'it works once, for one hour')


@bp.post('/auth/password-reset')
def request_reset():
    """`{email}` → 202 whatever the email; 409 when the server cannot send mail."""
    email = v.email(v.json_body())
    if not mail_requests.enabled():
        raise ApiError(409, NOT_SET_UP)
    mail_requests.request_password_reset(email)
    return jsonify({'ok': True, 'message': SENT}), 202


@bp.post('/auth/password-reset/confirm')
def confirm_reset():
    """`{token, password}`: the new password; every session and token of the user ends."""
    data = v.json_body()
    token = data.get('token')
    if not isinstance(token, str) or not token:
        raise ApiError(400, 'token is required (from the reset link)', 'token')
    password_reset.reset(token, data.get('password'))
    return jsonify({'ok': True})
