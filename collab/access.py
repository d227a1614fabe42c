"""Who may see and do what: a row's workspace decides (404 for missing ids, 403 for
non-members), then the member's role there.

Roles: members read and write documents, channels, messages and files; owners and
admins also invite, change roles, remove members and export; the author of a
document, file or message, or an owner or admin, deletes it.
"""
from flask import g

from collab.errors import ApiError
from collab.models import Member

OWNER_OR_ADMIN = 'an owner or admin'


def role_in(workspace_id, user=None):
    member = Member.get_or_none((Member.workspace == workspace_id)
                                & (Member.user == (user or g.user)))
    return member.role if member else None


def require(model, row_id, label):
    """The row of `model` with this id, if the current user is a member of its workspace."""
    row = model.get_or_none(model.id == row_id)
    if row is None:
        raise ApiError(404, f'no such {label}')
    require_member(row.workspace_id)
    return row


def require_member(workspace_id, user=None):
    """The user's role in the workspace; 403 for non-members."""
    role = role_in(workspace_id, user)
    if role is None:
        raise ApiError(403, 'you are not a member of this workspace')
    return role


def require_manager(workspace_id, action, user=None):
    """403 unless the user is an owner or admin of the workspace; `action` says what
    they tried ("invite people")."""
    role = require_member(workspace_id, user)
    if role not in Member.MANAGERS:
        raise ApiError(403, f'only {OWNER_OR_ADMIN} of this workspace can {action}; '
                            f'your role is {role}')
    return role


def require_owner(workspace_id, action, user=None):
    role = require_member(workspace_id, user)
    if role != Member.OWNER:
        raise ApiError(403, f'only an owner of this workspace can {action}; your role is {role}')
    return role


def is_author_or_manager(author_id, role, user=None):
    """Whether the user made the row (author_id) or, with this role, is an owner or admin."""
    return author_id == (user or g.user).id or role in Member.MANAGERS


def may_delete(workspace_id, author_id):
    """What a page asks before it offers Delete (require_author_or_manager decides)."""
    return is_author_or_manager(author_id, role_in(workspace_id))


def require_author_or_manager(workspace_id, author_id, what, user=None):
    """403 unless the user made the row (author_id) or is an owner or admin."""
    user = user or g.user
    role = require_member(workspace_id, user)
    if not is_author_or_manager(author_id, role, user):
        raise ApiError(403, f'only the member who made this {what}, or {OWNER_OR_ADMIN} of '
                            f'this workspace, can delete it; your role is {role}')
    return role
