"""The ledger's SQL: upserts that only move a job forward.

Events about one job may come from different processes (the web process that
enqueued it, the consumer that ran it) in either order; each statement here
leaves the true state whatever the order.
"""
import functools

from collab.db import database

IDENTITY = ('job_id', 'task', 'args', 'message', 'max_attempts', 'enqueued_at',
            'parent_id', 'pipeline_id', 'group_id', 'group_kind')

# On conflict, a job stored again (a retry, or its store reported after its run):
# the new message, unless the row knows of runs made after it; links only where
# the row has none yet; and the earlier enqueue time (a run written first, by
# another process, put its start there).
# A message's max_attempts is its retries left + 1, so the row's first one minus it
# is how many runs came before that message. A first store reported after its run,
# its retry's schedule already recorded, must not bring the first message back:
# the schedule holds the retry's (run now finds a waiting job by it). Nor may the
# store of a job with a time, reported after a consumer put it in the schedule:
# the schedule's copy differs (the consumer gave the task its TASK_TIMEOUT).
MESSAGE_IS_NEWER = ("job.attempts <= job.max_attempts - excluded.max_attempts"
                    " AND NOT (job.state = 'scheduled' AND excluded.state = 'scheduled')")
RESTORED = f"""message = CASE WHEN {MESSAGE_IS_NEWER} THEN excluded.message ELSE job.message END,
            scheduled_for = CASE WHEN {MESSAGE_IS_NEWER} THEN excluded.scheduled_for
                                 ELSE job.scheduled_for END,
            enqueued_at = CASE WHEN excluded.enqueued_at < job.enqueued_at
                               THEN excluded.enqueued_at ELSE job.enqueued_at END,
            parent_id = COALESCE(job.parent_id, excluded.parent_id),
            pipeline_id = COALESCE(job.pipeline_id, excluded.pipeline_id),
            group_id = COALESCE(job.group_id, excluded.group_id),
            group_kind = COALESCE(job.group_kind, excluded.group_kind)"""

