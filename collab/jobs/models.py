"""The job ledger's tables: written by tasks/ledger.py, read by the admin.

Huey keeps a queue, a schedule and results, not a history; these tables are
that history, in the app database so they survive restarts on any backend.
"""
from datetime import timedelta

from peewee import (SQL, AutoField, BlobField, BooleanField, CharField, DateTimeField,
                    FloatField, IntegerField, TextField)

from collab.fields import JSONText, iso, utcnow
from collab.models import BaseModel

QUEUED, SCHEDULED, RUNNING, RETRYING = 'queued', 'scheduled', 'running', 'retrying'
SUCCEEDED, FAILED, REVOKED, EXPIRED, INTERRUPTED = (
    'succeeded', 'failed', 'revoked', 'expired', 'interrupted')
# An ended job that an admin ran again as a new job (Job.retried_as): it has
# left the Failed tab; the new job carries on.
RETRIED = 'retried'
STATES = (QUEUED, SCHEDULED, RUNNING, RETRYING, SUCCEEDED, FAILED, REVOKED,
          EXPIRED, INTERRUPTED, RETRIED)
FINAL_STATES = (SUCCEEDED, FAILED, REVOKED, EXPIRED)
# The outcome of an attempt that found the job's effect already committed
# (collab/jobs/effects.py): acknowledged, not run.
DUPLICATE = 'duplicate'

HEARTBEAT_SECONDS = 5
CONSUMER_DEAD_AFTER = timedelta(seconds=HEARTBEAT_SECONDS * 4)


class Job(BaseModel):
    """One row per Huey task id; retries keep the row, periodic runs get new ones."""
    seq = AutoField()                      # insertion order: the pagination cursor
    job_id = CharField(max_length=64, unique=True)
    task = CharField(max_length=100)       # indexed with seq (Meta)
    args = JSONText(null=True)             # display copy, truncated: user data
    message = BlobField(null=True)         # the signed message, to run it again
    state = CharField(max_length=12)
    # Database-side defaults too: the ledger writes with raw upserts.
    attempts = IntegerField(default=0, constraints=[SQL('DEFAULT 0')])
    max_attempts = IntegerField(default=1, constraints=[SQL('DEFAULT 1')])
    enqueued_at = DateTimeField(default=utcnow)
    scheduled_for = DateTimeField(null=True)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    duration_ms = FloatField(null=True)
    error = TextField(null=True)
    parent_id = CharField(max_length=64, null=True)      # links: indexed where set (below)
    pipeline_id = CharField(max_length=64, null=True)
    group_id = CharField(max_length=64, null=True)
    group_kind = CharField(max_length=10, null=True)    # 'group' or 'chord'
    consumer = CharField(max_length=64, null=True)
    retried_as = CharField(max_length=64, null=True)    # the job an admin's retry made

    class Meta:
        indexes = (
            (('state', 'seq'), False),
            (('task', 'seq'), False),
            (('enqueued_at',), False),
        )

    def to_dict(self):
        return {
            'id': self.job_id, 'task': self.task, 'state': self.state,
            'args': (self.args or {}).get('args', []),
            'kwargs': (self.args or {}).get('kwargs', {}),
            'attempts': self.attempts, 'max_attempts': self.max_attempts,
            'enqueued_at': iso(self.enqueued_at), 'scheduled_for': iso(self.scheduled_for),
            'started_at': iso(self.started_at), 'finished_at': iso(self.finished_at),
            'duration_ms': self.duration_ms, 'error': self.error,
            'parent_id': self.parent_id, 'pipeline_id': self.pipeline_id,
            'group_id': self.group_id, 'group_kind': self.group_kind,
            'consumer': self.consumer, 'retried_as': self.retried_as,
        }


# Each index costs every ledger write. Few jobs have links, so their indexes
# leave out the rows without one. The stats page counts finished jobs per
# window from (finished_at, state) alone.
Job.add_index(Job.index(Job.finished_at, Job.state, name='job_finished_state'))
Job.add_index(Job.index(Job.parent_id, where=Job.parent_id.is_null(False), name='job_parent_set'))
Job.add_index(Job.index(Job.pipeline_id, where=Job.pipeline_id.is_null(False),
                        name='job_pipeline_set'))
Job.add_index(Job.index(Job.group_id, where=Job.group_id.is_null(False), name='job_group_set'))
# The search over error text walks only the jobs that have one, newest first
# (on SQLite an index that holds the text too replaces it: collab.schema).
Job.add_index(Job.index(Job.seq, where=Job.error.is_null(False), name='job_error_set'))


