"""Search in a workspace: documents (full text), chat messages and file names."""
from flask import Blueprint, jsonify, request

from collab import workspace_search
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
    kind = request.args.get('kind', '')
    if kind and kind not in workspace_search.KINDS:
        raise ApiError(400, 'kind must be one of ' + ', '.join(workspace_search.KINDS), 'kind')
    kinds = (kind,) if kind else workspace_search.KINDS
    return jsonify({'query': query,
                    'results': workspace_search.search(workspace.id, query, limit, kinds)})
