"""Writing one batch of ledger events: folded per job, then one statement or two each.

Each statement is an upsert that only moves a job forward (collab.jobs.ledger.sql),
so events written by different processes may arrive in either order.
"""

import json

from collab.jobs.ledger import sql
from collab.jobs.ledger.events import (DeadLetterReceived, Duplicate, Finished, LogsEmitted,
                                       ProgressReported, Recovered, Run, Scheduled, Skipped, Stored,
                                       StoredRun)
from collab.jobs.ledger.rows import NO_LINKS, identity, naive, stored_params
from collab.fields import utcnow
from collab.jobs.models import DUPLICATE, FAILED, RETRYING, RUNNING, SUCCEEDED, DeadLetter


def write_batch(db, events):
    """Write `events` (no ClaimDone among them) in one transaction on `db`."""
    statements = sql.statements()
    with db.atomic():
        # The driver's cursor directly: this loop runs for every job event.
        cursor = db.cursor()
        logs = []
        for event in fold(events):
            if type(event) is LogsEmitted:
                logs.append(event)
            else:
                WRITERS[type(event)](cursor, statements, event)
        _write_logs(cursor, logs)


def fold(events):
    """The events, with each job's folded together where one write can do: a run's
    end into its start, and a run with its job's 'stored', in either order (a
    worker may report a run before the thread that stored the job reports that).
    A fast job then costs one row write, and no attempt row when it succeeded."""
    open_ = {}   # job id -> index in `folded` of its Stored or Run, open to folding
    folded = []
    for event in events:
        at = open_.get(event.job_id) if event.job_id is not None else None
        before = folded[at] if at is not None else None
        kind = type(event)
        if kind in ASIDE:   # written apart from the job's row: folding goes on past them
            folded.append(event)
        elif kind is Run and type(before) is Stored:
            folded[at] = StoredRun(before, event)
        elif kind is Stored and type(before) is Run:
            folded[at] = StoredRun(event, before)
        elif kind is Finished and type(before) in (Run, StoredRun) and _run_of(before).end is None:
            _run_of(before).end = event
        else:
            open_[event.job_id] = len(folded) if kind in (Stored, Run) else None
            folded.append(event)
    return folded


def _run_of(event):
    return event.run if type(event) is StoredRun else event


def _write_stored(cursor, statements, stored):
    cursor.execute(statements['stored'], stored_params(stored))


def _write_stored_run(cursor, statements, folded):
    """A job's 'stored' and its run (and the run's end, if known) as one insert."""
    stored, run = folded.stored, folded.run
    end = run.end
    cursor.execute(statements['stored_ran'], stored_params(stored, end.state if end else RUNNING) + [
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
                           identity(task, run.retries, run.started_at) + NO_LINKS
                           + [run.started_at, run.consumer])
    else:
        ran = [end.state, run.started_at, run.consumer, end.job_finished_at, end.duration_ms,
               end.error]
        cursor.execute(statements['ran'], ran + [task.id])
        if cursor.rowcount == 0:
            cursor.execute(statements['ran_new'],
                           identity(task, run.retries, run.started_at) + NO_LINKS + ran)
    _write_attempt(cursor, statements, run)


def _write_attempt(cursor, statements, run, first=False):
    """The run's attempt row; none for a first attempt that succeeded (most jobs):
    the job's own row already holds everything about it. `first`: known to be
    the job's first attempt (else the database is asked)."""
    end, job_id = run.end, run.task.id
    if end is None:
        cursor.execute(statements['attempt'], (job_id, run.started_at, run.consumer))
        return
    if end.state == SUCCEEDED and first and end.outcome != DUPLICATE:
        return
    params = (job_id, run.started_at, run.consumer, end.at, end.outcome, end.error,
              end.traceback)
    if end.state == SUCCEEDED and end.outcome != DUPLICATE:
        cursor.execute(statements['attempt_succeeded'], params + (job_id,))
    else:
        cursor.execute(statements['attempt_ran'], params)


def _write_end(cursor, statements, end):
    """The end of a run whose start was written in an earlier batch."""
    cursor.execute(statements['finished'], (end.state, end.job_finished_at, end.duration_ms,
                                            end.error, end.job_id))
    cursor.execute(statements['attempt_finished'], (end.at, end.outcome, end.error,
                                                    end.traceback, end.job_id))


def _write_scheduled(cursor, statements, event):
    task = event.task
    cursor.execute(statements['scheduled'], identity(task, event.retries, event.at) + NO_LINKS
                   + [naive(event.eta)])


def _write_skipped(cursor, statements, event):
    task = event.task
    cursor.execute(statements['skipped'], identity(task, event.retries, event.at) + NO_LINKS
                   + [event.state, event.at])


def _write_recovered(cursor, statements, event):
    state = FAILED if event.final else RETRYING
    cursor.execute(statements['recovered'], (state, event.reason,
                                             event.at if event.final else None, event.job_id))
    cursor.execute(statements['attempt_finished'], (event.at, 'interrupted', event.reason, None,
                                                    event.job_id))


def _write_duplicate(cursor, statements, event):
    cursor.execute(statements['first_attempt_kept'], (event.job_id, event.job_id))
    cursor.execute(statements['duplicate'], (event.at, event.job_id))
    cursor.execute(statements['attempt_ran'], (event.job_id, event.at, event.consumer, event.at,
                                               DUPLICATE, None, None))


def _write_dead_letter(cursor, statements, event):
    DeadLetter.create(data=event.data, error=event.error, source=event.source,
                      consumer=event.consumer)


def _write_logs(cursor, events):
    """The log records of the batch's attempts, a row each, in few statements."""
    rows = [(event.job_id, event.attempt.started_at, _records_json(records))
            for event in events if (records := event.take())]
    for start in range(0, len(rows), sql.LOG_ROWS_PER_INSERT):
        part = rows[start:start + sql.LOG_ROWS_PER_INSERT]
        cursor.execute(sql.log_rows_insert(len(part)), [value for row in part for value in row])


def _records_json(records):
    """An attempt's log records as stored: a JSON list of [at, level, logger, message],
    ASCII (a lone surrogate in a message stays storable)."""
    return _LOG_ENCODER.encode(records)


# Made once: json.dumps with any option builds an encoder per call.
_LOG_ENCODER = json.JSONEncoder(separators=(',', ':'), check_circular=False)


def _write_progress(cursor, statements, event):
    done, total, note = event.take()
    cursor.execute(statements['progress'], (event.job_id, done, total, note, utcnow()))


# Events about a job that leave its row alone.
ASIDE = (LogsEmitted, ProgressReported)

WRITERS = {
    Stored: _write_stored,
    StoredRun: _write_stored_run,
    Run: _write_run,
    Finished: _write_end,
    Scheduled: _write_scheduled,
    Skipped: _write_skipped,
    Recovered: _write_recovered,
    Duplicate: _write_duplicate,
    DeadLetterReceived: _write_dead_letter,
    ProgressReported: _write_progress,
}


def write_stored_now(db, events):
    """Record Stored events inside the caller's transaction on `db` (the outbox,
    while the queue is down), instead of through the writer."""
    cursor = db.cursor()
    statement = sql.statements()['stored']
    for event in events:
        cursor.execute(statement, stored_params(event))
