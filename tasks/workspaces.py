"""Workspace exports (a chord) and invite expiry."""
import logging

from huey import crontab, group
from huey.utils import SKIPPED, Error

from collab import export_progress, exports, invites
from collab.models import Export
from tasks.notifications import send_notification
from collab.jobs.effects import after_commit
from collab.jobs.instance import huey

log = logging.getLogger('collab.tasks')

# Export parts retry once after 1 s (not the default 2-4-8 s): a part that
# fails twice fails the whole export, and the requester hears of it in seconds.
PART_POLICY = {'retries': 1, 'retry_delay': 1, 'retry_backoff': 1}


@huey.task(exactly_once=True)
def export_workspace(workspace_id, user_id, export_id):
    """Start the chord: the three parts in parallel, then combine_exports."""
    export = exports.get(export_id)
    if export is None or export.state != Export.PENDING:
        return None   # gone, or already started by an earlier attempt
    huey.enqueue(group([export_documents.s(export_id), export_channels.s(export_id),
                        export_files.s(export_id)]).then(combine_exports, export_id))
    Export.update(state=Export.RUNNING).where(Export.id == export_id).execute()
    export.state = Export.RUNNING
    export_progress.announce_state(huey, huey.settings, export)   # the open pages, live
    return export_id


# The parts write only files under the export's directory, rewritten whole by a
# rerun: they hold no database transaction (nor SQLite's write lock) while
# they copy. combine_exports, which marks the export, is exactly-once.
@huey.task(**PART_POLICY)
def export_documents(export_id):
    return _part(export_id, exports.export_documents)


@huey.task(**PART_POLICY)
def export_channels(export_id):
    return _part(export_id, exports.export_channels)


@huey.task(**PART_POLICY)
def export_files(export_id):
    return _part(export_id, exports.export_files)


def _part(export_id, build):
    export = exports.get(export_id)
    if export is None:
        return []
    names = build(huey.settings, export)
    export_progress.part_done(huey.settings, export)   # "2 of 3 parts done", live
    return names


@huey.task(exactly_once=True)
def combine_exports(export_id, part_results):
    """Zip the parts, mark the export ready and tell the requester; or mark it failed."""
    export = exports.get(export_id)
    if export is None or export.state in (Export.READY, Export.FAILED):
        return None
    failures = [r for r in part_results if isinstance(r, Error) or r is SKIPPED]
    data = {'export_id': export.id, 'workspace_id': export.workspace_id,
            'workspace': export.workspace.name}
    if failures:
        error = _describe(failures[0])
        after_commit(huey, lambda: exports.discard_parts(huey.settings, export_id))
        exports.finish(export, Export.FAILED, error=error)
        export_progress.announce_state(huey, huey.settings, export)
        send_notification(export.requested_by_id, 'export.failed', dict(data, error=error))
        return Export.FAILED
    names = [name for names in part_results for name in names]
    exports.finish(export, Export.READY, filename=exports.combine(huey.settings, export, names))
    export_progress.announce_state(huey, huey.settings, export)
    after_commit(huey, lambda: exports.discard_parts(huey.settings, export_id))
    send_notification(export.requested_by_id, 'export.ready',
                      dict(data, download_url=f'/api/exports/{export.id}/download'))
    return Export.READY


def _describe(failure):
    if isinstance(failure, Error):
        meta = failure.metadata or {}
        return f"{meta.get('error', 'a part of the export failed')}"[:500]
    return 'a part of the export was revoked'


@huey.periodic_once(crontab(minute='0'), exactly_once=True)
def cleanup_expired_invites():
    return invites.delete_expired()


@huey.periodic_once(crontab(minute='30'), exactly_once=True)
def delete_old_exports():
    """Exports older than EXPORT_KEEP_DAYS: the rows now, their zips (and any parts)
    once that has committed, so a rolled-back run leaves every download working."""
    settings = huey.settings
    old = exports.delete_older_than(settings.export_keep_days)
    after_commit(huey, lambda: [exports.remove_files(settings, export) for export in old])
    return len(old)
