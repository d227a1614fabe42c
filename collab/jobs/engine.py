"""The one Huey instance, its storage, serializer and default task policy.

Tasks register on `huey` at import; `configure(settings)` binds it to real
storage (SqliteHuey's file by default, Redis when REDIS_URL is set). This
module never imports Flask.
"""
import functools
import importlib
import logging
import os
import threading
import time
import uuid

from huey import Huey, signals
from huey.api import Task, group
from huey.serializer import SignedSerializer
from huey.storage import BaseStorage
from redis import ConnectionPool

from collab.db import close_connection
from collab.fields import utcnow
from collab.jobs.storage import ClaimingRedisStorage, ClaimingSqliteStorage

log = logging.getLogger('collab.tasks')

# The default policy (SPEC §3): 3 retries, backoff from 2 s doubling, capped.
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 2
DEFAULT_RETRY_BACKOFF = 2
MAX_RETRY_DELAY = 600

# Signals of our own, emitted once a message is really in storage (Huey's
# SIGNAL_ENQUEUED fires before the write, so it cannot tell a failed enqueue).
SIGNAL_STORED = 'stored'
SIGNAL_DEAD_LETTER = 'dead-letter'

TASK_PREFIX = 'tasks.'

# Right after work, a worker (or the outbox dispatcher) looks again this soon
# instead of waiting to be woken (see WakeSignal).
POLL_SECONDS = 0.005


class PoisonMessage(Exception):
    """A message that must never run: bad signature, unreadable, or unknown task."""

    def __init__(self, data, reason):
        super().__init__(reason)
        self.data = data


class WakeSignal:
    """Wakes an idle worker as soon as a task is enqueued in this process.

    Stock workers poll an empty queue with a backoff that grows to seconds;
    counting pending wake-ups (at most one per worker) means a wake-up sent
    while a worker is between its empty read and its sleep is not lost.

    Under load, a wake-up per task cost more than the task: the workers kept
    up, found the queue empty after each task and slept, and each enqueue woke
    one again (on SQLite that held throughput to 0.77 of raw Huey's; 0.99
    now). So a worker that has just run a task sleeps only POLL_SECONDS and
    looks again, and while one does, an enqueue wakes no one: that worker
    takes the task, and a claim that finds more behind it wakes the next
    worker (CollabHuey.dequeue).
    """
    def __init__(self):
        self._cond = threading.Condition()
        self._pending = 0
        self._polling = 0
        self.capacity = 1

    def notify(self):
        """Tasks were enqueued: wake an idle worker, unless one is about to look."""
        with self._cond:
            if not self._polling and self._pending < self.capacity:
                self._pending += 1
                self._cond.notify()

    def notify_all(self):
        with self._cond:
            self._pending = self.capacity
            self._cond.notify_all()

    def wait(self, timeout, poll=False):
        """Sleep until woken or `timeout` passes; `poll`: at most POLL_SECONDS."""
        with self._cond:
            if poll:
                self._polling += 1
                timeout = min(timeout, POLL_SECONDS)
            try:
                if not self._pending:
                    self._cond.wait(timeout)
                if self._pending:
                    self._pending -= 1
            finally:
                if poll:
                    self._polling -= 1


