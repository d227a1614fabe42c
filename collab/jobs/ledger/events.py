"""What the ledger writer is handed: one small event per thing that happened to a job.

Receivers build them in the task's thread, cheaply; the writer turns them into
rows (collab.jobs.ledger.rows) in its own thread, off the task's time.
"""
from dataclasses import dataclass

from collab.jobs.models import FAILED, INTERRUPTED, REVOKED, SUCCEEDED


class OfTask:
    """An event about a task: its job id is the task's."""
    __slots__ = ()

    @property
    def job_id(self):
        return self.task.id


@dataclass(slots=True)
class Stored(OfTask):
    """A job put in the queue or the schedule, as the storing thread knew it then."""
    task: object
    at: object          # when it was accepted
    retries: int
    eta: object
    current: object     # the task running in the storing thread (its parent), if any
    group_id: str | None

    @property
    def again(self):
        """A running task storing itself is a retry: not the job's first attempt."""
        return self.current is self.task


@dataclass(slots=True)
class Scheduled(OfTask):
    """A job put in the schedule to run at its eta."""
    task: object
    at: object
    retries: int
    eta: object


@dataclass(slots=True)
class Duplicate:
    """A delivery of a job whose effect had already committed: acknowledged, not run."""
    job_id: str
    at: object
    consumer: str | None


@dataclass(slots=True)
class Finished:
    """How a run ended: the job's new state and the attempt's outcome."""
    job_id: str
    state: str
    at: object
    duration_ms: float | None
    outcome: str
    error: str | None = None
    traceback: str | None = None

    @property
    def final(self):
        return self.state in (SUCCEEDED, FAILED, REVOKED, INTERRUPTED)

    @property
    def job_finished_at(self):
        # A job that will be retried has not finished; its attempt has.
        return self.at if self.final else None


@dataclass(slots=True)
class Run(OfTask):
    """One execution of a job: its start, and its end once the writer finds that
    in the same batch (folded: one write for both)."""
    task: object
    retries: int        # read at the start: a retry lowers it later
    started_at: object
    consumer: str | None
    end: Finished | None = None


@dataclass(slots=True)
class StoredRun:
    """A job's 'stored' and its run found in one batch, in either order: one insert."""
    stored: Stored
    run: Run

    @property
    def job_id(self):
        return self.run.task.id


@dataclass(slots=True)
class Skipped(OfTask):
    """A job that came up revoked or expired: it ends without running."""
    task: object
    retries: int
    state: str
    at: object


@dataclass(slots=True)
class Recovered:
    """A job whose consumer died mid-run: the open attempt was interrupted; retried or failed."""
    job_id: str
    reason: str
    at: object
    final: bool


@dataclass(slots=True)
class DeadLetterReceived:
    """A refused message (bad signature, unreadable, unknown task): kept, never run."""
    data: bytes
    error: str
    source: str
    consumer: str | None
    job_id = None


@dataclass(slots=True)
class ClaimDone:
    """A finished task's claim, acknowledged once the batch with its record commits."""
    token: object
    revoke_key: str | None
    job_id = None


@dataclass(slots=True)
class LogsEmitted:
    """Log records of a running attempt (collab.jobs.job_logs): put once when its
    buffer gets records; the writer takes what the buffer holds then, so a task
    logging in a loop costs one write per batch, not one per record."""
    job_id: str
    attempt: object          # the AttemptLog: its start and its buffered records
    records: list | None = None   # taken at the first write try (a retried write keeps them)

    def take(self):
        if self.records is None:
            self.records = self.attempt.take()
        return self.records


@dataclass(slots=True)
class ProgressReported:
    """A job's progress changed (collab.jobs.progress): the writer stores the
    latest value its tracker holds when the batch is written."""
    job_id: str
    tracker: object
    value: tuple | None = None   # (done, total, note), taken at the first write try

    def take(self):
        if self.value is None:
            self.value = self.tracker.take()
        return self.value
