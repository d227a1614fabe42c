"""Job progress: a task calls `report_progress(done, total, note=None)` as it goes.

Each job's latest value is kept in memory (ProgressTracker, on the running
task) and handed to the ledger writer at most every INTERVAL seconds (a
ProgressReported event; the writer takes the value newest when it writes), so
a tight loop reporting 100,000 times costs a few writes a second. The last
value is always written when the attempt ends (`install` connects that).

Stored in `jobprogress`, one row per job; `attach_to(jobs)` adds it to job JSON.
"""
import threading
import time

from huey import signals as S

from collab.jobs.ledger.events import ProgressReported
from collab.jobs.models import JobProgress

INTERVAL = 0.25     # seconds between writes of one job's progress, at least
NOTE_LIMIT = 200
_huey = None        # the instance whose running jobs report (set by install)


class ProgressTracker:
    __slots__ = ('job_id', 'value', 'unsent', 'queued', 'last_put', 'lock')

    def __init__(self, job_id):
        self.job_id = job_id
        self.value, self.unsent, self.queued, self.last_put = None, False, False, 0.0
        self.lock = threading.Lock()

    def report(self, value, put):
        with self.lock:
            self.value, self.unsent = value, True
            if self.queued or time.monotonic() - self.last_put < INTERVAL:
                return   # the queued event or the next report (or the end) writes it
            self.queued, self.last_put = True, time.monotonic()
        put(ProgressReported(self.job_id, self))

    def finish(self, put):
        """The attempt ended: its last value goes out unless already on its way."""
        with self.lock:
            if not self.unsent or self.queued:
                return
            self.queued = True
        put(ProgressReported(self.job_id, self))

    def take(self):
        with self.lock:
            self.unsent = self.queued = False
            return self.value


def report_progress(done, total=None, note=None):
    """Report the running job's progress: `done` of `total` (None: unknown), with
    an optional short note. Cheap enough to call on every item. Outside a job
    (or without the ledger) it does nothing and returns False."""
    value = _checked(done, total, note)   # wrong values are the caller's bug, in a job or not
    huey = _huey
    task = huey.context.current if huey is not None else None
    if task is None or huey.ledger is None:
        return False
    tracker = getattr(task, 'progress_tracker', None)
    if tracker is None:
        tracker = task.progress_tracker = ProgressTracker(task.id)
    tracker.report(value, huey.ledger.writer.put)
    return True


def report_progress_of(job_id, done, total=None, note=None):
    """Report progress on another job, by id (a chord's part on the job that
    started the chord). Unthrottled: for a few reports, not a loop."""
    value = _checked(done, total, note)
    huey = _huey
    if huey is None or huey.ledger is None or not job_id:
        return False
    huey.ledger.writer.put(ProgressReported(job_id, None, value))
    return True


def _checked(done, total, note):
    for name, number in (('done', done), ('total', total)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, (int, float))
                                   or number < 0):
            raise ValueError(f'report_progress: {name} must be a number >= 0, not {number!r}')
    if note is not None:
        note = str(note)[:NOTE_LIMIT]
    return (done, total, note)


def install(huey):
    """Let tasks of `huey` report progress; write each attempt's last value at its end."""
    global _huey
    _huey = huey

    def attempt_ended(signal, task, *args, **kwargs):
        tracker = getattr(task, 'progress_tracker', None)
        if tracker is not None and huey.ledger is not None:
            tracker.finish(huey.ledger.writer.put)

    huey.signal(S.SIGNAL_COMPLETE, S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_CANCELED,
                S.SIGNAL_INTERRUPTED, S.SIGNAL_LOCKED, S.SIGNAL_RATE_LIMITED)(attempt_ended)


# ---------------------------------------------------------------- reading

def of_jobs(job_ids):
    """{job id: {done, total, note}} for those of `job_ids` that reported: one query."""
    job_ids = [job_id for job_id in job_ids if job_id]
    if not job_ids:
        return {}
    return {row.job_id: row.to_dict()
            for row in JobProgress.select().where(JobProgress.job_id.in_(job_ids))}


def attach_to(jobs):
    """Add `progress` ({done, total, note} or None) to each job dict."""
    found = of_jobs([job['id'] for job in jobs])
    for job in jobs:
        job['progress'] = found.get(job['id'])
    return jobs


def delete_for(job_ids):
    """Delete the progress of the jobs in `job_ids` (a list or a subquery)."""
    return JobProgress.delete().where(JobProgress.job_id.in_(job_ids)).execute()
