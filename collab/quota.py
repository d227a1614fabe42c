"""Disk quotas: a workspace's files and finished exports together stay within
WORKSPACE_QUOTA_MB. A refusal is a 413 whose JSON says what is used and the quota."""
from peewee import fn

from collab import exports
from collab.db import is_sqlite
from collab.errors import ApiError
from collab.models import File, Workspace

MB = 1024 * 1024


def quota_bytes(settings):
    return settings.workspace_quota_mb * MB


def files_bytes(workspace_id):
    return (File.select(fn.COALESCE(fn.SUM(File.size), 0))
            .where(File.workspace == workspace_id).scalar())


def used_bytes(settings, workspace_id):
    return files_bytes(workspace_id) + exports.stored_bytes(settings, workspace_id)


def exceeded(settings, used, needed=0):
    """The 413 for a workspace using `used` bytes that asked for `needed` more."""
    quota = quota_bytes(settings)
    message = f'the workspace uses {used / MB:.1f} MB of its {quota / MB:.0f} MB quota'
    if needed:
        message += f' and this needs {needed / MB:.1f} MB more'
    return ApiError(413, message + '; delete files or exports to make room',
                    used_bytes=used, quota_bytes=quota, needed_bytes=needed)


def room(settings, workspace_id):
    """The bytes the workspace may still add; a 413 when it has none left."""
    used = used_bytes(settings, workspace_id)
    if used >= quota_bytes(settings):
        raise exceeded(settings, used)
    return quota_bytes(settings) - used


def require_room(settings, workspace_id, needed):
    """A 413 unless `needed` more bytes fit. Call it inside the write transaction,
    after `lock`, so two requests cannot both take the last of the room."""
    used = used_bytes(settings, workspace_id)
    if used + needed > quota_bytes(settings):
        raise exceeded(settings, used, needed)


def lock(workspace_id):
    """Serialise quota checks of one workspace until the transaction ends.
    SQLite's write transaction (collab.transactions.writing) is exclusive already."""
    if not is_sqlite():
        Workspace.select(Workspace.id).where(Workspace.id == workspace_id).for_update().first()
