"""Per-job logs: what a task logs while it runs is kept with its attempt.

One handler on the root logger per process (`attach`, from each consumer, for
its Huey: a process may hold more than one). It does nothing unless its thread
is running a job of one of them (`huey.context.current`, per thread): so a task's own helper threads, the web server and the consumer's
other threads cost one attribute read per record. A job's records go into its
attempt's buffer (AttemptLog), at most JOB_LOG_BYTES of them, with a marker
where they were cut; the ledger writer stores what the buffer holds with its
next batch (a LogsEmitted event, put once while the buffer has records), never
one write per record.

Stored in `joblogchunk`, one row per attempt and batch, read back with
`logs_by_attempt`; searched and deleted with the job through
collab/jobs/log_search.py.
"""
import json
import logging
import weakref
from datetime import datetime, timedelta, timezone

from collab.fields import iso
from collab.jobs.ledger.events import LogsEmitted
from collab.jobs.models import JobLogChunk

MARKER_LOGGER = 'collab.jobs'
_formatter = logging.Formatter()
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class AttemptLog:
    """The records of one attempt not yet written, and how many bytes it has logged.

    Only the attempt's worker thread adds and only the ledger writer takes, with
    no lock: `list.append`, a slice and `del` of a slice are each atomic, and a
    record added while the writer takes goes after the part it takes."""
    __slots__ = ('job_id', 'started_at', 'limit', 'size', 'cut', 'queued', 'pending')

    def __init__(self, job_id, started_at, limit):
        self.job_id, self.started_at, self.limit = job_id, started_at, limit
        self.size, self.cut, self.queued = 0, False, False
        self.pending = []

    def add(self, created, level, logger, message):
        """Buffer a record; True when the writer must be told (the buffer was not
        queued yet)."""
        size = (len(message) if message.isascii() else len(message.encode('utf-8', 'replace'))) \
            + len(logger)
        if self.size + size > self.limit:
            self.cut, level, logger = True, 'WARNING', MARKER_LOGGER
            message = (f'[log cut: this attempt logged more than {self.limit} bytes; '
                       f'later records were dropped]')
        self.size += size
        # A tuple of an int and strings: the garbage collector stops tracking it the
        # first time it meets it. The time in whole milliseconds, as the API gives it:
        # an int is a fraction of a float's work to write as JSON.
        self.pending.append((int(created * 1000), level, logger, message))
        if self.queued:
            return False
        self.queued = True
        return True

    def take(self):
        """The records buffered so far, as (created, level, logger, message), the time as
        Unix milliseconds (made ISO 8601 when read, not for every record written)."""
        self.queued = False   # before taking: a record added after this tells the writer again
        count = len(self.pending)
        records = self.pending[:count]
        del self.pending[:count]
        return records


class JobLogHandler(logging.Handler):
    """Keeps the records of the thread's running job; ignores every other record."""

    def __init__(self):
        super().__init__(logging.INFO)
        # Weak references, swapped whole on `serve` (never changed in place while a
        # record is read): a Huey gone is no longer served.
        self.hueys = ()

    def serve(self, huey):
        self.hueys = self._others(huey) + (weakref.ref(huey),)

    def forget(self, huey):
        self.hueys = self._others(huey)

    def _others(self, huey):
        return tuple(ref for ref in self.hueys if ref() not in (None, huey))

    def handle(self, record):
        # Not Handler.handle: no handler-wide lock. Every record in the process passes
        # here: the usual answer, "no job on this thread", comes first.
        if record.levelno < logging.INFO:   # called from elsewhere than a logger
            return False
        huey, task = self._running()
        if task is None or _engine_chatter(record):
            return False
        attempt, started = task.attempt_log, task.run_started_at
        if attempt is None or attempt.started_at is not started:
            if started is None or huey.ledger is None:
                return False
            attempt = task.attempt_log = AttemptLog(task.id, started, self._limit(huey))
        if attempt.cut:   # past JOB_LOG_BYTES: the rest is dropped, at once
            return False
        if attempt.add(record.created, record.levelname, record.name, _message(record)):
            huey.ledger.writer.put(LogsEmitted(task.id, attempt))
        return True

    def emit(self, record):   # handle() does the work
        pass

    def _running(self):
        """(the Huey, its task) this thread is running, or (None, None)."""
        for ref in self.hueys:
            huey = ref()
            task = huey.context.current if huey is not None else None
            if task is not None:
                return huey, task
        return None, None

    @staticmethod
    def _limit(huey):
        settings = huey.settings
        return settings.job_log_bytes if settings is not None else 65536


def _engine_chatter(record):
    """Huey's own INFO lines for every run ("Executing …", "… executed in"): not the task's."""
    return record.levelno < logging.WARNING and record.name.startswith('huey')


def _message(record):
    # A formatter of a handler before this one (the process's own log) has made the
    # message already: Formatter.format stores getMessage() as record.message.
    message = record.__dict__.get('message')
    if message is None:
        try:
            message = record.getMessage()
        except Exception:   # a bad format string in the task's call: keep what it gave
            message = f'{record.msg!r} {record.args!r}'
    if record.exc_info:
        message = f'{message}\n{_formatter.formatException(record.exc_info)}'
    return message


def attach(huey):
    """Keep the logs of `huey`'s jobs: one handler on the root logger per process,
    serving every Huey attached."""
    root = logging.getLogger()
    _let_info_through(root)   # again for each consumer: something may have raised it since
    handler = next((h for h in root.handlers if isinstance(h, JobLogHandler)), None)
    if handler is None:
        handler = JobLogHandler()
        root.addHandler(handler)
    handler.serve(huey)


def detach(huey):
    """Keep no logs of `huey`'s jobs (JOB_LOG_BYTES=0): nothing is attached, and
    a handler attached for it earlier in this process stops serving it."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, JobLogHandler):
            handler.forget(huey)


def _let_info_through(root):
    """Make INFO records of loggers that inherit the root's level: the root goes
    to INFO, and what was printed stays as it was (its handlers keep the old
    level; without handlers, Python's last-resort stderr handler goes on)."""
    old = root.getEffectiveLevel()
    if old <= logging.INFO:
        return
    if not root.handlers:
        root.addHandler(logging.lastResort)
    for handler in root.handlers:
        if handler.level < old:
            handler.setLevel(old)
    root.setLevel(logging.INFO)


# ---------------------------------------------------------------- reading

def logs_by_attempt(job_id):
    """{attempt start: [{at, level, logger, message}]} for the job, oldest first."""
    found = {}
    chunks = (JobLogChunk.select(JobLogChunk.attempt_started, JobLogChunk.records)
              .where(JobLogChunk.job_id == job_id).order_by(JobLogChunk.id))
    for chunk in chunks:
        found.setdefault(chunk.attempt_started, []).extend(
            {'at': _iso(at), 'level': level, 'logger': logger, 'message': message}
            for at, level, logger, message in json.loads(chunk.records))
    return found


def _iso(at):
    """A stored record's time as ISO 8601: Unix milliseconds; in rows of older versions,
    Unix seconds (a float) or ISO 8601 already."""
    if isinstance(at, int):
        return iso(EPOCH + timedelta(milliseconds=at))
    return iso(datetime.fromtimestamp(at, timezone.utc)) if isinstance(at, float) else at
