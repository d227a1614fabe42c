"""What users do: change the models, log the activity, start the jobs — in one transaction.

The JSON API and the pages both call these, after validating their input.
"""
from flask import current_app

from collab import activity, broadcast, documents, exports, files, invites, quota
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


def _notify_others(workspace_id, user, type_, data, skip=()):
    """Notify the workspace's other members (but those in `skip`), by a job."""
    others = [uid for uid in Member.user_ids(workspace_id) if uid != user.id and uid not in skip]
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


def update_document(doc, user, title, content, base_version=None):
    """Save a new version: bump `version`, then the version → index pipeline. With
    `base_version` (the version the text was edited from), a save over any other
    version is refused (documents.DocumentConflict): it would lose that version's edits."""
    with writing():
        changes = {}
        if content is not None:
            changes[Document.content] = content
        if title is not None:
            changes[Document.title] = title
        doc = _new_version(doc, user, changes, base_version)
        _log(doc.workspace_id, user, 'document.updated', 'document', doc.id,
             {'title': doc.title, 'version': doc.version})
        _notify_saved(doc, user)
    return doc


def restore_version(doc, user, number):
    """A new version with the title and content of version `number`, by `user`."""
    with writing():
        old = documents.find_version(doc.id, number)
        doc = _new_version(doc, user, {Document.title: old.title, Document.content: old.content},
                           restored_from=number)
        _log(doc.workspace_id, user, 'document.restored', 'document', doc.id,
             {'title': doc.title, 'version': doc.version, 'restored_from': number})
        _notify_saved(doc, user)
    return doc


def _new_version(doc, user, changes, base_version=None, restored_from=None):
    """Bump the version with `changes`, keep it, start its pipeline. The version check
    is part of the UPDATE: of two saves on one base, the second finds no row to
    change, whichever database (PostgreSQL re-reads the row once the first commits)."""
    changes = {**changes, Document.version: Document.version + 1,
               Document.updated_by: user.id, Document.updated_at: utcnow()}
    where = Document.id == doc.id
    if base_version is not None:
        where &= Document.version == base_version
    if not Document.update(changes).where(where).execute():
        current = Document.get_or_none(Document.id == doc.id)
        if current is None:
            raise ApiError(404, 'no such document (it was deleted)')
        raise documents.DocumentConflict(current, base_version)
    doc = Document.get_by_id(doc.id)
    documents.record_version(doc, user.id, restored_from)
    enqueue(version_pipeline(doc.id, user.id))
    return doc


def _notify_saved(doc, user):
    _notify_others(doc.workspace_id, user, 'document.updated',
                   {'document_id': doc.id, 'title': doc.title, 'version': doc.version,
                    'workspace_id': doc.workspace_id})


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
        # A member whose page has the channel open sees the message arrive: no
        # notification for them. Only this process's sockets are known here (with
        # Redis and several web processes, a viewer on another one is notified too).
        _notify_others(channel.workspace_id, user, 'message.posted',
                       {'workspace_id': channel.workspace_id, 'channel_id': channel.id,
                        'channel': channel.name, 'message_id': message.id,
                        'body': _excerpt(body)},
                       skip=broadcast.registry.subscribers(channel.id))
    return message


# A notification quotes the start of a message (the rest is a click away).
EXCERPT_CHARS = 200


def _excerpt(body):
    text = ' '.join(body.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + '…'


def edit_message(message, channel, user, body):
    """Its author's new text; the caller checked the author."""
    with writing():
        Message.update(body=body, edited_at=utcnow()).where(Message.id == message.id).execute()
        _log(channel.workspace_id, user, 'message.edited', 'message', message.id,
             {'channel_id': channel.id, 'channel': channel.name})
    return Message.get_by_id(message.id)


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
