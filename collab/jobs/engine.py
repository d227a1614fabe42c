"""Collab's Huey: the default task policy, time-ordered ids, claimed dequeues,
a truthful 'stored' signal and poison-message handling.

This module holds the classes; `collab.jobs.instance` builds the one instance
the app uses. It never imports Flask.
"""
import logging
import threading
import uuid

from huey import Huey
from huey.api import PeriodicTask, ResultGroup, Task, TaskWrapper, group
from huey.serializer import SignedSerializer
from huey.storage import MemoryStorage

from collab.db import close_connection
from collab.fields import utcnow
from collab.jobs import slots
from collab.jobs.ids import time_ordered_id
from collab.jobs.storage import build_storage
from collab.jobs.unbound_storage import UnboundStorage
from collab.jobs.wakeup import WakeSignal

log = logging.getLogger('collab.tasks')

# The default policy: 3 retries, backoff from 2 s doubling, capped.
DEFAULT_RETRIES = 3
DEFAULT_RETRY_DELAY = 2
DEFAULT_RETRY_BACKOFF = 2
MAX_RETRY_DELAY = 600

# Signals of our own, emitted once a message is really in storage (Huey's
# SIGNAL_ENQUEUED fires before the write, so it cannot tell a failed enqueue).
SIGNAL_STORED = 'stored'
SIGNAL_DEAD_LETTER = 'dead-letter'


class PoisonMessage(Exception):
    """A message that must never run: bad signature, unreadable, or unknown task."""

    def __init__(self, data, reason):
        super().__init__(reason)
        self.data = data


class JobTask:
    """What the engine notes on a task as it moves through; every task of a
    CollabHuey has these (see CollabTaskWrapper)."""
    claim_token = None        # the storage claim, acknowledged once the run is recorded
    no_revoke_flags = False   # the claim saw no revoke flag at all: the next check needs no read
    revoke_flag_left = False  # the flag's delete after the run waits for the claim's ack
    signed_message = None     # the message as stored: the ledger keeps it, to run the job again
    enqueued_at = None        # when the job was accepted (an outbox row's time, or the call)
    run_started = None        # time.monotonic() when the run began: its duration
    run_started_at = None     # ... and the time then: the attempt's key, its logs filed under it
    attempt_log = None        # the attempt's log records not yet written (collab.jobs.job_logs)
    duplicate_delivery = False  # its effect had already committed: acknowledged, not run
    recorded_result = None      # ... and this is what it returned
    # The task's writes and the record that it took effect commit together
    # (collab/jobs/effects.py): a redelivery does not run it again.
    exactly_once = False
    # Periodic tasks registered with CollabHuey.periodic_once (collab.jobs.slots):
    once_per_slot = False
    catch_up = False          # run a slot missed while no consumer ran, once, at start
    schedule = None           # the crontab, to work out the slot

    def create_id(self):
        return time_ordered_id()


class CollabTask(JobTask, Task):
    pass


class CollabPeriodicTask(JobTask, PeriodicTask):
    pass


class CollabTaskWrapper(TaskWrapper):
    """Builds every task class on JobTask: Huey's Task and PeriodicTask become
    ours, and any other base gets JobTask mixed in."""
    task_base = CollabTask

    def __init__(self, huey, func, context=False, name=None, task_base=None, **settings):
        super().__init__(huey, func, context, name, _with_job_task(task_base), **settings)

    def create_task(self, func, context=False, name=None, **settings):
        task_class = super().create_task(func, context, name, **settings)
        if task_class.exactly_once:
            task_class.execute = _exactly_once(self.huey, task_class.execute)
        return task_class


def _exactly_once(huey, execute):
    def run_once(task):
        if huey.effects is None or huey.immediate:
            return execute(task)
        return huey.effects.run(task, lambda: execute(task))
    return run_once


def _with_job_task(base):
    if base is None or base is Task:
        return CollabTask
    if base is PeriodicTask:
        return CollabPeriodicTask
    if issubclass(base, JobTask):
        return base
    return type(base.__name__, (JobTask, base), {})


class JobContext(threading.local):
    """Per thread: the task running (the ledger links jobs to it), the group being enqueued."""
    current = None
    group_id = None
    effects = None   # the running exactly-once job's EffectScope (collab.jobs.effects)


