"""What owners, admins and authors do beyond what every member does: change roles,
remove members (or leave), make link invites, revoke invites, delete documents,
files, messages and exports. Each change, its activity and its jobs in one
transaction, as in collab/operations.py; the callers have checked the role.

A workspace always keeps an owner: the last one can neither leave nor be demoted.
"""
from flask import current_app

from collab import activity, exports, files, fulltext, invites
from collab.db import is_sqlite
from collab.enqueue import enqueue
from collab.errors import ApiError
from collab.models import Member, Workspace
from collab.transactions import writing
from tasks.activity import log_activity

LAST_OWNER = ('a workspace must keep at least one owner: make another member owner first')


def _log(workspace_id, user, action, target_type, target_id, metadata=None):
    enqueue(log_activity, workspace_id, user.id, action, target_type, target_id, metadata or {},
            occurred_at=activity.now_stamp())


def _lock_workspace(workspace_id):
    """Serialise owner changes of one workspace, so two owners stepping down at once
    cannot both succeed. SQLite's write transaction is already exclusive."""
    if not is_sqlite():
        Workspace.select(Workspace.id).where(Workspace.id == workspace_id).for_update().first()


def _other_owners(member):
    return (Member.select().where((Member.workspace == member.workspace_id)
                                  & (Member.role == Member.OWNER) & (Member.id != member.id))
            .order_by(Member.joined_at, Member.id))


def _keep_an_owner(member):
    """409 when `member` is the workspace's last owner. Workspace.owner follows the
    ownership: it names another owner once this one steps down."""
    if member.role != Member.OWNER:
        return
    successor = _other_owners(member).first()
    if successor is None:
        raise ApiError(409, LAST_OWNER)
    (Workspace.update(owner=successor.user_id)
     .where((Workspace.id == member.workspace_id) & (Workspace.owner == member.user_id))
     .execute())


def _fresh(member):
    """The member row as it is now, inside the lock (another request may have changed it)."""
    row = Member.get_or_none(Member.id == member.id)
    if row is None:
        raise ApiError(404, 'no such member')
    return row


def change_role(member, role, by):
    with writing():
        _lock_workspace(member.workspace_id)
        member = _fresh(member)
        if role != Member.OWNER:
            _keep_an_owner(member)
        old = member.role
        Member.update(role=role).where(Member.id == member.id).execute()
        _log(member.workspace_id, by, 'member.role_changed', 'member', member.user_id,
             {'from': old, 'to': role})
    return Member.get_by_id(member.id)


def remove_member(member, by):
    """Remove a member; `by` is the member themselves when leaving."""
    with writing():
        _lock_workspace(member.workspace_id)
        member = _fresh(member)
        _keep_an_owner(member)
        member.delete_instance()
        leaving = member.user_id == by.id
        _log(member.workspace_id, by, 'member.left' if leaving else 'member.removed',
             'member', member.user_id)


def link_invite(workspace, by, max_uses):
    with writing():
        row, token = invites.create(workspace, None, by, max_uses=max_uses)
        _log(workspace.id, by, 'invite.created', 'invite', row.id,
             {'link': True, 'max_uses': max_uses})
    return row, token


def revoke_invite(invite, by):
    with writing():
        invites.revoke(invite)
        _log(invite.workspace_id, by, 'invite.revoked', 'invite', invite.id,
             {'email': invite.email} if invite.email else {'link': True})


def delete_document(doc, by):
    """The document, its versions (deleted with it by the foreign key) and its search
    entry, at once: a search right after finds nothing."""
    with writing():
        doc.delete_instance()
        fulltext.index_document(doc.id)
        _log(doc.workspace_id, by, 'document.deleted', 'document', doc.id, {'title': doc.title})


def delete_message(message, channel, by):
    with writing():
        message.delete_instance()
        _log(channel.workspace_id, by, 'message.deleted', 'message', message.id,
             {'channel_id': channel.id, 'channel': channel.name})


def delete_file(row, by):
    """The row, then its bytes once the deletion is committed (a failed deletion
    keeps a file that can still be downloaded)."""
    with writing():
        row.delete_instance()
        _log(row.workspace_id, by, 'file.deleted', 'file', row.id, {'name': row.name})
    files.remove(current_app.config['SETTINGS'], row.stored_name)


def delete_export(export, by):
    """The row, then its zip (or the parts of one still being built)."""
    with writing():
        export.delete_instance()
        _log(export.workspace_id, by, 'export.deleted', 'export', export.id)
    exports.remove_files(current_app.config['SETTINGS'], export)
