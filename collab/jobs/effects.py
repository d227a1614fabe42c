"""Exactly-once effects for jobs that write the app database.

Delivery is at least once: a consumer killed after a job's writes committed,
but before its claim was acknowledged, leaves the message to run again, and
the outbox dispatcher can send a message twice. A task declared with
`exactly_once=True` therefore runs in one write transaction that also inserts
a JobEffect row keyed by the job's id (the same across retries and
redeliveries):

- the effect and its record commit together, or neither does;
- a delivery that finds the record is a duplicate: the body does not run, the
  recorded result goes on to the pipeline or chord waiting for it, and the
  ledger shows the attempt as a duplicate delivery;
- the jobs the body enqueues go to the outbox in the same transaction, so
  they are accepted exactly when the effect is;
- what must wait for the commit (a live frame to a socket, removing files the
  transaction still refers to) is registered with `after_commit()`.

Two deliveries running at once meet at the record's primary key: the second
to commit rolls back and counts as the duplicate.
"""
import logging

from peewee import IntegrityError

from collab.jobs import outbox_rows
from collab.jobs.models import JobEffect
from collab.transactions import writing

log = logging.getLogger('collab.tasks')


class _AlreadyCommitted(Exception):
    """Another delivery of this job committed while this one ran."""


class EffectScope:
    """What the running exactly-once job's transaction holds beyond its writes."""

    def __init__(self, huey):
        self.huey = huey
        self.callbacks = []
        self.accepted = []   # (task, the group it was enqueued in)

    def accept(self, task):
        outbox_rows.insert(self.huey.serialize_task(task), task.priority, recorded=True)
        self.accepted.append((task, self.huey.context.group_id))

    def committed(self):
        """The transaction has committed: report the jobs it accepted (linked to
        the running job and their group, as any enqueue is), then the callbacks."""
        context = self.huey.context
        for task, group_id in self.accepted:
            outer, context.group_id = context.group_id, group_id
            try:
                self.huey.report_stored(task)
            finally:
                context.group_id = outer
        if self.accepted and self.huey.effects.wake_outbox is not None:
            self.huey.effects.wake_outbox()
        for callback in self.callbacks:
            try:
                callback()
            except Exception:
                log.exception('after the commit of a job: %r failed', callback)


def install(huey):
    huey.effects = Effects(huey)


def after_commit(huey, callback):
    """Run `callback` once the running job's effect has committed (at once when no
    exactly-once job is running on this thread)."""
    scope = huey.context.effects
    if scope is None:
        callback()
    else:
        scope.callbacks.append(callback)


class Effects:
    def __init__(self, huey):
        self.huey = huey
        # Set by this process's outbox dispatcher when it starts; without one, the
        # jobs wait for another process's dispatcher (each looks every second).
        self.wake_outbox = None

    def check(self, task):
        """Mark `task` a duplicate delivery if its effect has committed."""
        recorded = self._recorded(task.id)
        if recorded is not None:
            self._duplicate(task, recorded)

    def run(self, task, body):
        """Run `body()` (the task's function) as `task`'s one effect; returns its result,
        or the recorded one when the effect has already committed."""
        if task.duplicate_delivery:
            return task.recorded_result
        context = self.huey.context
        outer, scope = context.effects, EffectScope(self.huey)
        context.effects = scope
        try:
            with writing():
                result = body()
                self._record(task.id, result)
        except _AlreadyCommitted:
            return self._duplicate(task, self._recorded(task.id))
        finally:
            context.effects = outer
        scope.committed()
        return result

    def _record(self, job_id, result):
        data = self.huey.serializer.serialize(result)
        try:
            # A savepoint: a failed insert rolls back alone (PostgreSQL aborts the
            # whole transaction otherwise), then the transaction as a whole.
            with writing():
                JobEffect.insert(job_id=job_id, result=data).execute()
        except IntegrityError:
            raise _AlreadyCommitted() from None

    @staticmethod
    def _recorded(job_id):
        """(result,) when the job's effect has committed, else None."""
        return (JobEffect.select(JobEffect.result).where(JobEffect.job_id == job_id)
                .tuples().first())

    def _duplicate(self, task, recorded):
        log.info('%s %s: its effect has already committed; acknowledged, not run again',
                 task.name, task.id)
        data = recorded[0]
        task.duplicate_delivery = True
        task.recorded_result = self.huey.serializer.deserialize(bytes(data)) if data else None
        return task.recorded_result
