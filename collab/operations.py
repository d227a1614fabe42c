"""What users do: change the models, log the activity, start the jobs — in one transaction.

The JSON API and the pages both call these, after validating their input.
"""
from flask import current_app

from collab import activity, documents, files, invites
from collab.transactions import writing
from collab.enqueue import enqueue
from collab.fields import utcnow
from collab.models import Channel, Document, Export, File, Member, Message, Workspace
from tasks.activity import log_activity
from tasks.documents import index_document, version_pipeline
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


def delete_document(doc, user):
    with writing():
        doc.delete_instance()
        enqueue(index_document, doc.id)   # removes it from the index
        _log(doc.workspace_id, user, 'document.deleted', 'document', doc.id, {'title': doc.title})


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
    settings = current_app.config['SETTINGS']
    stored_name, size = files.save_stream(settings, upload.stream)
    try:
        with writing():
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
    with writing():
        export = Export.create(workspace=workspace, requested_by=user)
        job = enqueue(export_workspace, workspace.id, user.id, export.id)
        export.job_id = job.id
        export.save()
        _log(workspace.id, user, 'export.requested', 'export', export.id)
    return export
