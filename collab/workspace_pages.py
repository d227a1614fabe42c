"""Server-rendered workspace pages: the start page (your workspaces), a workspace,
its documents (with history and diffs), channels, search, notifications and
exports. Forms post back here; JS only adds live updates."""
import functools

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)
from peewee import JOIN

from collab import (broadcast, channel_live, channel_reads, export_progress, notifications,
                    operations, workspace_search)
from collab import files as files_store, workspace_actions
from collab import document_pages, documents, markdown
from collab import invite_page
from collab.access import may_delete, require_author_or_manager, require_manager, role_in
from collab.api import files as api_files
from collab.api.activity import entry, feed
from collab.auth import login_required
from collab.errors import ApiError
from collab.links import external_url
from collab.models import (Channel, Document, Export, File, Member,
                           Message, Notification, User, Workspace)
from collab.page_forms import field, form_action
from collab.validation import EMAIL_RE, MAX_CONTENT, lowered

bp = Blueprint('workspace_pages', __name__)
ID = 'int(max=9223372036854775807)'


@bp.app_context_processor
def _notification_count():
    user = g.get('user')
    return {'unread_notifications': notifications.unread_count(user) if user else 0}


def member_only(model, label):
    """Load `<model>_id` from the URL; 404 when missing, 403 for non-members."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(row_id, **kwargs):
            row = model.get_or_none(model.id == row_id)
            if row is None:
                abort(404, f'no such {label}')
            workspace_id = row.id if model is Workspace else row.workspace_id
            if role_in(workspace_id) is None:
                abort(403, 'you are not a member of this workspace')
            return view(row, **kwargs)
        return wrapped
    return decorator


@bp.get('/')
def index():
    if g.user is None:
        return redirect(url_for('account_pages.login'))
    workspaces = (Workspace.select(Workspace, Member.role).join(Member)
                  .where(Member.user == g.user).order_by(Workspace.name).objects())
    return render_template('index.html', workspaces=workspaces)


@bp.post('/workspaces')
@login_required
@form_action
def create_workspace():
    workspace = operations.create_workspace(g.user, field('name', 100))
    return redirect(url_for('workspace_pages.workspace', row_id=workspace.id))


@bp.get(f'/w/<{ID}:row_id>')
@member_only(Workspace, 'workspace')
def workspace(ws):
    recent = list(ws.exports.order_by(Export.id.desc()).limit(5))
    return render_template(
        'workspace.html', workspace=ws,
        documents=ws.documents.order_by(Document.updated_at.desc()),
        channels=ws.channels.order_by(Channel.name),
        unread=channel_reads.unread_counts(g.user.id, ws.id),
        members=Member.select(Member, User).join(User).where(Member.workspace == ws),
        files=api_files.with_uploaders(ws),
        manager=role_in(ws.id) in Member.MANAGERS,   # invites, exports, anyone's files
        max_file_bytes=files_store.MAX_FILE_BYTES,
        exports=recent,
        export_progress=export_progress.of_exports(recent),
        activity=[entry(a) for a in feed(ws.id, 20)],
        online=broadcast.online_users(current_app.config['SETTINGS']).online_user_ids())


@bp.post(f'/w/<{ID}:row_id>/documents')
@member_only(Workspace, 'workspace')
@form_action
def create_document(ws):
    doc = operations.create_document(ws, g.user, field('title', 200),
                                     field('content', MAX_CONTENT, required=False, strip=False))
    return redirect(url_for('workspace_pages.document', row_id=doc.id))


@bp.post(f'/w/<{ID}:row_id>/channels')
@member_only(Workspace, 'workspace')
@form_action
def create_channel(ws):
    name = lowered(field('name', 80), 'name', 80)
    if Channel.select().where((Channel.workspace == ws) & (Channel.name == name)).exists():
        raise ApiError(409, 'a channel with this name already exists', 'name')
    channel = operations.create_channel(ws, g.user, name)
    return redirect(url_for('workspace_pages.channel', row_id=channel.id))


@bp.post(f'/w/<{ID}:row_id>/invites')
@member_only(Workspace, 'workspace')
@form_action
def invite(ws):
    email = field('email', 254).lower()
    if not EMAIL_RE.match(email):
        raise ApiError(400, 'that is not a valid email address', 'email')
    _, token = operations.invite(ws, g.user, email)
    flash(f'Invite link for {email} (valid 7 days): '
          f'{external_url("workspace_pages.accept_invite", token=token)}', 'info')
    return redirect(url_for('workspace_pages.workspace', row_id=ws.id))


@bp.route('/invites/<token>', methods=['GET', 'POST'])
@form_action
def accept_invite(token):
    """Anyone holding the link sees the workspace and who invited them; joining needs
    an account (collab/invite_page.py renders the page)."""
    if request.method == 'POST':
        if g.user is None:
            return redirect(url_for('account_pages.login', next=request.path))
        invite, _ = operations.accept_invite(token[:100], g.user)
        return redirect(url_for('workspace_pages.workspace', row_id=invite.workspace_id))
    return invite_page.invite_page(token)


@bp.post(f'/w/<{ID}:row_id>/files')
@member_only(Workspace, 'workspace')
@form_action
def upload(ws):
    upload = request.files.get('file')
    if upload is None or not upload.filename:
        raise ApiError(400, 'choose a file to upload', 'file')
    row = operations.upload_file(ws, g.user, upload)
    flash(f'Uploaded “{row.name}” ({row.size} bytes).', 'info')
    return redirect(url_for('workspace_pages.workspace', row_id=ws.id))


@bp.get(f'/f/<{ID}:row_id>/delete')
@member_only(File, 'file')
def confirm_delete_file(row):
    """Where the list's Delete link leads without JavaScript (with it, the page asks)."""
    if not may_delete(row.workspace_id, row.uploaded_by_id):
        abort(403, 'only the member who uploaded this file, or an owner or admin of this '
                   'workspace, can delete it')
    return render_template('file_delete.html', file=row, workspace=row.workspace)


