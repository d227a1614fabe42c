"""How far an export's chord has got: its parts done, of three, and its state.

Each part, once its file is written, reports the count on the export's own job
(the export_workspace job, `Export.job_id`) and tells the workspace's members'
open pages over /ws (a `{"type": "export.progress"}` event, which the workspace
page shows on the export's line). A part counts the part files on disk, so parts
that end in any order report 1, 2, then 3.

When the export's state changes (running, then ready or failed) the members'
pages hear `{"type": "export.state", "export": {...}}`, sent once the job's
transaction has committed: a page that then asks GET /api/exports/<id> reads
the same state, never an older one.
"""
import logging
import threading

from collab import broadcast
from collab.exports import parts_dir
from collab.jobs.effects import after_commit
from collab.jobs.progress import of_jobs, report_progress_of
from collab.models import Member

log = logging.getLogger('collab.tasks')

PART_FILES = ('documents.json', 'channels.json', 'files.json')
# Parts ending at once in one consumer count and report in turn: a later count
# is never reported before an earlier one.
_counting = threading.Lock()


def part_done(settings, export):
    """Report the parts done so far; a failure to report never fails the part."""
    try:
        _report(settings, export)
    except Exception as exc:   # the page catches up on its next load; the export goes on
        log.warning('could not report the progress of export %s: %s', export.id, exc)


def _report(settings, export):
    members = Member.user_ids(export.workspace_id)
    with _counting:   # published inside too: the pages hear 1, 2, 3 in that order
        done = sum((parts_dir(settings, export.id) / name).exists() for name in PART_FILES)
        progress = {'done': done, 'total': len(PART_FILES), 'note': f'{done} of 3 parts done'}
        report_progress_of(export.job_id, done, len(PART_FILES), progress['note'])
        broadcast.broadcaster(settings).publish(members, {
            'type': 'export.progress', 'export_id': export.id,
            'workspace_id': export.workspace_id, 'progress': progress})


def announce_state(huey, settings, export):
    """After the running job commits, tell the members' pages the export's new state.
    The event is built now, inside the transaction, so the callback needs no database."""
    members = Member.user_ids(export.workspace_id)
    event = {'type': 'export.state', 'export_id': export.id,
             'workspace_id': export.workspace_id, 'export': export.to_dict()}
    after_commit(huey, lambda: _publish_state(settings, members, event))


def _publish_state(settings, members, event):
    try:
        broadcast.broadcaster(settings).publish(members, event)
    except Exception as exc:   # the page reads the state on its next load or reconnect
        log.warning('could not announce the state of export %s: %s', event['export_id'], exc)


def of_exports(exports):
    """{export id: {done, total, note}} for the exports whose parts reported."""
    by_job = of_jobs([export.job_id for export in exports])
    return {export.id: by_job[export.job_id] for export in exports if export.job_id in by_job}
