"""The job ledger: every job's life, from storage to its end, fed by Huey's signals.

Signal receivers run inside the task's thread, so they only build a small
event and hand it to a writer thread; the writer applies events in batches,
one transaction each. A ledger failure is logged and never reaches the task.

Each event is an upsert that only moves a job forward: events written by
different processes (the web process that enqueued, the consumer that ran it)
may arrive in either order and still leave the true state.
"""
import json
import logging
import queue
import threading
import time
import traceback
from datetime import timezone

from huey import signals as S

from collab.db import database
from collab.fields import utcnow
from collab.jobs.models import (EXPIRED, FAILED, INTERRUPTED, QUEUED, RETRYING,
                               REVOKED, RUNNING, SCHEDULED, SUCCEEDED, DeadLetter)
from collab.jobs import dashboard_events, ledger_sql
from collab.jobs.engine import SIGNAL_DEAD_LETTER, SIGNAL_STORED, huey, task_name

log = logging.getLogger('collab.ledger')

ARGS_LIMIT = 2000
ERROR_LIMIT = 2000
TRACEBACK_LIMIT = 20_000
BATCH_SIZE = 2000
# After the first event of a batch, the writer waits this long for more: one
# transaction (and one claim ack) then covers many jobs, and a fast job's start
# and end usually share a batch, where they fold into one write. Longer batches
# also write fewer pages per job (at 10 ms the writer used twice the CPU per job).
LINGER_SECONDS = 0.05

# ---------------------------------------------------------------- the writer

class LedgerWriter:
    """A daemon thread that writes queued events in batches, one transaction each."""

    def __init__(self):
        self._events = queue.SimpleQueue()
        self._thread = None
        self._lock = threading.Lock()

    def put(self, event):
        self._ensure_running()
        self._events.put(event)

    def flush(self, timeout=10.0):
        """Block until every event put so far is written (or the timeout passes)."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._events.put(done)
        return done.wait(timeout)

    def _ensure_running(self):
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name='ledger-writer',
                                                daemon=True)
                self._thread.start()

    def release_claim(self, token, revoke_key=None):
        """Ack a finished task's claim (and delete its revoke flag) once the batch
        holding its record is committed: a consumer killed before that leaves the
        claim, and the job is recovered."""
        self.put(('ack', (token, revoke_key)))

    def _run(self):
        while True:
            batch, waiters = self._next_batch()
            events = [item for item in batch if item[0] != 'ack']
            if events:
                self._write(events)
                dashboard_events.notifier.changed()   # open dashboards refresh
            acks = [ack for name, ack in batch if name == 'ack']
            if acks:
                _ack(acks)
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

    def _write(self, batch):
        for attempt in (1, 2, 3):
            try:
                self._apply(batch)
                return
            except Exception:
                _close_quietly()
                if attempt == 3:
                    log.exception('ledger: dropped %d events after 3 failed writes', len(batch))
                else:
                    time.sleep(0.2 * attempt)

    def _apply(self, batch):
        statements = ledger_sql.statements()
        db = database.obj   # the whole batch on one database (see collab.transactions)
        db.connect(reuse_if_open=True)
        with db.atomic():
            # The driver's cursor directly: this loop runs for every job event.
            cursor = db.cursor()
            for name, event in _fold_runs(batch):
                if name == 'executing':
                    _write_run(cursor, statements, event)
                elif name == 'stored_run':
                    _write_stored_run(cursor, statements, *event)
                elif name == 'finished':
                    _write_end(cursor, statements, event)
                elif name == 'stored':
                    cursor.execute(statements['stored'], event.params())
                elif name == 'dead_letter':
                    DeadLetter.create(**event)
                else:
                    cursor.execute(statements[name], event)


def _fold_runs(batch):
    """The batch, with each job's events folded together where one write can do:
    a run's end into its start, and a run with its job's 'stored', in either order
    (a worker may report a run before the thread that stored the job reports that).
    A fast job then costs one row write, and no attempt row when it succeeded."""
    open_ = {}   # job id -> index in `folded` of its stored event or run, open to folding
    folded = []
    for name, event in batch:
        job_id = _job_of(name, event)
        at = open_.get(job_id)
        before = folded[at][0] if at is not None else None
        if name == 'executing' and before == 'stored':
            folded[at] = ('stored_run', (folded[at][1], event))
        elif name == 'stored' and before == 'executing':
            folded[at] = ('stored_run', (event, folded[at][1]))
        elif (name == 'finished' and before in ('executing', 'stored_run')
              and _run_of(folded[at]).end is None):
            _run_of(folded[at]).end = event
        else:
            open_[job_id] = len(folded) if name in ('stored', 'executing') else None
            folded.append((name, event))
    return folded


def _job_of(name, event):
    if name in ('stored', 'executing'):
        return event.task.id
    if name == 'finished':
        return event.job_id
    if name in ('scheduled', 'skipped'):
        return event[0]
    if name in ('recovered', 'attempt_finished'):
        return event[-1]
    return None   # a dead letter: no job


def _run_of(entry):
    name, event = entry
    return event[1] if name == 'stored_run' else event


def _write_stored_run(cursor, statements, stored, run):
    """A job's 'stored' and its run (and the run's end, if known) as one insert."""
    end = run.end
    cursor.execute(statements['stored_ran'], stored.params(end.state if end else RUNNING) + [
        run.started_at, run.consumer, end.job_finished_at if end else None,
        end.duration_ms if end else None, end.error if end else None])
    _write_attempt(cursor, statements, run, first=not stored.again)


def _write_run(cursor, statements, run):
    """A run's start (the job is running) or, when its end is known, the whole run."""
    task, end = run.task, run.end
    if end is None:
        cursor.execute(statements['executing'], (run.started_at, run.consumer, task.id))
        if cursor.rowcount == 0:
            cursor.execute(statements['executing_new'],
                           _identity(task, run.retries, run.started_at) + _no_links()
                           + [run.started_at, run.consumer])
    else:
        ran = [end.state, run.started_at, run.consumer, end.job_finished_at, end.duration_ms,
               end.error]
        cursor.execute(statements['ran'], ran + [task.id])
        if cursor.rowcount == 0:
            cursor.execute(statements['ran_new'],
                           _identity(task, run.retries, run.started_at) + _no_links() + ran)
    _write_attempt(cursor, statements, run)


