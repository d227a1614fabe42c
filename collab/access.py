"""Who may see what: a row's workspace decides (404 for missing ids, 403 for non-members)."""
from flask import g

from collab.errors import ApiError
from collab.models import Member


def role_in(workspace_id, user=None):
    member = Member.get_or_none((Member.workspace == workspace_id)
                                & (Member.user == (user or g.user)))
    return member.role if member else None


def require(model, row_id, label):
    """The row of `model` with this id, if the current user is a member of its workspace."""
    row = model.get_or_none(model.id == row_id)
    if row is None:
        raise ApiError(404, f'no such {label}')
    if role_in(row.workspace_id) is None:
        raise ApiError(403, 'you are not a member of this workspace')
    return row
