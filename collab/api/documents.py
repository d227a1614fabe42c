"""Documents and their versions."""
from flask import Blueprint, g, jsonify

from collab import documents, operations, validation as v, workspace_actions
from collab.access import require, require_author_or_manager
from collab.api.common import ID
from collab.validation import content
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.errors import ApiError
from collab.models import Document, DocumentVersion

bp = Blueprint('api_documents', __name__, url_prefix='/api')


@bp.get(f'/workspaces/<{ID}:workspace_id>/documents')
@login_required
def list_documents(workspace_id):
    workspace, _ = membership(workspace_id)
    docs = Document.select().where(Document.workspace == workspace).order_by(
        Document.updated_at.desc(), Document.id.desc())
    return jsonify({'documents': [d.to_dict(content=False) for d in docs]})


@bp.post(f'/workspaces/<{ID}:workspace_id>/documents')
@login_required
def create_document(workspace_id):
    workspace, _ = membership(workspace_id)
    data = v.json_body()
    doc = operations.create_document(workspace, g.user, v.text(data, 'title', 200),
                                  content(data, required=False) or '')
    return jsonify(doc.to_dict()), 201


@bp.get(f'/documents/<{ID}:document_id>')
@login_required
def get_document(document_id):
    return jsonify(require(Document, document_id, 'document').to_dict())


@bp.put(f'/documents/<{ID}:document_id>')
@login_required
def update_document(document_id):
    """A new version. With `base_version`, a save over any other version is a 409
    carrying the current one (`current`): nothing is overwritten unseen."""
    doc = require(Document, document_id, 'document')
    data = v.json_body()
    title, text = v.text(data, 'title', 200, required=False), content(data)
    return _save(doc, title, text, data)


@bp.patch(f'/documents/<{ID}:document_id>')
@login_required
def patch_document(document_id):
    """As PUT, but the content too may be left out (a new title only)."""
    doc = require(Document, document_id, 'document')
    data = v.json_body()
    title, text = v.text(data, 'title', 200, required=False), content(data, required=False)
    if title is None and text is None:
        raise ApiError(400, 'send a title, a content or both', 'content')
    return _save(doc, title, text, data)


def _save(doc, title, text, data):
    base = documents.base_version(data.get('base_version'))
    return jsonify(operations.update_document(doc, g.user, title, text, base).to_dict())


@bp.delete(f'/documents/<{ID}:document_id>')
@login_required
def delete_document(document_id):
    """Its author or an owner or admin: the document, its versions and its search entry."""
    doc = require(Document, document_id, 'document')
    require_author_or_manager(doc.workspace_id, doc.created_by_id, 'document')
    workspace_actions.delete_document(doc, g.user)
    return jsonify({'deleted': document_id})


@bp.get(f'/documents/<{ID}:document_id>/versions')
@login_required
def list_versions(document_id):
    doc = require(Document, document_id, 'document')
    rows = list(doc.versions.order_by(DocumentVersion.version.desc()))
    names = documents.author_names(rows)
    return jsonify({'versions': [documents.with_author(r, names, content=False) for r in rows]})


@bp.get(f'/documents/<{ID}:document_id>/versions/<{ID}:number>')
@login_required
def get_version(document_id, number):
    doc = require(Document, document_id, 'document')
    row = documents.find_version(doc.id, number)
    return jsonify(documents.with_author(row, documents.author_names([row])))


@bp.post(f'/documents/<{ID}:document_id>/versions/<{ID}:number>/restore')
@login_required
def restore_version(document_id, number):
    """A new version with that version's title and content; its author is who restored it."""
    doc = require(Document, document_id, 'document')
    return jsonify(operations.restore_version(doc, g.user, number).to_dict())
