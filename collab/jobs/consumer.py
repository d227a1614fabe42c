"""Collab's Huey consumer: what `huey.create_consumer()` returns, so Huey's own
`huey_consumer tasks.huey` runs jobs exactly as `python run.py worker` does.

It adds to Huey's consumer what a deployment needs: workers woken on
enqueue, a graceful stop on SIGTERM as well as SIGINT, periodic tasks paused
in the admin skipped, and the heartbeat, crash recovery and pruning of
collab.jobs.heartbeat.
"""
import logging
import signal
import threading

from huey.consumer import Consumer, Scheduler, ThreadEnvironment, Worker
from huey.exceptions import ConfigurationError

from collab.jobs import job_logs
from collab.jobs.heartbeat import ConsumerHeartbeat
from collab.jobs.names import task_name
from collab.jobs.queue_alerts import checker as queue_alerts
from collab.jobs.pausing import paused_names
from collab.jobs.time_limits import TimeLimit

log = logging.getLogger('collab.consumer')

IDLE_POLL_MAX = 2.0   # cross-process enqueues on SQLite are found by polling, at most this late

# Collab's polling and scheduling, where the caller does not set its own.
DEFAULTS = {'worker_type': 'thread', 'scheduler_interval': 1, 'initial_delay': 0.05,
            'max_delay': IDLE_POLL_MAX, 'check_worker_health': True}


class WakingWorker(Worker):
    """Sleeps on the in-process wake signal instead of a blind poll; right after
    a task, only briefly (see collab.jobs.wakeup)."""
    ran_task = False

    def loop(self, now=None):
        count = self.task_count
        super().loop(now)
        self.ran_task = self.task_count != count

    def sleep(self):
        self.delay = min(self.delay, self.max_delay)
        self.huey.wakeup.wait(self.delay, poll=self.ran_task)
        self.delay *= self.backoff


class WakingStopFlag(threading.Event):
    """The consumer's stop flag: setting it also wakes the workers sleeping on the wake signal."""

    def __init__(self, wakeup):
        super().__init__()
        self.wakeup = wakeup

    def set(self):
        super().set()
        self.wakeup.notify_all()


class WakingThreadEnvironment(ThreadEnvironment):
    def __init__(self, wakeup, graceful, interrupt):
        super().__init__(graceful, interrupt)
        self.wakeup = wakeup

    def get_stop_flag(self):
        return WakingStopFlag(self.wakeup)

    def timeout(self, seconds):
        # Huey's thread environment does not enforce a task's timeout; this does.
        return TimeLimit(seconds)


class PausableScheduler(Scheduler):
    """Huey's scheduler, skipping periodic tasks an admin has paused."""

    def enqueue_periodic_tasks(self, now):
        try:
            paused = paused_names(self.huey)
        except Exception:
            log.exception('could not read paused periodic tasks; running all')
            paused = set()
        for task in self.huey.read_periodic(now):
            name = task_name(task)
            if name in paused:
                log.info('periodic task %s is paused; skipped', name)
                continue
            log.info('enqueueing periodic task %s', name)
            try:
                self.huey.enqueue(task)
            except Exception:
                log.exception('error enqueueing periodic task %s', name)


class CollabConsumer(Consumer):
    """Huey's consumer with Collab's workers, scheduler, signals and heartbeat.

    `embedded`: runs in threads of a process that owns the signals (the web
    server); start() and shutdown() instead of run().
    """
    worker_class = WakingWorker
    scheduler_class = PausableScheduler

    def __init__(self, huey, embedded=False, **options):
        settings = huey.settings
        for name, value in DEFAULTS.items():
            options.setdefault(name, value)
        if options.get('shutdown_timeout') is None:
            options['shutdown_timeout'] = settings.shutdown_grace
        options.setdefault('workers', settings.huey_workers)
        super().__init__(huey, **options)
        self.embedded = embedded
        huey.wakeup.capacity = self.workers
        # Stock Huey stops at once on SIGTERM; here both signals let tasks finish.
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._signal_actions[signum] = (False, True)
        self.heartbeat = ConsumerHeartbeat(self, settings)
        if settings.job_log_bytes:
            job_logs.attach(huey)   # what its tasks log is kept with their attempts
        else:   # JOB_LOG_BYTES=0: capture is off
            job_logs.detach(huey)

    @property
    def id(self):
        return self.heartbeat.id

    def start(self):
        """Start workers, scheduler and heartbeat in threads."""
        self.heartbeat.register()
        super().start()
        self.heartbeat.start()
        queue_alerts.start(self.huey.settings)

    def run(self):
        """Run in the foreground until SIGINT/SIGTERM (`run.py worker`, `huey_consumer`)."""
        try:
            super().run()
        finally:
            self.heartbeat.finish()

    def shutdown(self):
        """Embedded: stop taking work; let running tasks finish within the grace period."""
        try:
            self.stop(graceful=True)
        finally:
            # Also when a second signal cuts the grace short (SystemExit).
            self.huey.notify_interrupted_tasks()
            self.heartbeat.finish()

    def get_environment(self, worker_type):
        if worker_type != 'thread':
            # The ledger writer, the wake signal and the claims live in this process.
            raise ConfigurationError(f"Collab's consumer runs its workers as threads "
                                     f"(-k thread), not {worker_type!r}")
        return WakingThreadEnvironment(self.huey.wakeup, self._graceful_sig, self._interrupt_sig)

    def stop(self, graceful=False):
        try:
            super().stop(graceful)
        finally:
            self.heartbeat.stop()

    def _set_signal_handlers(self):
        if not self.embedded:   # embedded: the web server owns the signals
            super()._set_signal_handlers()
