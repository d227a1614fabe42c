"""Server-rendered workspace pages: the start page (your workspaces), a workspace,
its documents (with history and diffs), channels, search, notifications and
exports. Forms post back here; JS only adds live updates."""
import difflib
import functools

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, url_for)

from collab import broadcast, export_progress, fulltext, notifications, operations
from collab.access import require_manager, role_in
from collab.api.activity import entry, feed
from collab.auth import login_required
from collab.errors import ApiError
from collab.links import external_url
from collab.models import (Channel, Document, DocumentVersion, Export, File, Member,
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
        members=Member.select(Member, User).join(User).where(Member.workspace == ws),
        files=ws.files.order_by(File.id.desc()),
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
@login_required
@form_action
def accept_invite(token):
    if request.method == 'POST':
        invite, _ = operations.accept_invite(token[:100], g.user)
        return redirect(url_for('workspace_pages.workspace', row_id=invite.workspace_id))
    return render_template('invite.html', token=token)


@bp.post(f'/w/<{ID}:row_id>/files')
@member_only(Workspace, 'workspace')
@form_action
def upload(ws):
    upload = request.files.get('file')
    if upload is None or not upload.filename:
        raise ApiError(400, 'choose a file to upload', 'file')
    operations.upload_file(ws, g.user, upload)
    return redirect(url_for('workspace_pages.workspace', row_id=ws.id))


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
    results = fulltext.search(ws.id, query) if query.strip() else []
    return render_template('search.html', workspace=ws, query=query, results=results)


@bp.get(f'/d/<{ID}:row_id>')
@member_only(Document, 'document')
def document(doc):
    versions = list(doc.versions.order_by(DocumentVersion.version.desc()))
    return render_template('document.html', doc=doc, workspace=doc.workspace,
                           versions=versions, diff=_diff(doc, versions))


def _diff(doc, versions):
    """Lines of a unified diff between ?diff=<version> and the version before it."""
    number = request.args.get('diff', type=int)
    if number is None:
        return None
    by_number = {v.version: v for v in versions}
    current = by_number.get(number)
    previous = max((v for v in versions if v.version < number), key=lambda v: v.version,
                   default=None)
    if current is None:
        return {'number': number, 'lines': [], 'missing': True}
    before = previous.content.splitlines() if previous else []
    lines = list(difflib.unified_diff(before, current.content.splitlines(),
                                      f'version {previous.version if previous else 0}',
                                      f'version {number}', lineterm=''))
    return {'number': number, 'lines': lines, 'missing': False}


@bp.post(f'/d/<{ID}:row_id>')
@member_only(Document, 'document')
@form_action
def save_document(doc):
    operations.update_document(doc, g.user, field('title', 200),
                               field('content', MAX_CONTENT, required=False, strip=False))
    flash('Saved.', 'info')
    return redirect(url_for('workspace_pages.document', row_id=doc.id))


@bp.get(f'/c/<{ID}:row_id>')
@member_only(Channel, 'channel')
def channel(ch):
    messages = list(Message.select(Message, User).join(User).where(Message.channel == ch)
                    .order_by(Message.id.desc()).limit(100))[::-1]
    return render_template('channel.html', channel=ch, workspace=ch.workspace, messages=messages)


@bp.post(f'/c/<{ID}:row_id>')
@member_only(Channel, 'channel')
@form_action
def post_message(ch):
    operations.post_message(ch, g.user, field('body', 10_000))
    return redirect(url_for('workspace_pages.channel', row_id=ch.id))


@bp.get('/notifications')
@login_required
def notifications_page():
    rows = Notification.select().where(Notification.user == g.user).order_by(
        Notification.id.desc()).limit(100)
    return render_template('notifications.html',
                           notes=[notifications.event(n)['data'] for n in rows])


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