# Upserts. {p} is the driver's placeholder. On conflict, a job's state only
# moves forward: e.g. a late 'stored' never turns a running job back to queued.
SQL = {
    'stored': """
        INSERT INTO job ({identity}, state, scheduled_for)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p},
                COALESCE((SELECT j.pipeline_id FROM job j WHERE j.job_id = {p}), {p}),
                {p}, {p}, {p}, {p})
        ON CONFLICT (job_id) DO UPDATE SET
            {restored},
            state = CASE WHEN job.state = 'scheduled' AND excluded.state = 'queued'
                         THEN 'queued' ELSE job.state END""",
    'scheduled': """
        INSERT INTO job ({identity}, state, scheduled_for)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 'scheduled', {p})
        ON CONFLICT (job_id) DO UPDATE SET
            message = excluded.message, scheduled_for = excluded.scheduled_for,
            state = CASE WHEN job.state IN ('retrying', 'revoked') THEN job.state
                         ELSE 'scheduled' END""",
    # A run's start: the job row exists almost always (written when stored), so
    # the writer updates it and inserts (the *_new upserts) only when it is missing.
    'executing': """
        UPDATE job SET state = 'running', attempts = attempts + 1, started_at = {p},
                       consumer = {p}, finished_at = NULL, duration_ms = NULL
        WHERE job_id = {p}""",
    'executing_new': """
        INSERT INTO job ({identity}, state, attempts, started_at, consumer)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 'running', 1, {p}, {p})
        ON CONFLICT (job_id) DO UPDATE SET
            state = 'running', attempts = job.attempts + 1,
            started_at = excluded.started_at, consumer = excluded.consumer,
            finished_at = NULL, duration_ms = NULL""",
    # A run whose start and end fall in one batch (most fast jobs): 'executing'
    # then 'finished' folded into one row write.
    'ran': """
        UPDATE job SET state = {p}, attempts = attempts + 1, started_at = {p}, consumer = {p},
                       finished_at = {p}, duration_ms = {p}, error = COALESCE({p}, error)
        WHERE job_id = {p}""",
    'ran_new': """
        INSERT INTO job ({identity}, state, attempts, started_at, consumer,
                         finished_at, duration_ms, error)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 1, {p}, {p}, {p}, {p}, {p})
        ON CONFLICT (job_id) DO UPDATE SET
            state = excluded.state, attempts = job.attempts + 1,
            started_at = excluded.started_at, consumer = excluded.consumer,
            finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
            error = COALESCE(excluded.error, job.error)""",
    # A job stored and run within one batch (a queue that keeps up): one insert
    # for both ('stored' with the run's columns; on conflict, as 'stored' then 'ran_new').
    'stored_ran': """
        INSERT INTO job ({identity}, state, scheduled_for, attempts, started_at, consumer,
                         finished_at, duration_ms, error)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p},
                COALESCE((SELECT j.pipeline_id FROM job j WHERE j.job_id = {p}), {p}),
                {p}, {p}, {p}, {p}, 1, {p}, {p}, {p}, {p}, {p})
        ON CONFLICT (job_id) DO UPDATE SET
            {restored},
            state = excluded.state, attempts = job.attempts + 1,
            started_at = excluded.started_at, consumer = excluded.consumer,
            finished_at = excluded.finished_at, duration_ms = excluded.duration_ms,
            error = COALESCE(excluded.error, job.error)""",
    'attempt': """
        INSERT INTO jobattempt (job_id, started_at, consumer) VALUES ({p}, {p}, {p})""",
    'attempt_ran': """
        INSERT INTO jobattempt (job_id, started_at, consumer, finished_at, outcome, error,
                                traceback)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})""",
    # A run that succeeded: its attempt row only if the job had attempts before.
    # A first attempt that succeeded is the job's own row (see admin queries.attempts_of).
    'attempt_succeeded': """
        INSERT INTO jobattempt (job_id, started_at, consumer, finished_at, outcome, error,
                                traceback)
        SELECT {p}, {p}, {p}, {p}, {p}, {p}, {p}
        WHERE (SELECT j.attempts FROM job j WHERE j.job_id = {p}) > 1""",
    'skipped': """
        INSERT INTO job ({identity}, state, finished_at)
        VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})
        ON CONFLICT (job_id) DO UPDATE SET
            state = excluded.state, finished_at = excluded.finished_at""",
    'finished': """
        UPDATE job SET state = {p}, finished_at = {p}, duration_ms = {p},
                       error = COALESCE({p}, error)
        WHERE job_id = {p}""",
    'recovered': """
        UPDATE job SET state = {p}, error = {p}, finished_at = {p}, consumer = NULL
        WHERE job_id = {p}""",
    # A delivery of a job whose effect had committed (collab/jobs/effects.py). The
    # first attempt of a job that succeeded at once lives in the job's row: it
    # is kept as an attempt row first, so both show.
    'first_attempt_kept': """
        INSERT INTO jobattempt (job_id, started_at, consumer, finished_at, outcome)
        SELECT job_id, started_at, consumer, finished_at, 'succeeded' FROM job
        WHERE job_id = {p} AND state = 'succeeded' AND attempts = 1
          AND NOT EXISTS (SELECT 1 FROM jobattempt a WHERE a.job_id = {p})""",
    'duplicate': """
        UPDATE job SET attempts = attempts + 1, state = 'succeeded',
                       finished_at = CASE WHEN state = 'succeeded' THEN finished_at ELSE {p} END
        WHERE job_id = {p}""",
    'attempt_finished': """
        UPDATE jobattempt SET finished_at = {p}, outcome = {p}, error = {p}, traceback = {p}
        WHERE id = (SELECT MAX(a.id) FROM jobattempt a
                    WHERE a.job_id = {p} AND a.finished_at IS NULL)""",
    # A job's progress (collab/jobs/progress.py).
    'progress': """
        INSERT INTO jobprogress (job_id, done, total, note, updated_at)
        VALUES ({p}, {p}, {p}, {p}, {p})
        ON CONFLICT (job_id) DO UPDATE SET done = excluded.done, total = excluded.total,
            note = excluded.note, updated_at = excluded.updated_at""",
}


@functools.lru_cache(maxsize=4)
def _statements_for(param):
    identity = ', '.join(IDENTITY)
    return {name: sql.format(identity=identity, p=param, restored=RESTORED)
            for name, sql in SQL.items()}


def statements():
    """The statements with the bound database's placeholder."""
    return _statements_for(database.param)


# Rows of log records (collab/jobs/job_logs.py) per statement: 3 parameters each,
# within SQLite's smallest limit of 999 a statement.
LOG_ROWS_PER_INSERT = 300


def log_rows_insert(count):
    """An INSERT of `count` rows of log records: one statement for a batch's rows, not
    one a row (each statement's run lets go of the interpreter's lock and takes it back)."""
    return _log_rows_insert(count, database.param)


@functools.lru_cache(maxsize=64)
def _log_rows_insert(count, param):
    row = f'({param}, {param}, {param})'
    return ('INSERT INTO joblogchunk (job_id, attempt_started, records) VALUES '
            + ', '.join([row] * count))
