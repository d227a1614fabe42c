"""The outbox: jobs accepted in the database transaction of the change that caused them.

`put()` writes the signed message and the job's ledger row in the caller's
transaction, so "saved" and "will run" can never disagree, and a broker
outage does not fail the request. A dispatcher thread in each process moves
messages to the queue, in order; a message leaves the outbox only once the
queue has it.
"""
import functools
import logging
import threading
import time

from collab.db import close_connection, database, is_sqlite
from collab.fields import utcnow
from collab.job_models import OutboxMessage
from collab.transactions import writing
from tasks import ledger
from tasks.queue import POLL_SECONDS, huey

log = logging.getLogger('collab.outbox')

BATCH = 200
IDLE_SECONDS = 1.0
MAX_BACKOFF = 5.0


def put(task):
    """Accept `task` (a Task, possibly a pipeline) as part of the current transaction.

    Call `dispatcher.wake()` once the transaction has committed.
    """
    data = huey.serialize_task(task)
    # Plain SQL, not OutboxMessage.create(): building the query cost more than
    # running it, on every job a web request enqueues.
    database.execute_sql(_insert_sql(database.param),
                         (data, task.priority or 0, utcnow()))
    ledger.record_stored_now(task)


@functools.lru_cache(maxsize=4)
def _insert_sql(param):
    meta = OutboxMessage._meta
    columns = ', '.join(meta.fields[name].column_name
                        for name in ('data', 'priority', 'created_at'))
    return f'INSERT INTO {meta.table_name} ({columns}) VALUES ({param}, {param}, {param})'


def dispatch_once():
    """Move up to BATCH messages to the queue. Returns how many moved; raises if the queue is down."""
    if not OutboxMessage.select().exists():
        return 0   # the usual case when idle (a round a second): no write lock for nothing
    # SQLite: the write lock up front, so two dispatchers never send the same rows.
    with writing():
        rows = _oldest(BATCH)
        if not rows:
            return 0
        # All or none reach the queue (one round trip or transaction), and the
        # rows leave the outbox only after that.
        huey.storage.enqueue_many([(bytes(data), priority or None)
                                   for _, data, priority in rows])
        OutboxMessage.delete().where(
            OutboxMessage.id.in_([row_id for row_id, _, _ in rows])).execute()
    huey.wakeup.notify()   # one worker; its claim wakes the next while more wait
    return len(rows)


def _oldest(limit):
    query = (OutboxMessage.select(OutboxMessage.id, OutboxMessage.data, OutboxMessage.priority)
             .order_by(OutboxMessage.id).limit(limit))
    if not is_sqlite():
        query = query.for_update('FOR UPDATE SKIP LOCKED')
    return list(query.tuples())


class Dispatcher:
    """One thread per process: drains the outbox when woken, and every second anyway.

    After moving messages it pauses POLL_SECONDS before it looks again: under
    load, one transaction then moves the messages of many requests, instead
    of a wake-up and a transaction each (which also kept the requests waiting
    for SQLite's write lock). An idle dispatcher is woken at once, as before."""

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
                moved = dispatch_once()
                while moved == BATCH:
                    moved = dispatch_once()
                backoff, self.healthy = IDLE_SECONDS, True
                if moved:
                    time.sleep(POLL_SECONDS)
            except Exception as exc:
                if self.healthy:
                    log.warning('outbox: the queue is not taking jobs (%s); will retry', exc)
                backoff, self.healthy = min(backoff * 2, MAX_BACKOFF), False
            finally:
                close_connection()


dispatcher = Dispatcher()
