"""Workspace exports: start one (owners and admins), follow it and download the zip
(members), delete it (its requester, owners and admins)."""
from flask import Blueprint, current_app, g, jsonify, send_file

from collab import operations, exports, workspace_actions
from collab.access import require, require_author_or_manager, require_manager
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.models import Export

bp = Blueprint('api_exports', __name__, url_prefix='/api')


@bp.post(f'/workspaces/<{ID}:workspace_id>/exports')
@login_required
def start_export(workspace_id):
    workspace, _ = membership(workspace_id)
    require_manager(workspace.id, 'start exports')
    export = operations.request_export(workspace, g.user)
    return jsonify({'export_id': export.id, 'job_id': export.job_id,
                    'url': f'/api/exports/{export.id}'}), 202


@bp.get(f'/exports/<{ID}:export_id>')
@login_required
def get_export(export_id):
    return jsonify(require(Export, export_id, 'export').to_dict())


@bp.delete(f'/exports/<{ID}:export_id>')
@login_required
def delete_export(export_id):
    """The row and its zip (or the parts of one being built)."""
    export = require(Export, export_id, 'export')
    require_author_or_manager(export.workspace_id, export.requested_by_id, 'export')
    workspace_actions.delete_export(export, g.user)
    return jsonify({'deleted': export.id})


@bp.get(f'/exports/<{ID}:export_id>/download')
@login_required
def download(export_id):
    export = require(Export, export_id, 'export')
    if export.state != Export.READY:
        raise ApiError(409, f'the export is {export.state}, not ready')
    path = exports.zip_path(current_app.config['SETTINGS'], export)
    if not path.is_file():
        raise ApiError(410, 'the export file is gone')
    response = send_file(path, mimetype='application/zip', as_attachment=True,
                         download_name=f'workspace-{export.workspace_id}-export-{export.id}.zip')
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response