@bp.post(f'/f/<{ID}:row_id>/delete')
@member_only(File, 'file')
@form_action
def delete_file(row):
    """Its uploader, an owner or an admin."""
    require_author_or_manager(row.workspace_id, row.uploaded_by_id, 'file')
    workspace_actions.delete_file(row, g.user)
    flash(f'Deleted “{row.name}”.', 'info')
    return redirect(url_for('workspace_pages.workspace', row_id=row.workspace_id))


@bp.post(f'/w/<{ID}:row_id>/exports')
@member_only(Workspace, 'workspace')
@form_action
def start_export(ws):
    require_manager(ws.id, 'start exports')
    operations.request_export(ws, g.user)
    flash('Export started; you will be notified when it is ready.', 'info')
    return redirect(url_for('workspace_pages.workspace', row_id=ws.id))


@bp.get(f'/w/<{ID}:row_id>/search')
@member_only(Workspace, 'workspace')
def search_page(ws):
    query = request.args.get('q', '')[:500]
    results = workspace_search.search(ws.id, query) if query.strip() else []
    return render_template('search.html', workspace=ws, query=query, results=results)


@bp.get(f'/d/<{ID}:row_id>')
@member_only(Document, 'document')
def document(doc):
    return document_pages.document_page(doc)


@bp.post(f'/d/<{ID}:row_id>')
@member_only(Document, 'document')
@form_action
def save_document(doc):
    """Save (or preview) the editor's text. A save based on an older version than the
    current one keeps the text in the editor and shows the current version (409)."""
    draft = document_pages.draft_from_form()
    if request.form.get('action') == 'preview':
        return document_pages.document_page(doc, draft=draft,
                                            preview=markdown.render(draft['content']))
    try:
        operations.update_document(doc, g.user, draft['title'], draft['content'],
                                   draft['base_version'])
    except documents.DocumentConflict as conflict:
        return document_pages.conflict_page(conflict.doc, draft)
    flash('Saved.', 'info')
    return redirect(url_for('workspace_pages.document', row_id=doc.id))


@bp.get(f'/d/<{ID}:row_id>/v/<{ID}:number>')
@member_only(Document, 'document')
def document_version(doc, number):
    return document_pages.version_page(doc, number)


@bp.post(f'/d/<{ID}:row_id>/v/<{ID}:number>/restore')
@member_only(Document, 'document')
@form_action
def restore_version(doc, number):
    doc = operations.restore_version(doc, g.user, number)
    flash(f'Restored version {number} as version {doc.version}.', 'info')
    return redirect(url_for('workspace_pages.document', row_id=doc.id))


@bp.get(f'/d/<{ID}:row_id>/delete')
@member_only(Document, 'document')
def confirm_delete_document(doc):
    return document_pages.delete_page(doc)


@bp.post(f'/d/<{ID}:row_id>/delete')
@member_only(Document, 'document')
@form_action
def delete_document(doc):
    require_author_or_manager(doc.workspace_id, doc.created_by_id, 'document')
    workspace_actions.delete_document(doc, g.user)
    flash(f'Deleted “{doc.title}”.', 'info')
    return redirect(url_for('workspace_pages.workspace', row_id=doc.workspace_id))


@bp.get(f'/c/<{ID}:row_id>')
@member_only(Channel, 'channel')
def channel(ch):
    messages = list(Message.select(Message, User).join(User, JOIN.LEFT_OUTER)
                    .where(Message.channel == ch).order_by(Message.id.desc()).limit(100))[::-1]
    # Opening the channel reads it: the workspace page's count for it clears.
    channel_reads.mark_read(g.user.id, ch)
    channel_live.announce_read(current_app.config['SETTINGS'], g.user.id, ch, 0)
    return render_template('channel.html', channel=ch, workspace=ch.workspace, messages=messages)


@bp.post(f'/c/<{ID}:row_id>')
@member_only(Channel, 'channel')
@form_action
def post_message(ch):
    message = operations.post_message(ch, g.user, field('body', 10_000))
    channel_live.announce(current_app.config['SETTINGS'], channel_live.POSTED, message, ch,
                          g.user.id)
    return redirect(url_for('workspace_pages.channel', row_id=ch.id))


@bp.get('/notifications')
@login_required
def notifications_page():
    rows = Notification.select().where(Notification.user == g.user).order_by(
        Notification.id.desc()).limit(100)
    return render_template('notifications.html', notes=notifications.grouped(rows))


@bp.post('/notifications/read-all')
@login_required
def read_all():
    notifications.mark_read(g.user)
    return redirect(url_for('workspace_pages.notifications_page'))


@bp.get(f'/exports/<{ID}:row_id>')
@member_only(Export, 'export')
def export_download(export):
    """The page route to the zip: the API's download, reachable by a link."""
    return redirect(url_for('api_exports.download', export_id=export.id))