def time_ordered_id():
    """A task id in the UUIDv7 layout: 48 bits of Unix time in ms, then 74 random bits.

    The ledger indexes jobs by id: with random ids (uuid4) every new job lands
    on a random page of that index, a page write per job; ids that grow with
    time are added at its end, as seq is.
    """
    random_bits = int.from_bytes(os.urandom(10), 'big')
    value = ((time.time_ns() // 1_000_000) << 80 | 0x7 << 76          # time, version 7
             | (random_bits >> 62 & 0xFFF) << 64 | 0b10 << 62         # rand_a, variant
             | random_bits & (1 << 62) - 1)                           # rand_b
    return str(uuid.UUID(int=value))


class CollabTask(Task):
    """Huey's task, with time-ordered ids."""

    def create_id(self):
        return time_ordered_id()


class JobContext(threading.local):
    """Per thread: the task running (the ledger links jobs to it), the group being enqueued."""
    current = None
    group_id = None


class CollabHuey(Huey):
    """Huey with the default policy, a truthful 'stored' signal, and poison-message handling."""

    def __init__(self, name):
        super().__init__(name, storage_class=BaseStorage, utc=True)
        self.wakeup = WakeSignal()
        self.context = JobContext()
        self.settings = None

    def task(self, retries=DEFAULT_RETRIES, retry_delay=DEFAULT_RETRY_DELAY,
             retry_backoff=DEFAULT_RETRY_BACKOFF, **kwargs):
        kwargs.setdefault('task_base', CollabTask)
        return super().task(retries=retries, retry_delay=retry_delay,
                            retry_backoff=retry_backoff, **kwargs)

    def periodic_task(self, validate_datetime, retries=DEFAULT_RETRIES,
                      retry_delay=DEFAULT_RETRY_DELAY, retry_backoff=DEFAULT_RETRY_BACKOFF,
                      **kwargs):
        return super().periodic_task(validate_datetime, retries=retries,
                                     retry_delay=retry_delay,
                                     retry_backoff=retry_backoff, **kwargs)

    def enqueue(self, task):
        if isinstance(task, group):
            return self._enqueue_group(task)
        self._clear_revoke_flag_now(task)
        # Taken before the write: a worker may start the task before this call returns.
        task.enqueued_at = utcnow()
        result = super().enqueue(task)
        if isinstance(task, Task):
            # Only now is the message in storage: a failed write raised above.
            self.report_stored(task)
            self.wakeup.notify()
        return result

    def report_stored(self, task):
        """The message of `task` is in storage now (the ledger records it as queued)."""
        self._emit(SIGNAL_STORED, task)

    def _enqueue_group(self, task_group):
        outer = self.context.group_id
        self.context.group_id = uuid.uuid4().hex
        try:
            return super().enqueue(task_group)
        finally:
            self.context.group_id = outer

    def add_schedule(self, task):
        self._clear_revoke_flag_now(task)
        return super().add_schedule(task)

    def execute(self, task, timestamp=None):
        outer = self.context.current
        self.context.current = task
        try:
            return super().execute(task, timestamp)
        finally:
            # Done, retried (in the schedule) or skipped: the claim can go.
            token = getattr(task, 'claim_token', None)
            if token is not None:
                flag = task.revoke_id if task.__dict__.pop('revoke_flag_left', False) else None
                self.release_claim(token, flag)
            self.context.current = outer
            if not self.immediate:
                close_connection()   # tasks open the database on first use; close after

    def release_claim(self, token, revoke_key=None):
        """Acknowledge a finished task's claim (and delete its revoke flag). The ledger
        replaces this so that a claim is released only once the job's record is written."""
        self.storage.ack_many([token], [revoke_key] if revoke_key else [])

    def is_revoked(self, task, timestamp=None, peek=True):
        # The claim found no revoke flag at all: skip the read (once, for the check before the run).
        if task.__dict__.pop('unrevoked', False):
            return False
        return super().is_revoked(task, timestamp, peek)

    def delete(self, key):
        # After a run Huey deletes the task's revoke flag, which is almost never
        # there: a claimed task's is deleted with its claim's ack instead, or
        # just before the task is stored again for a retry.
        current = self.context.current
        if (current is not None and key == current.revoke_id
                and getattr(current, 'claim_token', None) is not None):
            current.revoke_flag_left = True
            return True
        return super().delete(key)

    def _clear_revoke_flag_now(self, task):
        """A retry is stored with the same id: its old run's flag must go first, as in Huey."""
        if task.__dict__.pop('revoke_flag_left', False):
            super().delete(task.revoke_id)

    def serialize_task(self, task):
        data = super().serialize_task(task)
        task.signed_message = data   # kept for the ledger: saves pickling twice
        return data

    def deserialize_task(self, data):
        try:
            task = super().deserialize_task(data)
        except Exception as exc:
            raise PoisonMessage(data, f'{type(exc).__name__}: {exc}') from exc
        task.signed_message = data   # a job recorded from its run can still run again
        return task

    def dequeue(self):
        """Claim the next message: it stays in storage until the task is done (see release_claim)."""
        claim = self.storage.claim()
        if claim.data is None:
            return None
        try:
            task = self.deserialize_task(claim.data)
        except PoisonMessage as exc:
            self.refuse(exc, 'queue')
            self.storage.ack_many([claim.token])
            return None
        task.claim_token = claim.token
        if claim.revocations is False:
            task.unrevoked = True
        if claim.more:
            self.wakeup.notify()   # another worker for the messages behind this one
        return task

    def read_schedule(self, timestamp=None):
        """Move due tasks to the queue in one atomic step; nothing is left for the scheduler to enqueue."""
        if self.storage.move_due_to_queue(timestamp or self._get_timestamp()):
            self.wakeup.notify()   # one worker; its claim wakes the next while more wait
        return []

    def refuse(self, exc, source):
        """Keep a poison message as a dead letter (via the ledger); it never runs."""
        log.error('refused a %s message (%d bytes): %s; kept as a dead letter, not run',
                  source, len(exc.data or b''), exc)
        self._emit(SIGNAL_DEAD_LETTER, None, exc.data, str(exc), source)


def task_name(task):
    """The name users see: `activity.log_activity`, not `tasks.activity.log_activity`."""
    return _name_of_class(type(task))


@functools.lru_cache(maxsize=None)
def _name_of_class(task_class):
    # Once per task class: the ledger asks for every job it records.
    name = huey._registry.task_to_string(task_class)
    return name[len(TASK_PREFIX):] if name.startswith(TASK_PREFIX) else name


huey = CollabHuey('collab')


@huey.signal(signals.SIGNAL_RETRYING)
def _cap_retry_delay(signal, task, *args):
    # Runs just before Huey schedules the retry at now + retry_delay.
    if task.retry_delay and task.retry_delay > MAX_RETRY_DELAY:
        task.retry_delay = MAX_RETRY_DELAY


def build_storage(settings):
    if settings.redis_url:
        pool = ConnectionPool.from_url(settings.redis_url, health_check_interval=30,
                                       socket_timeout=5, socket_connect_timeout=5)
        return ClaimingRedisStorage(name=huey.name, connection_pool=pool)
    return ClaimingSqliteStorage(name=huey.name, filename=str(settings.queue_path),
                                 fsync=False, timeout=10)


def configure(settings, storage=None):
    """Bind the Huey instance to the storage and signing key of these settings,
    and register the extra task modules they name (TASK_MODULES)."""
    for module in settings.task_modules:
        importlib.import_module(module)
    huey.settings = settings
    huey.serializer = SignedSerializer(secret=settings.secret_key, salt='collab.tasks')
    old = huey.storage
    huey.storage = storage or build_storage(settings)
    if old is not None and old is not huey.storage:
        old.close()
    return huey