def _write_attempt(cursor, statements, run, first=False):
    """The run's attempt row; none for a first attempt that succeeded (most jobs):
    the job's own row already holds everything about it. `first`: known to be
    the job's first attempt (else the database is asked)."""
    end, job_id = run.end, run.task.id
    if end is None:
        cursor.execute(statements['attempt'], (job_id, run.started_at, run.consumer))
        return
    if end.state == SUCCEEDED and first:
        return
    params = (job_id, run.started_at, run.consumer, end.at, end.outcome, end.error,
              end.traceback)
    if end.state == SUCCEEDED:
        cursor.execute(statements['attempt_succeeded'], params + (job_id,))
    else:
        cursor.execute(statements['attempt_ran'], params)


def _write_end(cursor, statements, end):
    """The end of a run whose start was written in an earlier batch."""
    cursor.execute(statements['finished'], (end.state, end.job_finished_at, end.duration_ms,
                                            end.error, end.job_id))
    cursor.execute(statements['attempt_finished'], (end.at, end.outcome, end.error,
                                                    end.traceback, end.job_id))


def _ack(acks):
    tokens = [token for token, _ in acks]
    flags = [key for _, key in acks if key is not None]
    try:
        huey.storage.ack_many(tokens, flags)
    except Exception:
        log.exception('ledger: could not release %d claims; those jobs may run again', len(tokens))


def _close_quietly():
    try:
        database.close()
    except Exception:
        pass


writer = LedgerWriter()
huey.release_claim = writer.release_claim


# Stages that hand jobs to the writer later (the outbox's dispatcher): flush() waits
# for each first, so that it covers every job this process accepted so far.
upstream = []


def flush(timeout=10.0):
    """Block until every job event so far is written (or the timeout passes)."""
    stages_done = all([stage(timeout) for stage in upstream])
    return writer.flush(timeout) and stages_done


