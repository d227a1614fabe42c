"""Workspace exports: start one, follow it, download the zip (members only)."""
from flask import Blueprint, current_app, g, jsonify, send_file

from collab import operations, exports
from collab.access import require
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
    export = operations.request_export(workspace, g.user)
    return jsonify({'export_id': export.id, 'job_id': export.job_id,
                    'url': f'/api/exports/{export.id}'}), 202


@bp.get(f'/exports/<{ID}:export_id>')
@login_required
def get_export(export_id):
    return jsonify(require(Export, export_id, 'export').to_dict())


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