class CollabHuey(Huey):
    """Huey with the default policy, claimed dequeues, a truthful 'stored' signal,
    and poison-message handling."""

    def __init__(self, name, consumer_class=None):
        self.bound_storage = None
        self.configure_on_first_use = None   # a callable that configures from the environment
        super().__init__(name, utc=True)
        self.consumer_class = consumer_class
        self.wakeup = WakeSignal()
        self.context = JobContext()
        self.settings = None
        self.ledger = None          # set by collab.jobs.ledger.install()
        self.effects = None         # set by collab.jobs.effects.install()
        self.task_timeout = None    # TASK_TIMEOUT: the limit of a task that sets none
        self.consumer_id = None     # set by a consumer running in this process
        self.claims_to_give_back = []   # [(token, message)] not yet back on the queue
        self._giving_back = threading.Lock()

    # ------------------------------------------------------------ configuration

    def configure(self, settings, storage=None):
        """Bind to the storage and signing key of these settings."""
        self.settings = settings
        self.task_timeout = settings.task_timeout
        self.serializer = SignedSerializer(secret=settings.secret_key, salt='collab.tasks')
        old = self.bound_storage
        self.bound_storage = storage or build_storage(self.name, settings)
        self.storage = self.create_storage()
        if old is not None and old is not self.bound_storage:
            old.close()
        return self

    def create_storage(self):
        # Leaving immediate mode goes back to the bound storage, not a new one.
        if self._immediate and self.immediate_use_memory:
            return MemoryStorage(self.name)
        return self.bound_storage or UnboundStorage(self)

    def get_task_wrapper_class(self):
        return CollabTaskWrapper

    def ensure_configured(self):
        """Configure from the environment (`configure_on_first_use`) unless configured."""
        if self.bound_storage is not None:
            return
        if self.configure_on_first_use is None:
            raise RuntimeError('the job queue is not configured: call configure(settings) first')
        self.configure_on_first_use()

    def create_consumer(self, **options):
        """Huey's hook: `huey_consumer tasks.huey` and `run.py worker` both get Collab's consumer."""
        self.ensure_configured()
        return self.consumer_class(self, **options)

    def task(self, retries=DEFAULT_RETRIES, retry_delay=DEFAULT_RETRY_DELAY,
             retry_backoff=DEFAULT_RETRY_BACKOFF, **kwargs):
        return super().task(retries=retries, retry_delay=retry_delay,
                            retry_backoff=retry_backoff, **kwargs)

    def periodic_task(self, validate_datetime, retries=DEFAULT_RETRIES,
                      retry_delay=DEFAULT_RETRY_DELAY, retry_backoff=DEFAULT_RETRY_BACKOFF,
                      **kwargs):
        return super().periodic_task(validate_datetime, retries=retries,
                                     retry_delay=retry_delay,
                                     retry_backoff=retry_backoff, **kwargs)

    def periodic_once(self, schedule, catch_up=False, **options):
        """A periodic task that runs once per slot however many consumers run
        (collab.jobs.slots); `catch_up`: run a slot missed while stopped."""
        return slots.periodic_once(self, schedule, catch_up, **options)

    # ------------------------------------------------------------ storing

    def enqueue(self, task):
        if isinstance(task, group):
            return self._enqueue_group(task)
        scope = self.context.effects
        if scope is not None and isinstance(task, Task):
            return self._accept_with_effect(scope, task)
        self._clear_revoke_flag_now(task)
        # Taken before the write: a worker may start the task before this call returns.
        task.enqueued_at = utcnow()
        result = super().enqueue(task)
        if isinstance(task, Task):
            # Only now is the message in storage: a failed write raised above.
            self.report_stored(task)
            self.wakeup.notify()
        return result

    def _accept_with_effect(self, scope, task):
        """A job enqueued by an exactly-once job goes to the outbox, in the
        transaction of that job's effect: accepted if and only if it commits."""
        if task.expires:
            task.resolve_expires(self.utc)
        task.enqueued_at = utcnow()
        scope.accept(task)
        results = self._pipeline_results(task)
        return ResultGroup(results) if len(results) > 1 else results[0]

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

    # ------------------------------------------------------------ running

    def dequeue(self):
        """Claim the next message: it stays in storage until the task is done (see release_claim)."""
        if self.claims_to_give_back:
            self._give_back_claims()
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
        task.no_revoke_flags = claim.revocations is False
        if claim.more:
            self.wakeup.notify()   # another worker for the messages behind this one
        return task

    def read_schedule(self, timestamp=None):
        """Move due tasks to the queue in one atomic step; nothing is left for the scheduler to enqueue."""
        if self.immediate:   # no consumer: the caller gets the due tasks, as from Huey
            return super().read_schedule(timestamp)
        if self.storage.move_due_to_queue(timestamp or self._get_timestamp()):
            self.wakeup.notify()   # one worker; its claim wakes the next while more wait
        return []

    def execute(self, task, timestamp=None):
        if task.timeout is None:   # neither the task nor the call set one (0: no limit)
            task.timeout = self.task_timeout
        if task.exactly_once and self.effects is not None and not self.immediate:
            self.effects.check(task)   # before the run is reported: a duplicate is no run
        outer = self.context.current
        self.context.current = task
        done = False
        try:
            result = super().execute(task, timestamp)
            done = True
            return result
        finally:
            # Done, retried (in the schedule) or skipped: the claim can go. Not
            # done when Huey could not store what came of the run (a full disk,
            # the broker gone): the message goes back on the queue instead.
            if task.claim_token is not None:
                self.release_claim(task) if done else self.give_back_claim(task)
            self.context.current = outer
            if not self.immediate:
                close_connection()   # tasks open the database on first use; close after

    def give_back_claim(self, task):
        """Put a claimed message back on the queue, as it was claimed; while the
        storage refuses, keep it and try again at each later dequeue."""
        token, task.claim_token = task.claim_token, None
        self.claims_to_give_back.append((token, task.signed_message))
        self._give_back_claims()

    def _give_back_claims(self):
        if not self._giving_back.acquire(blocking=False):
            return   # another worker is at it
        try:
            while self.claims_to_give_back:
                token, message = self.claims_to_give_back[0]
                try:
                    self.storage.release(self.consumer_id, token, message)
                except Exception as exc:
                    log.warning('could not put %d claimed jobs back on the queue (%s); '
                                'will try again', len(self.claims_to_give_back), exc)
                    return
                self.claims_to_give_back.pop(0)
                self.wakeup.notify()
        finally:
            self._giving_back.release()

    def release_claim(self, task):
        """Acknowledge a finished task's claim (and delete its revoke flag): through
        the ledger when installed, so that the claim goes only once the run is recorded."""
        flag = task.revoke_id if task.revoke_flag_left else None
        token, task.claim_token, task.revoke_flag_left = task.claim_token, None, False
        if self.ledger is not None:
            self.ledger.release_claim(token, flag)
        else:
            self.storage.ack_many([token], [flag] if flag else [])

    def _check_chord(self, cc, value):
        """Huey counts a chord's finished members; a member delivered again after
        its effect committed (collab.jobs.effects) was counted by the first
        delivery, unless that one died before it got here: its result is not stored."""
        current = self.context.current
        if (current is not None and current.duplicate_delivery
                and self.storage.has_data_for_key(f'chord:{cc.cid}:{cc.idx}')):
            return
        super()._check_chord(cc, value)

    def _requeue_task(self, task, timestamp, retry_eta=None):
        # The backoff doubles the delay for each retry; no retry waits longer than this.
        if task.retry_delay and task.retry_delay > MAX_RETRY_DELAY:
            task.retry_delay = MAX_RETRY_DELAY
        return super()._requeue_task(task, timestamp, retry_eta)

    def is_revoked(self, task, timestamp=None, peek=True):
        # The claim found no revoke flag at all: skip the read (once, for the check before the run).
        if isinstance(task, JobTask) and task.no_revoke_flags:
            task.no_revoke_flags = False
            return False
        return super().is_revoked(task, timestamp, peek)

    def delete(self, key):
        # After a run Huey deletes the task's revoke flag, which is almost never
        # there: a claimed task's is deleted with its claim's ack instead, or
        # just before the task is stored again for a retry.
        current = self.context.current
        if current is not None and current.claim_token is not None and key == current.revoke_id:
            current.revoke_flag_left = True
            return True
        return super().delete(key)

    def _clear_revoke_flag_now(self, task):
        """A retry is stored with the same id: its old run's flag must go first, as in Huey."""
        if isinstance(task, JobTask) and task.revoke_flag_left:
            task.revoke_flag_left = False
            super().delete(task.revoke_id)

    def refuse(self, exc, source):
        """Keep a poison message as a dead letter (via the ledger); it never runs."""
        log.error('refused a %s message (%d bytes): %s; kept as a dead letter, not run',
                  source, len(exc.data or b''), exc)
        self._emit(SIGNAL_DEAD_LETTER, None, exc.data, str(exc), source)
