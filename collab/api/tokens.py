"""The current user's API tokens: make a named one, list them, revoke one."""
from flask import Blueprint, current_app, g, jsonify

from collab import users, validation as v
from collab.api.common import ID
from collab.auth import login_required
from collab.errors import ApiError

bp = Blueprint('api_tokens', __name__, url_prefix='/api/me/tokens')


@bp.get('')
@login_required
def list_tokens():
    """Never the secrets: only their names, dates and ids. `current` marks the
    token this request came with."""
    current = users.token_hash(g.token) if g.token else None
    return jsonify({'tokens': [{**row.to_dict(), 'current': row.token_hash == current}
                               for row in users.tokens_of(g.user)]})


@bp.post('')
@login_required
def create_token():
    name = v.text(v.json_body(), 'name', 100)
    token, row = users.issue_token(g.user, name, current_app.config['SETTINGS'].token_days)
    return jsonify({**row.to_dict(), 'token': token}), 201


@bp.delete(f'/<{ID}:token_id>')
@login_required
def delete_token(token_id):
    if not users.delete_token(g.user, v.row_id(token_id, 'token')):
        raise ApiError(404, 'no such token')
    return '', 204
