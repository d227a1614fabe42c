"""File uploads (multipart), downloads (always as an attachment) and deletion.
A file's JSON names its uploader too (`uploaded_by_name`, null once they are gone)."""
from flask import Blueprint, current_app, g, jsonify, request, send_file
from peewee import JOIN

from collab import operations, files, workspace_actions
from collab.access import require, require_author_or_manager
from collab.api.common import ID
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.models import File, User

bp = Blueprint('api_files', __name__, url_prefix='/api')
MULTIPART_OVERHEAD = 64 * 1024


@bp.get(f'/workspaces/<{ID}:workspace_id>/files')
@login_required
def list_files(workspace_id):
    workspace, _ = membership(workspace_id)
    return jsonify({'files': [file_json(f) for f in with_uploaders(workspace)]})


def with_uploaders(workspace):
    """The workspace's files, newest first, each with its uploader in the same query."""
    return (File.select(File, User).join(User, JOIN.LEFT_OUTER, on=File.uploaded_by)
            .where(File.workspace == workspace).order_by(File.id.desc()))


def file_json(row):
    return {**row.to_dict(),
            'uploaded_by_name': row.uploaded_by.name if row.uploaded_by_id else None}


@bp.post(f'/workspaces/<{ID}:workspace_id>/files')
@login_required
def upload(workspace_id):
    workspace, _ = membership(workspace_id)
    # Refuse an oversized upload before reading it, when the client says its size.
    if (request.content_length or 0) > files.MAX_FILE_BYTES + MULTIPART_OVERHEAD:
        raise ApiError(413, f'file is larger than {files.MAX_FILE_BYTES} bytes', 'file')
    if not (request.mimetype or '').startswith('multipart/form-data'):
        raise ApiError(400, 'send the file as multipart/form-data in a field named "file"', 'file')
    upload = request.files.get('file')
    if upload is None or not upload.filename:
        raise ApiError(400, 'file is required (a multipart field named "file")', 'file')
    return jsonify(file_json(operations.upload_file(workspace, g.user, upload))), 201


@bp.get(f'/files/<{ID}:file_id>')
@login_required
def download(file_id):
    row = require(File, file_id, 'file')
    path = files.path_for(current_app.config['SETTINGS'], row.stored_name)
    if not path.is_file():
        raise ApiError(410, 'the stored file is missing')
    response = send_file(path, mimetype='application/octet-stream', as_attachment=True,
                         download_name=row.name, max_age=0)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    response.headers['Content-Security-Policy'] = "default-src 'none'; sandbox"
    return response


@bp.delete(f'/files/<{ID}:file_id>')
@login_required
def delete(file_id):
    """Its uploader or an owner or admin: the row and the stored bytes."""
    row = require(File, file_id, 'file')
    require_author_or_manager(row.workspace_id, row.uploaded_by_id, 'file')
    workspace_actions.delete_file(row, g.user)
    return jsonify({'deleted': row.id})
