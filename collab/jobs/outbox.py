"""The outbox: jobs accepted in the database transaction of the change that caused them.

`put()` writes the signed message in the caller's transaction, so "saved" and
"will run" can never disagree, and a broker outage does not fail the request.
A dispatcher thread in each process moves messages to the queue, in order; a
message leaves the outbox only once the queue has it. Then, as for any job
enqueued by a call, the job is reported stored and the ledger writer records
it (one batched write, usually folded with its run). While the queue is down
the dispatcher records the waiting jobs itself, so the admin shows them queued.
"""
import logging
import threading
import time

from collab.background import BackgroundThread
from collab.db import close_connection, database
from collab.jobs import outbox_rows
from collab.jobs.models import OutboxMessage
from collab.transactions import writing
from collab.jobs.engine import PoisonMessage
from collab.jobs.instance import huey
from collab.jobs.wakeup import POLL_SECONDS

log = logging.getLogger('collab.outbox')

BATCH = 200
IDLE_SECONDS = 1.0
MAX_BACKOFF = 5.0


def put(task, recorded=False):
    """Accept `task` (a Task, possibly a pipeline) as part of the current transaction.

    Call `dispatcher.wake()` once the transaction has committed. `recorded`: the
    caller reports the job stored itself, once the transaction has committed.
    """
    outbox_rows.insert(huey.serialize_task(task), task.priority, recorded)


def dispatch_once():
    """Move up to BATCH messages to the queue. Returns how many moved; raises if
    the queue is down, once the waiting jobs are recorded in the ledger."""
    if not database.execute_sql(outbox_rows.sql()['any']).fetchone():
        return 0   # the usual case when idle (a round a second): no write lock for nothing
    with writing():
        rows = outbox_rows.oldest(BATCH)
        if not rows:
            return 0
        # All or none reach the queue (one round trip or transaction), and the
        # rows leave the outbox only after that.
        try:
            huey.storage.enqueue_many([(bytes(data), priority or None)
                                       for _, data, priority, _, _ in rows])
        except Exception as exc:
            queue_down = exc
        else:
            queue_down = None
            outbox_rows.delete([row[0] for row in rows])
    if queue_down is not None:
        record_waiting()
        raise queue_down
    huey.wakeup.notify()   # one worker; its claim wakes the next while more wait
    # Should this process die before the ledger writes these, each job's run records it.
    for task in _tasks((data, created_at) for _, data, _, created_at, recorded in rows
                       if not recorded):
        huey.report_stored(task)
    return len(rows)


def record_waiting():
    """Write the ledger rows of the jobs waiting in the outbox (the queue is down),
    once each: the admin shows them queued until they move."""
    while True:
        with writing():
            rows = outbox_rows.unrecorded(BATCH)
            if not rows:
                return
            huey.ledger.record_stored_now(_tasks((data, created_at) for _, data, created_at in rows))
            outbox_rows.mark_recorded([row[0] for row in rows])


def _tasks(messages):
    """The tasks of (data, created_at) outbox messages, as accepted then. A message
    that does not verify is left to the worker, which keeps it as a dead letter."""
    for data, created_at in messages:
        try:
            task = huey.deserialize_task(bytes(data))
        except PoisonMessage:
            continue
        task.enqueued_at = OutboxMessage.created_at.python_value(created_at)
        yield task


class Dispatcher:
    """One thread per process: drains the outbox when woken, and every second anyway.

    After moving messages it pauses POLL_SECONDS before it looks again: under
    load, one transaction then moves the messages of many requests, instead
    of a wake-up and a transaction each (which also kept the requests waiting
    for SQLite's write lock). An idle dispatcher is woken at once, as before."""

    def __init__(self):
        self.pending = threading.Event()
        self._thread = BackgroundThread(self._run, 'outbox')
        self._rounds = threading.Condition()
        self._began = self._ended = 0
        self.healthy = True

    def wake(self):
        self.pending.set()

    def start(self):
        if self.flush not in huey.ledger.upstream:
            huey.ledger.upstream.append(self.flush)   # a ledger flush covers jobs waiting here
        huey.effects.wake_outbox = self.wake   # jobs accepted by a job's committed effect
        self._thread.ensure_running()

    def flush(self, timeout=10.0):
        """Block until a round begun after this call has ended: the messages accepted
        so far are in the queue (or recorded, while it is down) and reported stored."""
        if not self._thread.running:
            return True
        with self._rounds:
            wanted = self._began + 1
            self.wake()
            return self._rounds.wait_for(lambda: self._ended >= wanted, timeout)

    def _run(self):
        backoff = IDLE_SECONDS
        while True:
            self.pending.wait(backoff)
            self.pending.clear()
            with self._rounds:
                self._began += 1
            try:
                backoff = self._round(backoff)
            finally:
                close_connection()
                with self._rounds:
                    self._ended = self._began
                    self._rounds.notify_all()

    def _round(self, backoff):
        """Move everything waiting. Returns how long to wait for the next round unless
        woken: a second, or longer each time while the queue is down."""
        try:
            moved = dispatch_once()
            while moved == BATCH:
                moved = dispatch_once()
        except Exception as exc:
            if self.healthy:
                log.warning('outbox: the queue is not taking jobs (%s); will retry', exc)
            self.healthy = False
            return min(backoff * 2, MAX_BACKOFF)
        self.healthy = True
        if moved:
            time.sleep(POLL_SECONDS)
        return IDLE_SECONDS


dispatcher = Dispatcher()
