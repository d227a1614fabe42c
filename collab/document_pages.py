"""What the document pages show (collab/workspace_pages.py routes to these): the page
with its rendered text, editor, preview and history; a save that met a newer version
(the conflict view: the user's text kept in the editor, the current version beside
it); one version in full; the delete confirmation."""
import difflib

from flask import abort, render_template, request

from collab import access, documents, markdown
from collab.errors import ApiError
from collab.models import DocumentVersion
from collab.page_forms import field
from collab.validation import MAX_CONTENT, MAX_ID


def may_delete(doc):
    return access.may_delete(doc.workspace_id, doc.created_by_id)


def draft_from_form():
    """What the editor sent: the title, the text and the version it was edited from
    (the page's form always sends it; a form post without one overwrites, as the API's
    PUT without base_version does)."""
    base = field('base_version', 20, required=False)
    if base.isascii() and base.isdigit():
        base = int(base)
    return {'title': field('title', 200),
            'content': field('content', MAX_CONTENT, required=False, strip=False),
            'base_version': documents.base_version(None if base == '' else base)}


def document_page(doc, draft=None, preview=None, conflict=None, status=200):
    """The document page. `draft` is what the editor holds (the saved text unless the
    user's own is kept); `conflict` the current version their save met."""
    # The history without each version's content: only a diff asked for reads two.
    versions = list(DocumentVersion.select(
        DocumentVersion.id, DocumentVersion.version, DocumentVersion.author,
        DocumentVersion.created_at, DocumentVersion.restored_from,
        DocumentVersion.lines_added, DocumentVersion.lines_removed)
        .where(DocumentVersion.document == doc.id).order_by(DocumentVersion.version.desc()))
    editor = draft or {'title': doc.title, 'content': doc.content, 'base_version': doc.version}
    return render_template(
        'document.html', doc=doc, workspace=doc.workspace, versions=versions,
        authors=documents.author_names(versions), current=documents.current_version(doc),
        rendered=markdown.render(doc.content), editor=editor, preview=preview,
        conflict=conflict, diff=_diff(doc), can_delete=may_delete(doc)), status


def conflict_page(current, draft):
    """409: their text stays in the editor, now based on the current version, so that
    saving again puts it on top; the current version is shown beside it."""
    based_on = draft['base_version']
    editor = dict(draft, base_version=current.version)
    conflict = {'based_on': based_on, 'version': current.version,
                'author_name': documents.current_version(current)['author_name'],
                'rendered': markdown.render(current.content), 'content': current.content,
                'title': current.title}
    return document_page(current, draft=editor, conflict=conflict, status=409)


def version_page(doc, number):
    try:
        row = documents.find_version(doc.id, number)
    except ApiError as exc:
        abort(404, exc.message)
    return render_template('document_version.html', doc=doc, workspace=doc.workspace,
                           version=row, author_name=documents.author_names([row]).get(
                               row.author_id),
                           rendered=markdown.render(row.content))


def delete_page(doc):
    if not may_delete(doc):
        abort(403, 'only the member who made this document, or an owner or admin of this '
                   'workspace, can delete it')
    return render_template('document_delete.html', doc=doc, workspace=doc.workspace)


def _diff(doc):
    """Lines of a unified diff between ?diff=<version> and the kept version before it."""
    number = request.args.get('diff', type=int)
    if number is None:
        return None
    if not 0 < number <= MAX_ID:
        return {'number': number, 'lines': [], 'missing': True}
    pair = list(DocumentVersion.select().where((DocumentVersion.document == doc.id)
                                               & (DocumentVersion.version <= number))
                .order_by(DocumentVersion.version.desc()).limit(2))
    if not pair or pair[0].version != number:
        return {'number': number, 'lines': [], 'missing': True}
    current, previous = pair[0], (pair[1] if len(pair) > 1 else None)
    before = previous.content.splitlines() if previous else []
    lines = list(difflib.unified_diff(before, current.content.splitlines(),
                                      f'version {previous.version if previous else 0}',
                                      f'version {number}', lineterm=''))
    return {'number': number, 'lines': lines, 'missing': False}
