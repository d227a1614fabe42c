"""The job ledger: every job's life, from storage to its end, fed by Huey's signals.

`install(huey)` connects it to an instance, as Huey's own `enable_stats` does.
Signal receivers (receivers.py) only build a small event (events.py) and hand
it to a writer thread (writer.py), which writes events in batches, one
transaction each (batch.py, with the SQL in sql.py). A ledger failure is
logged and never reaches the task.
"""
import atexit

from collab.db import database
from collab.fields import utcnow
from collab.jobs.ledger.batch import write_stored_now
from collab.jobs.ledger.events import Stored
from collab.jobs.ledger.receivers import Receivers
from collab.jobs.ledger.writer import LedgerWriter


EXIT_FLUSH_SECONDS = 5


class Ledger:
    """The ledger of one Huey instance."""

    def __init__(self, huey, on_written=None):
        self.writer = LedgerWriter(lambda: huey.storage, on_written)
        self.receivers = Receivers(huey, self.writer)
        # Stages that hand jobs to the writer later (the outbox's dispatcher):
        # flush() waits for each first, so that it covers every job accepted so far.
        self.upstream = []

    def release_claim(self, token, revoke_key=None):
        self.writer.release_claim(token, revoke_key)

    def flush(self, timeout=10.0):
        """Block until every job event so far is written (or the timeout passes)."""
        stages_done = all([stage(timeout) for stage in self.upstream])
        return self.writer.flush(timeout) and stages_done

    def record_recovery(self, task, reason, final):
        """A job whose consumer died: its open attempt was interrupted; it is retried or failed."""
        self.receivers.recovered(task, reason, final)

    def record_stored_now(self, tasks):
        """Record jobs as queued inside the caller's transaction (the outbox, while
        the queue is down), instead of through the writer."""
        write_stored_now(database, [Stored(task, task.enqueued_at or utcnow(), task.retries,
                                           task.eta, None, None) for task in tasks])


def install(huey, on_written=None):
    """Record every job of `huey` in the app database. `on_written`: called after
    each batch written (open dashboards refresh on it). Returns the ledger."""
    ledger = Ledger(huey, on_written)
    ledger.receivers.connect()
    huey.ledger = ledger
    # A script that enqueues and exits at once still records its jobs as queued.
    atexit.register(ledger.flush, EXIT_FLUSH_SECONDS)
    return ledger
