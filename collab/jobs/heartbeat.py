"""A consumer process's record and heartbeat, crash recovery, catch-up and pruning.

The heartbeat row is how /healthz counts consumers, and how other consumers
tell a dead one, whose claims they then recover. Pruning runs on a thread of
its own: a long prune must not hold back the heartbeat, or other consumers
would take this one for dead and run its tasks again.
"""
import logging
import os
import socket
import threading
import time
import uuid

from collab.db import close_connection
from collab.fields import utcnow
from collab.jobs.models import HEARTBEAT_SECONDS, ConsumerProcess
from collab.jobs.pausing import paused_names
from collab.jobs.prune import prune_jobs
from collab.jobs.recovery import recover_orphaned_claims
from collab.jobs.slots import catch_up_missed

log = logging.getLogger('collab.consumer')

PRUNE_SECONDS = 3600


class ConsumerHeartbeat:
    """The housekeeping of one consumer (a collab.jobs.consumer.CollabConsumer)."""

    def __init__(self, consumer, settings):
        self.consumer, self.huey, self.settings = consumer, consumer.huey, settings
        self.id = f'{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}'
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._beat, name='heartbeat', daemon=True)
        self._pruning = None
        self._finished = False

    def register(self):
        """Record this consumer, claim messages in its name, recover the dead's, catch up."""
        self.huey.consumer_id = self.id
        self.huey.storage.claimer = self.id   # dequeues claim messages for this consumer
        ConsumerProcess.insert(
            id=self.id, hostname=socket.gethostname(), pid=os.getpid(),
            workers=self.consumer.workers, backend=self.settings.queue_backend,
        ).on_conflict(  # portable upsert: PostgreSQL has no INSERT OR REPLACE
            conflict_target=[ConsumerProcess.id],
            preserve=[ConsumerProcess.hostname, ConsumerProcess.pid, ConsumerProcess.workers,
                      ConsumerProcess.backend, ConsumerProcess.started_at,
                      ConsumerProcess.last_heartbeat, ConsumerProcess.stopped_at],
        ).execute()
        self._recover()
        if self.consumer.periodic and self.settings.catch_up_periodic:
            self._catch_up()

    def start(self):
        """Beat from now on; the consumer is running (and handles its signals)."""
        self._thread.start()
        log.info('consumer %s started: %d workers, %s backend', self.id,
                 self.consumer.workers, self.settings.queue_backend)

    def stop(self):
        """Stop beating (the consumer stopped); finish() records the stop."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5)

    def finish(self):
        """Stop beating, write what the ledger holds, record the stop (once)."""
        if self._finished:
            return
        self._finished = True
        self.stop()
        if self.huey.ledger is not None:
            self.huey.ledger.flush()
        try:
            ConsumerProcess.update(stopped_at=utcnow()).where(
                ConsumerProcess.id == self.id).execute()
        except Exception:
            log.exception('could not record the consumer stop')
        log.info('consumer %s stopped', self.id)

    def start_pruning(self):
        """Prune job records on a thread of its own, unless a prune is still running.
        Returns that thread."""
        if self._pruning is None or not self._pruning.is_alive():
            self._pruning = threading.Thread(target=self._prune, name='prune', daemon=True)
            self._pruning.start()
        return self._pruning

    def _catch_up(self):
        try:
            started = catch_up_missed(self.huey, skip=paused_names(self.huey))
        except Exception:
            log.exception('could not catch up missed periodic runs')
            return
        if started:
            log.info('catching up periodic runs missed while stopped: %s', ', '.join(started))

    def _recover(self):
        try:
            recovered = recover_orphaned_claims(self.huey, self.id)
        except Exception:
            log.exception('crash recovery failed; will try again')
            return
        if recovered:
            log.warning('recovered %d jobs from consumers that stopped mid-run', recovered)

    def _beat(self):
        next_prune = time.monotonic()
        while not self._stopping.wait(HEARTBEAT_SECONDS):
            try:
                ConsumerProcess.update(last_heartbeat=utcnow()).where(
                    ConsumerProcess.id == self.id).execute()
                consumer = self.consumer
                if consumer.embedded and not consumer.stop_flag.is_set():
                    consumer.check_worker_health()   # not while stopping: it would restart them
                self._recover()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_SECONDS
                    self.start_pruning()
            except Exception:
                log.exception('heartbeat failed; will try again')

    def _prune(self):
        try:
            prune_jobs(self.settings)
        except Exception:
            log.exception('pruning job records failed; will try again in an hour')
        finally:
            close_connection()
