"""What users do: change the models, log the activity, start the jobs — in one transaction.

The JSON API and the pages both call these, after validating their input.
"""
from flask import current_app

from collab import activity, documents, exports, files, invites, quota
from collab.errors import ApiError
from collab.transactions import writing
from collab.enqueue import enqueue
from collab.fields import utcnow
from collab.models import Channel, Document, Export, File, Member, Message, Workspace
from tasks.activity import log_activity
from tasks.documents import version_pipeline
from tasks.notifications import send_batch_notifications
from tasks.workspaces import export_workspace


def _log(workspace_id, user, action, target_type, target_id, metadata=None):
    enqueue(log_activity, workspace_id, user.id, action, target_type, target_id, metadata or {},
            occurred_at=activity.now_stamp())


def _notify_others(workspace_id, user, type_, data):
    others = [m.user_id for m in Member.select(Member.user).where(
        (Member.workspace == workspace_id) & (Member.user != user))]
    if others:
        enqueue(send_batch_notifications, others, type_, dict(data, user=user.name))


def create_workspace(user, name):
    with writing():
        workspace = Workspace.create(name=name, owner=user)
        Member.create(workspace=workspace, user=user, role=Member.OWNER)
        _log(workspace.id, user, 'workspace.created', 'workspace', workspace.id, {'name': name})
    return workspace


def create_document(workspace, user, title, content):
    with writing():
        doc = Document.create(workspace=workspace, title=title, content=content,
                              created_by=user, updated_by=user)
        documents.record_version(doc, user.id)
        enqueue(version_pipeline(doc.id, user.id))
        _log(workspace.id, user, 'document.created', 'document', doc.id, {'title': title})
        _notify_others(workspace.id, user, 'document.created',
                       {'document_id': doc.id, 'title': title, 'workspace_id': workspace.id})
    return doc


def update_document(doc, user, title, content):
    """Save a new version: bump `version`, then the version → index pipeline."""
    with writing():
        changes = {Document.version: Document.version + 1, Document.updated_by: user.id,
                   Document.updated_at: utcnow(), Document.content: content}
        if title is not None:
            changes[Document.title] = title
        Document.update(changes).where(Document.id == doc.id).execute()
        doc = Document.get_by_id(doc.id)
        documents.record_version(doc, user.id)
        enqueue(version_pipeline(doc.id, user.id))
        _log(doc.workspace_id, user, 'document.updated', 'document', doc.id,
             {'title': doc.title, 'version': doc.version})
        _notify_others(doc.workspace_id, user, 'document.updated',
                       {'document_id': doc.id, 'title': doc.title, 'version': doc.version,
                        'workspace_id': doc.workspace_id})
    return doc


def create_channel(workspace, user, name):
    with writing():
        channel = Channel.create(workspace=workspace, name=name, created_by=user)
        _log(workspace.id, user, 'channel.created', 'channel', channel.id, {'name': name})
    return channel


def post_message(channel, user, body):
    with writing():
        message = Message.create(channel=channel, user=user, body=body)
        _log(channel.workspace_id, user, 'message.posted', 'message', message.id,
             {'channel_id': channel.id, 'channel': channel.name})
    return message


def upload_file(workspace, user, upload):
    """Store an upload within the file size limit and the workspace's quota."""
    settings = current_app.config['SETTINGS']
    stored_name, size = _save_within_quota(settings, workspace.id, upload.stream)
    try:
        with writing():
            quota.lock(workspace.id)
            quota.require_room(settings, workspace.id, size)   # another upload may have used it
            row = File.create(workspace=workspace, uploaded_by=user,
                              name=files.clean_name(upload.filename), stored_name=stored_name,
                              content_type=(upload.mimetype or 'application/octet-stream')[:100],
                              size=size)
            _log(workspace.id, user, 'file.uploaded', 'file', row.id,
                 {'name': row.name, 'size': size})
    except BaseException:
        files.remove(settings, stored_name)
        raise
    return row


def _save_within_quota(settings, workspace_id, stream):
    """Save an upload, stopping once it passes the file size limit or the room left
    in the workspace's quota: no more than that is ever written."""
    room = quota.room(settings, workspace_id)
    if room >= files.MAX_FILE_BYTES:
        return files.save_stream(settings, stream)
    used = quota.quota_bytes(settings) - room
    return files.save_stream(settings, stream, room, too_large=quota.exceeded(settings, used))


def invite(workspace, user, email):
    with writing():
        row, token = invites.create(workspace, email, user)
        _log(workspace.id, user, 'invite.created', 'invite', row.id, {'email': email})
    return row, token


def accept_invite(token, user):
    with writing():
        row, member, joined = invites.accept(token, user)
        _log(row.workspace_id, user, 'member.joined', 'member', user.id,
             {'invite_id': row.id})
        if joined:
            _notify_others(row.workspace_id, user, 'invite.accepted',
                           {'workspace_id': row.workspace_id,
                            'workspace': row.workspace.name})
    return row, member


def request_export(workspace, user):
    """Start an export: one at a time per workspace, and only with room for its zip
    (about the size of the workspace's files)."""
    settings = current_app.config['SETTINGS']
    with writing():
        quota.lock(workspace.id)
        running = exports.running(workspace.id)
        if running is not None:
            raise ApiError(409, f'export {running.id} of this workspace is {running.state}; '
                           'wait for it to finish (or delete it) to start another',
                           export_id=running.id)
        quota.require_room(settings, workspace.id, quota.files_bytes(workspace.id))
        export = Export.create(workspace=workspace, requested_by=user)
        job = enqueue(export_workspace, workspace.id, user.id, export.id)
        export.job_id = job.id
        export.save()
        _log(workspace.id, user, 'export.requested', 'export', export.id)
    return export
