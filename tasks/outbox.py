"""The outbox: jobs accepted in the database transaction of the change that caused them.

`put()` writes the signed message and the job's ledger row in the caller's
transaction, so "saved" and "will run" can never disagree, and a broker
outage does not fail the request. A dispatcher thread in each process moves
messages to the queue, in order; a message leaves the outbox only once the
queue has it.
"""
import logging
import threading

from peewee import SqliteDatabase

from collab.db import close_connection, database
from collab.job_models import OutboxMessage
from tasks import ledger
from tasks.queue import huey

log = logging.getLogger('collab.outbox')

BATCH = 200
IDLE_SECONDS = 1.0
MAX_BACKOFF = 5.0


def put(task):
    """Accept `task` (a Task, possibly a pipeline) as part of the current transaction.

    Call `dispatcher.wake()` once the transaction has committed.
    """
    data = huey.serialize_task(task)
    OutboxMessage.create(data=data, priority=task.priority or 0)
    ledger.record_stored_now(task)


def dispatch_once():
    """Move up to BATCH messages to the queue. Returns how many moved; raises if the queue is down."""
    moved = []
    try:
        with _claiming_transaction():
            rows = _oldest(BATCH)
            try:
                for row in rows:
                    huey.storage.enqueue(bytes(row.data), row.priority or None)
                    moved.append(row.id)
            finally:
                if moved:
                    OutboxMessage.delete().where(OutboxMessage.id.in_(moved)).execute()
    finally:
        for _ in range(min(len(moved), huey.wakeup.capacity)):
            huey.wakeup.notify()
    return len(moved)


def _claiming_transaction():
    # SQLite: take the write lock up front, so two dispatchers never send the same rows.
    if isinstance(database.obj, SqliteDatabase):
        return database.atomic('IMMEDIATE')
    return database.atomic()


def _oldest(limit):
    query = OutboxMessage.select().order_by(OutboxMessage.id).limit(limit)
    if not isinstance(database.obj, SqliteDatabase):
        query = query.for_update('FOR UPDATE SKIP LOCKED')
    return list(query)


class Dispatcher:
    """One thread per process: drains the outbox when woken, and every second anyway."""

    def __init__(self):
        self.pending = threading.Event()
        self._thread = None
        self._lock = threading.Lock()
        self.healthy = True

    def wake(self):
        self.pending.set()

    def start(self):
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name='outbox', daemon=True)
                self._thread.start()

    def _run(self):
        backoff = IDLE_SECONDS
        while True:
            self.pending.wait(backoff)
            self.pending.clear()
            try:
                while dispatch_once() == BATCH:
                    pass
                backoff, self.healthy = IDLE_SECONDS, True
            except Exception as exc:
                if self.healthy:
                    log.warning('outbox: the queue is not taking jobs (%s); will retry', exc)
                backoff, self.healthy = min(backoff * 2, MAX_BACKOFF), False
            finally:
                close_connection()


dispatcher = Dispatcher()
