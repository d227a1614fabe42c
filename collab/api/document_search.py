"""Full-text search in a workspace's documents."""
from flask import Blueprint, jsonify, request

from collab import fulltext
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.validation import int_arg

bp = Blueprint('api_search', __name__, url_prefix='/api')


@bp.get(f'/workspaces/<{ID}:workspace_id>/search')
@login_required
def search_documents(workspace_id):
    workspace, _ = membership(workspace_id)
    query = request.args.get('q', '')
    if not query.strip():
        raise ApiError(400, 'q is required', 'q')
    if len(query) > 500:
        raise ApiError(400, 'q must be at most 500 characters', 'q')
    limit = int_arg('limit', 20, 1, 100)
    return jsonify({'query': query, 'results': fulltext.search(workspace.id, query, limit)})