# ---------------------------------------------------------------- events

# One encoder for every job: json.dumps with options builds a new one per call.
_COMPACT_JSON = json.JSONEncoder(separators=(',', ':'))


def _display_args(task):
    """A JSON-safe, truncated copy of the arguments for people to read."""
    data = {'args': _json_safe(task.args)}
    if task.kwargs:
        data['kwargs'] = _json_safe(task.kwargs)
    text = _COMPACT_JSON.encode(data)
    if len(text) > ARGS_LIMIT:
        text = json.dumps({'args': [text[:ARGS_LIMIT] + '…'], 'truncated': True})
    return text


def _json_safe(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return repr(value)


def _links(task, current, context_group_id):
    """(parent_id, pipeline_parent, pipeline_id, group_id, group_kind) for a job being
    stored by `current` (the task running then in that thread, if any)."""
    parent = current.id if current is not None and current.id != task.id else None
    pipeline_parent = parent if current is not None and current.on_complete is task else None
    pipeline_id = task.id if task.on_complete is not None else None
    group_id, group_kind = None, None
    chord_config = _chord_config(task)
    if chord_config is not None:
        group_id, group_kind = chord_config.cid, 'chord'
    elif current is not None and _is_chord_callback(current, task):
        group_id, group_kind = _chord_config(current).cid, 'chord'
    elif context_group_id:
        group_id, group_kind = context_group_id, 'group'
    return parent, pipeline_parent, pipeline_id, group_id, group_kind


def _chord_config(task):
    while task is not None:
        if task.chord_config is not None:
            return task.chord_config
        task = task.on_complete
    return None


def _is_chord_callback(current, task):
    config = current.chord_config
    return config is not None and config.callback is task


def _identity(task, retries, now):
    message = getattr(task, 'signed_message', None)
    return [task.id, task_name(task), _display_args(task), message, (retries or 0) + 1, now]


class Stored:
    """A job put in the queue, as the writer gets it: what the storing thread knew
    then. The row's values are built by the writer (`params`), off that thread."""
    __slots__ = ('task', 'at', 'retries', 'eta', 'current', 'group_id')

    def __init__(self, task):
        self.at = getattr(task, 'enqueued_at', None) or utcnow()
        self.task, self.retries, self.eta = task, task.retries, task.eta
        self.current, self.group_id = huey.context.current, huey.context.group_id

    @property
    def again(self):
        """A running task storing itself is a retry: not the job's first attempt."""
        return self.current is self.task

    def params(self, state=None):
        """The 'stored' statement's parameters; `state` instead of queued or scheduled
        (the first parameters of 'stored_ran' too)."""
        task, now = self.task, self.at
        parent, pipeline_parent, pipeline_id, group_id, group_kind = _links(
            task, self.current, self.group_id)
        eta = _naive(self.eta)
        state = state or (SCHEDULED if eta is not None and eta > now else QUEUED)
        # pipeline_id: a later stage inherits its parent's pipeline (or the parent is the head).
        return _identity(task, self.retries, now) + [
            parent, pipeline_parent, pipeline_parent or pipeline_id, group_id, group_kind,
            state, eta]


def _on_stored(signal, task):
    writer.put(('stored', Stored(task)))


def record_stored_now(tasks):
    """Record jobs as queued inside the caller's transaction (the outbox, while the
    queue is down), instead of through the writer."""
    cursor = database.cursor()
    for task in tasks:
        cursor.execute(ledger_sql.statements()['stored'], Stored(task).params())


def _no_links():
    return [None, None, None, None]


def _on_scheduled(signal, task):
    now = utcnow()
    writer.put(('scheduled',
                _identity(task, task.retries, now) + _no_links() + [_naive(task.eta)]))


class Run:
    """One execution of a job, as the writer gets it: its start, and its end once
    the writer finds that in the same batch. The job's identity (name, display
    arguments) is built by the writer, and only if the job has no row yet."""
    __slots__ = ('task', 'retries', 'started_at', 'consumer', 'end')

    def __init__(self, task, started_at, consumer):
        self.task = task
        self.retries = task.retries   # read now: a retry lowers it later
        self.started_at = started_at
        self.consumer = consumer
        self.end = None


class End:
    """How a run ended: the job's new state and the attempt's outcome."""
    __slots__ = ('job_id', 'state', 'at', 'final', 'duration_ms', 'outcome', 'error',
                 'traceback')

    def __init__(self, job_id, state, at, duration_ms, outcome, error, traceback):
        self.job_id, self.state, self.at = job_id, state, at
        self.final = state in (SUCCEEDED, FAILED, REVOKED, INTERRUPTED)
        self.duration_ms, self.outcome = duration_ms, outcome
        self.error, self.traceback = error, traceback

    @property
    def job_finished_at(self):
        # A job that will be retried has not finished; its attempt has.
        return self.at if self.final else None


def _on_executing(signal, task):
    task.ledger_started = time.monotonic()
    writer.put(('executing', Run(task, utcnow(), consumer_id())))


def _on_complete(signal, task):
    _finish(task, SUCCEEDED, 'succeeded')


def _on_failure(signal, task, exc=None):
    error, tb = _describe(signal, exc)
    final = not task.retries
    state = FAILED if final else RETRYING
    if signal == S.SIGNAL_CANCELED and final:
        state = REVOKED
    _finish(task, state, signal if signal != S.SIGNAL_ERROR else 'error', error, tb)


def _on_interrupted(signal, task):
    _finish(task, INTERRUPTED, 'interrupted', 'interrupted: the consumer stopped mid-run')


def _on_skipped(signal, task):
    state = REVOKED if signal == S.SIGNAL_REVOKED else EXPIRED
    now = utcnow()
    writer.put(('skipped', _identity(task, task.retries, now) + _no_links() + [state, now]))


def _on_dead_letter(signal, task, data, error, source):
    writer.put(('dead_letter', {'data': bytes(data or b''), 'error': error[:ERROR_LIMIT],
                                'source': source, 'consumer': consumer_id()}))


def _finish(task, state, outcome, error=None, tb=None):
    now = utcnow()
    started = getattr(task, 'ledger_started', None)
    duration = round((time.monotonic() - started) * 1000, 3) if started else None
    writer.put(('finished', End(task.id, state, now, duration, outcome, error, tb)))


def record_recovery(task, reason, final):
    """A job whose consumer died: its open attempt was interrupted; it is retried or failed."""
    now = utcnow()
    writer.put(('recovered', [FAILED if final else RETRYING, reason,
                              now if final else None, task.id]))
    writer.put(('attempt_finished', [now, 'interrupted', reason, None, task.id]))


def _describe(signal, exc):
    if exc is None:
        return {S.SIGNAL_TIMEOUT: 'timed out', S.SIGNAL_LOCKED: 'lock was held',
                S.SIGNAL_RATE_LIMITED: 'rate limited', S.SIGNAL_CANCELED: 'canceled'
                }.get(signal, signal), None
    error = f'{type(exc).__name__}: {exc}'[:ERROR_LIMIT]
    tb = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return error, tb[-TRACEBACK_LIMIT:]


def _naive(moment):
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


# The consumer process id (set by collab.jobs.runner when a consumer starts here).
_consumer = {'id': None}


def consumer_id():
    return _consumer['id']


def set_consumer_id(value):
    _consumer['id'] = value


_RECEIVERS = {
    _on_stored: (SIGNAL_STORED,),
    _on_scheduled: (S.SIGNAL_SCHEDULED,),
    _on_executing: (S.SIGNAL_EXECUTING,),
    _on_complete: (S.SIGNAL_COMPLETE,),
    _on_failure: (S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_LOCKED,
                  S.SIGNAL_RATE_LIMITED, S.SIGNAL_CANCELED),
    _on_interrupted: (S.SIGNAL_INTERRUPTED,),
    _on_skipped: (S.SIGNAL_REVOKED, S.SIGNAL_EXPIRED),
    _on_dead_letter: (SIGNAL_DEAD_LETTER,),
}
for _receiver, _signals in _RECEIVERS.items():
    huey.signal(*_signals)(_receiver)
