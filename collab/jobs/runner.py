"""Running a Huey consumer: embedded in the web process, or on its own.

Adds to Huey's consumer what a deployment needs: workers woken on enqueue, a
graceful stop on SIGTERM as well as SIGINT, a heartbeat row per consumer
process (how /healthz counts consumers), and pruning of old job records (on a
thread of its own: a long prune must not hold back the heartbeat, or other
consumers would take this one for dead and run its tasks again).
"""
import logging
import os
import signal
import socket
import threading
import time
import uuid

from huey.consumer import Consumer, Worker

from collab.db import close_connection
from collab.fields import utcnow
from collab.jobs.models import HEARTBEAT_SECONDS, ConsumerProcess
from collab.jobs import ledger
from collab.jobs.control import PausableScheduler, paused_names
from collab.jobs.prune import prune_jobs
from collab.jobs.recovery import recover_orphaned_claims
from collab.jobs.slots import catch_up_missed
from collab.jobs.engine import huey

log = logging.getLogger('collab.consumer')

PRUNE_SECONDS = 3600
IDLE_POLL_MAX = 2.0   # cross-process enqueues on SQLite are found by polling, at most this late


class WakingWorker(Worker):
    """Sleeps on the in-process wake signal instead of a blind poll; right after
    a task, only briefly (see WakeSignal)."""
    ran_task = False

    def loop(self, now=None):
        count = self.task_count
        super().loop(now)
        self.ran_task = self.task_count != count

    def sleep(self):
        self.delay = min(self.delay, self.max_delay)
        self.huey.wakeup.wait(self.delay, poll=self.ran_task)
        self.delay *= self.backoff


class CollabConsumer(Consumer):
    worker_class = WakingWorker
    scheduler_class = PausableScheduler   # skips periodic tasks paused in the admin

    def __init__(self, huey, embedded=False, **options):
        super().__init__(huey, **options)
        self.embedded = embedded
        # Stock Huey stops at once on SIGTERM; here both signals let tasks finish.
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._signal_actions[signum] = (False, True)

    def _set_signal_handlers(self):
        if not self.embedded:   # embedded: the web server owns the signals
            super()._set_signal_handlers()

    def stop(self, graceful=False):
        super().stop(graceful)
        self.huey.wakeup.notify_all()


class ConsumerRunner:
    """One consumer process: its Huey consumer, heartbeat and housekeeping."""

    def __init__(self, settings, embedded=False, workers=None, periodic=True):
        self.settings = settings
        self.id = f'{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}'
        workers = workers or settings.huey_workers
        huey.wakeup.capacity = workers
        self.consumer = CollabConsumer(
            huey, embedded=embedded, workers=workers, worker_type='thread',
            periodic=periodic, scheduler_interval=1, initial_delay=0.05,
            max_delay=IDLE_POLL_MAX, shutdown_timeout=settings.shutdown_grace,
            check_worker_health=True)
        self._stopping = threading.Event()
        self._heartbeat = threading.Thread(target=self._beat, name='heartbeat', daemon=True)
        self._pruning = None

    def start(self):
        """Start workers, scheduler and heartbeat in threads (embedded use)."""
        self._register()
        self.consumer.start()
        self._heartbeat.start()

    def run(self):
        """Run in the foreground until SIGINT/SIGTERM (the `worker` command)."""
        self._register()
        self._heartbeat.start()
        try:
            self.consumer.run()
        finally:
            self._finish()

    def stop(self):
        """Stop taking work; let running tasks finish within the grace period."""
        try:
            self.consumer.stop(graceful=True)
        finally:
            # Also when a second signal cuts the grace short (SystemExit).
            huey.notify_interrupted_tasks()
            self._finish()

    def _register(self):
        ledger.set_consumer_id(self.id)
        huey.storage.claimer = self.id   # dequeues claim messages for this consumer
        ConsumerProcess.insert(
            id=self.id, hostname=socket.gethostname(), pid=os.getpid(),
            workers=self.consumer.workers, backend=self.settings.queue_backend,
        ).on_conflict(  # portable upsert: PostgreSQL has no INSERT OR REPLACE
            conflict_target=[ConsumerProcess.id],
            preserve=[ConsumerProcess.hostname, ConsumerProcess.pid, ConsumerProcess.workers,
                      ConsumerProcess.backend, ConsumerProcess.started_at,
                      ConsumerProcess.last_heartbeat, ConsumerProcess.stopped_at],
        ).execute()
        log.info('consumer %s started: %d workers, %s backend', self.id,
                 self.consumer.workers, self.settings.queue_backend)
        self._recover()
        if self.consumer.periodic and self.settings.catch_up_periodic:
            self._catch_up()

    def _catch_up(self):
        try:
            started = catch_up_missed(skip=paused_names())
        except Exception:
            log.exception('could not catch up missed periodic runs')
            return
        if started:
            log.info('catching up periodic runs missed while stopped: %s', ', '.join(started))

    def _finish(self):
        self._stopping.set()
        ledger.flush()
        try:
            ConsumerProcess.update(stopped_at=utcnow()).where(
                ConsumerProcess.id == self.id).execute()
        except Exception:
            log.exception('could not record the consumer stop')
        log.info('consumer %s stopped', self.id)

    def _recover(self):
        try:
            recovered = recover_orphaned_claims(self.id)
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
                if self.consumer.embedded and not self.consumer.stop_flag.is_set():
                    self.consumer.check_worker_health()   # not while stopping: it would restart them
                self._recover()
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_SECONDS
                    self.start_pruning()
            except Exception:
                log.exception('heartbeat failed; will try again')

    def start_pruning(self):
        """Prune job records on a thread of its own, unless a prune is still running.
        Returns that thread."""
        if self._pruning is None or not self._pruning.is_alive():
            self._pruning = threading.Thread(target=self._prune, name='prune', daemon=True)
            self._pruning.start()
        return self._pruning

    def _prune(self):
        try:
            prune_jobs(self.settings)
        except Exception:
            log.exception('pruning job records failed; will try again in an hour')
        finally:
            close_connection()
