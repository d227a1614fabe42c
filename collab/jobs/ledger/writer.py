"""The ledger writer: a daemon thread that writes events in batches, one transaction each.

Receivers hand it events and return at once; a ledger failure is logged and
never reaches a task.
"""
import logging
import queue
import threading
import time

from collab.background import BackgroundThread
from collab.db import database
from collab.jobs.ledger.batch import write_batch
from collab.jobs.ledger.events import ClaimDone

log = logging.getLogger('collab.ledger')

BATCH_SIZE = 2000
# After the first event of a batch, the writer waits this long for more: one
# transaction (and one claim ack) then covers many jobs, and a fast job's start
# and end usually share a batch, where they fold into one write.
LINGER_SECONDS = 0.05
WRITE_TRIES = 3


class LedgerWriter:
    """Writes the events put to it; acknowledges claims once their batch is committed.

    `storage` is read at each ack (the instance's queue storage, which the app
    may rebind); `on_written` is called after each batch of job events.
    """

    def __init__(self, storage, on_written=None):
        self._storage = storage
        self._on_written = on_written
        self._events = queue.SimpleQueue()
        self._thread = BackgroundThread(self._run, 'ledger-writer')

    def put(self, event):
        self._thread.ensure_running()
        self._events.put(event)

    def release_claim(self, token, revoke_key=None):
        """Ack a finished task's claim (and delete its revoke flag) once the batch
        holding its record is committed: a consumer killed before that leaves the
        claim, and the job is recovered."""
        self.put(ClaimDone(token, revoke_key))

    def flush(self, timeout=10.0):
        """Block until every event put so far is written (or the timeout passes)."""
        if not self._thread.running:
            return True
        done = threading.Event()
        self._events.put(done)
        return done.wait(timeout)

    def _run(self):
        while True:
            batch, waiters = self._next_batch()
            events = [event for event in batch if type(event) is not ClaimDone]
            if events:
                self._write(events)
                if self._on_written is not None:
                    self._on_written()
            claims = [event for event in batch if type(event) is ClaimDone]
            if claims:
                self._ack(claims)
            for waiter in waiters:
                waiter.set()

    def _next_batch(self):
        batch, waiters = [], []
        item = self._events.get()
        if not isinstance(item, threading.Event):   # a flush writes at once
            time.sleep(LINGER_SECONDS)
        while True:
            if isinstance(item, threading.Event):
                waiters.append(item)
            else:
                batch.append(item)
            if len(batch) >= BATCH_SIZE:
                break
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                break
        return batch, waiters

    def _write(self, events):
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                db = database.obj   # the whole batch on one database (see collab.transactions)
                db.connect(reuse_if_open=True)
                write_batch(db, events)
                return
            except Exception:
                _close_quietly()
                if attempt == WRITE_TRIES:
                    log.exception('ledger: dropped %d events after %d failed writes',
                                  len(events), WRITE_TRIES)
                else:
                    time.sleep(0.2 * attempt)

    def _ack(self, claims):
        tokens = [claim.token for claim in claims]
        flags = [claim.revoke_key for claim in claims if claim.revoke_key is not None]
        try:
            self._storage().ack_many(tokens, flags)
        except Exception:
            log.exception('ledger: could not release %d claims; those jobs may run again',
                          len(tokens))


def _close_quietly():
    try:
        database.close()
    except Exception:
        pass