class JobAttempt(BaseModel):
    """One row per execution of a job, with its error and traceback."""
    id = AutoField()
    job_id = CharField(max_length=64, index=True)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    outcome = CharField(max_length=12, null=True)
    error = TextField(null=True)
    traceback = TextField(null=True)
    consumer = CharField(max_length=64, null=True)

    def to_dict(self, n):
        return {'n': n, 'started_at': iso(self.started_at), 'finished_at': iso(self.finished_at),
                'outcome': self.outcome, 'error': self.error, 'traceback': self.traceback,
                'consumer': self.consumer}


class ConsumerProcess(BaseModel):
    """A consumer process and its heartbeat: how /healthz counts live consumers."""
    id = CharField(max_length=64, primary_key=True)
    hostname = CharField(max_length=255)
    pid = IntegerField()
    workers = IntegerField()
    backend = CharField(max_length=10)
    started_at = DateTimeField(default=utcnow)
    last_heartbeat = DateTimeField(default=utcnow, index=True)
    stopped_at = DateTimeField(null=True)

    def to_dict(self, alive):
        return {'id': self.id, 'hostname': self.hostname, 'pid': self.pid,
                'workers': self.workers, 'backend': self.backend,
                'started_at': iso(self.started_at), 'last_heartbeat': iso(self.last_heartbeat),
                'stopped_at': iso(self.stopped_at), 'alive': alive}


def live_consumers():
    """Consumer processes whose heartbeat is recent and that have not stopped."""
    return ConsumerProcess.select().where(
        (ConsumerProcess.last_heartbeat >= utcnow() - CONSUMER_DEAD_AFTER)
        & ConsumerProcess.stopped_at.is_null())


class DeadLetter(BaseModel):
    """A queue message that was refused (bad signature, unreadable, unknown task)."""
    id = AutoField()
    received_at = DateTimeField(default=utcnow, index=True)
    source = CharField(max_length=20)
    error = TextField()
    data = BlobField()
    consumer = CharField(max_length=64, null=True)

    def to_dict(self):
        return {'id': self.id, 'received_at': iso(self.received_at), 'source': self.source,
                'error': self.error, 'size': len(self.data or b''),
                'preview': bytes(self.data[:200]).hex() if self.data else '',
                'consumer': self.consumer}


class OutboxMessage(BaseModel):
    """A job accepted in the same transaction as the change that caused it,
    waiting for the dispatcher to move it to the queue (so a broker outage loses nothing)."""
    id = AutoField()
    data = BlobField()
    priority = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    # The job's ledger row was written while it waited (the queue was down).
    recorded = BooleanField(default=False, constraints=[SQL('DEFAULT FALSE')])


class JobEffect(BaseModel):
    """A job whose effect has committed: written in the same transaction as the
    job's own writes (collab/jobs/effects.py), so a redelivery of the job is
    acknowledged instead of run again. `result` is the signed return value, for
    the pipeline or chord that waits on it."""
    job_id = CharField(max_length=64, primary_key=True)
    committed_at = DateTimeField(default=utcnow, index=True)
    result = BlobField(null=True)



class JobLogChunk(BaseModel):
    """Log records one attempt emitted (collab/jobs/job_logs.py), as the ledger
    writer found them in one batch: a JSON list of [at, level, logger, message].
    An attempt is known by its start (the attempt row's, or the job's for a
    first attempt that has no row)."""
    id = AutoField()
    job_id = CharField(max_length=64, index=True)
    attempt_started = DateTimeField()
    records = TextField()


class JobProgress(BaseModel):
    """The latest progress a job reported (collab/jobs/progress.py)."""
    job_id = CharField(max_length=64, primary_key=True)
    done = FloatField()
    total = FloatField(null=True)
    note = TextField(null=True)
    updated_at = DateTimeField(default=utcnow)

    def to_dict(self):
        return {'done': _number(self.done), 'total': _number(self.total), 'note': self.note}


def _number(value):
    """Whole numbers as ints: 3 of 10, not 3.0 of 10.0."""
    return int(value) if value is not None and float(value).is_integer() else value


JOB_MODELS = [Job, JobAttempt, ConsumerProcess, DeadLetter, OutboxMessage, JobEffect,
              JobLogChunk, JobProgress]
