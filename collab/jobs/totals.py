"""Cumulative job totals for /metrics: finishes per task and state, and
histograms of run time and queue wait per task.

Prometheus counters must never go down, while pruning deletes old job rows, so
these are not counted from the job table: database triggers on `job` record
each move into a final state (whoever writes it: the ledger's batch, an admin
action) in the same transaction, as a delta row that is later added to the
totals. Nothing ever subtracts, so the totals survive pruning, deletes and
restarts, and every process reads the same numbers.

Queue wait is the run's start minus when the job became due: its enqueue
time, or its scheduled time (a delayed job, a retry with a delay) if later.
"""
from peewee import AutoField, CharField, CompositeKey, FloatField, IntegerField

from collab.db import create_missing, database, is_sqlite
from collab.jobs.models import FINAL_STATES
from collab.models import BaseModel
from collab.transactions import writing

DURATION = 'duration'
QUEUE_WAIT = 'queue_wait'
# Upper bounds (seconds) of each histogram's buckets; the last bucket is +Inf.
# Stored rows keep bucket indexes: changing a bound means clearing jobobservation.
BUCKETS = {
    DURATION: (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    QUEUE_WAIT: (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600),
}
# PostgreSQL advisory lock key held while deltas are folded (one fold at a time).
FOLD_LOCK = 0x636f6d74


class JobTotal(BaseModel):
    """How many times jobs of a task reached a final state."""
    task = CharField(max_length=100)
    state = CharField(max_length=12)
    n = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey('task', 'state')


class JobObservation(BaseModel):
    """One histogram bucket of a task (not cumulative: the observations that fell
    in it), with the sum of those observations in seconds."""
    task = CharField(max_length=100)
    metric = CharField(max_length=12)
    bucket = IntegerField()   # index into BUCKETS[metric]; len() is +Inf
    n = IntegerField(default=0)
    total = FloatField(default=0)

    class Meta:
        primary_key = CompositeKey('task', 'metric', 'bucket')


class JobTotalDelta(BaseModel):
    """One finish appended by the trigger, folded into the totals later: one
    plain insert per finished job in the ledger's transaction, and ledger
    writers in several processes never wait on each other's locks on the
    total rows (as in collab.jobs.counts)."""
    id = AutoField()
    task = CharField(max_length=100)
    state = CharField(max_length=12)
    duration_s = FloatField(null=True)
    wait_s = FloatField(null=True)


TOTAL_MODELS = [JobTotal, JobObservation, JobTotalDelta]

_FINAL = ', '.join(f"'{state}'" for state in FINAL_STATES)


def bucket_case(value, metric):
    """SQL for the bucket index of `value` (an SQL expression) in BUCKETS[metric]."""
    bounds = BUCKETS[metric]
    whens = ' '.join(f'WHEN {value} <= {bound} THEN {i}' for i, bound in enumerate(bounds))
    return f'CASE {whens} ELSE {len(bounds)} END'


_SQLITE_WAIT = ('MAX(0, (julianday(NEW.started_at) - julianday(MAX(NEW.enqueued_at, '
                'COALESCE(NEW.scheduled_for, NEW.enqueued_at)))) * 86400.0)')
_SQLITE_BODY = f"""BEGIN
        INSERT INTO jobtotaldelta (task, state, duration_s, wait_s) VALUES (
            NEW.task, NEW.state, NEW.duration_ms / 1000.0,
            CASE WHEN NEW.started_at IS NOT NULL THEN {_SQLITE_WAIT} END);
    END"""

SQLITE_TRIGGERS = {
    'job_total_insert': f"""
        CREATE TRIGGER job_total_insert AFTER INSERT ON job
        WHEN NEW.state IN ({_FINAL}) {_SQLITE_BODY}""",
    'job_total_update': f"""
        CREATE TRIGGER job_total_update AFTER UPDATE OF state ON job
        WHEN NEW.state IN ({_FINAL}) AND OLD.state IS NOT NEW.state {_SQLITE_BODY}""",
}

POSTGRES_FUNCTION = """
    CREATE OR REPLACE FUNCTION job_total_change() RETURNS trigger AS $$
    BEGIN
        INSERT INTO jobtotaldelta (task, state, duration_s, wait_s) VALUES (
            NEW.task, NEW.state, NEW.duration_ms / 1000.0,
            -- GREATEST skips NULLs: a job that never started has no wait.
            CASE WHEN NEW.started_at IS NOT NULL THEN
                GREATEST(0, EXTRACT(EPOCH FROM NEW.started_at - GREATEST(
                    NEW.enqueued_at, COALESCE(NEW.scheduled_for, NEW.enqueued_at))))
            END);
        RETURN NULL;
    END $$ LANGUAGE plpgsql"""

POSTGRES_TRIGGERS = {
    'job_total_insert': f'AFTER INSERT ON job FOR EACH ROW WHEN (NEW.state IN ({_FINAL}))',
    'job_total_update': f'AFTER UPDATE OF state ON job FOR EACH ROW WHEN '
                        f'(NEW.state IN ({_FINAL}) AND OLD.state IS DISTINCT FROM NEW.state)',
}


# Adding deltas (read from `source`) to the totals. "WHERE true": SQLite would
# read the ON of ON CONFLICT as a join's.
def _add_finishes(source):
    return f"""
        INSERT INTO jobtotal (task, state, n)
        SELECT task, state, COUNT(*) FROM {source} WHERE true GROUP BY task, state
        ORDER BY task, state
        ON CONFLICT (task, state) DO UPDATE SET n = jobtotal.n + excluded.n"""


def _add_observations(source, metric, column):
    return f"""
        INSERT INTO jobobservation (task, metric, bucket, n, total)
        SELECT task, '{metric}', {bucket_case(column, metric)} AS bucket, COUNT(*), SUM({column})
        FROM {source} WHERE {column} IS NOT NULL GROUP BY task, bucket ORDER BY task, bucket
        ON CONFLICT (task, metric, bucket) DO UPDATE SET
            n = jobobservation.n + excluded.n, total = jobobservation.total + excluded.total"""


# PostgreSQL: one statement, so the deltas taken are exactly the deltas added
# (each statement of a READ COMMITTED transaction sees other commits).
POSTGRES_FOLD = f"""
    WITH moved AS (DELETE FROM jobtotaldelta RETURNING task, state, duration_s, wait_s),
    durations AS ({_add_observations('moved', DURATION, 'duration_s')}),
    waits AS ({_add_observations('moved', QUEUE_WAIT, 'wait_s')})
    {_add_finishes('moved')}"""

# SQLite: in one write transaction (no other writer meanwhile), then emptied.
SQLITE_FOLD = [_add_finishes('jobtotaldelta'),
               _add_observations('jobtotaldelta', DURATION, 'duration_s'),
               _add_observations('jobtotaldelta', QUEUE_WAIT, 'wait_s'),
               'DELETE FROM jobtotaldelta']


def install():
    """Create the tables and triggers if missing (collab.schema calls it). The
    totals count from then on: jobs finished before are not in them."""
    with database.atomic():
        create_missing(TOTAL_MODELS)
        missing = _missing_triggers()
        if not missing:
            return
        if is_sqlite():
            for name in missing:
                database.execute_sql(SQLITE_TRIGGERS[name])
            return
        database.execute_sql(POSTGRES_FUNCTION)
        for name in missing:
            database.execute_sql(f'CREATE TRIGGER {name} {POSTGRES_TRIGGERS[name]} '
                                 'EXECUTE FUNCTION job_total_change()')


def _missing_triggers():
    if is_sqlite():
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = ('SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid '
               "WHERE c.relname = 'job' AND pg_table_is_visible(c.oid)")
    present = {row[0] for row in database.execute_sql(sql).fetchall()}
    return [name for name in SQLITE_TRIGGERS if name not in present]


def fold_deltas():
    """Add the finishes recorded since the last fold to the totals. Read paths
    call it, and every process's background checker (collab.jobs.queue_alerts),
    so the delta table stays small even when nobody scrapes."""
    if is_sqlite():
        if database.execute_sql('SELECT 1 FROM jobtotaldelta LIMIT 1').fetchone() is None:
            return   # no write lock for nothing
        with writing():
            for statement in SQLITE_FOLD:
                database.execute_sql(statement)
        return
    with database.atomic():
        database.execute_sql('SELECT pg_advisory_xact_lock(%s)', (FOLD_LOCK,))
        database.execute_sql(POSTGRES_FOLD)


def finish_totals():
    """{(task, state): times a job of `task` reached final `state`}."""
    fold_deltas()
    return {(task, state): n for task, state, n in JobTotal.select().tuples()}


def histograms():
    """{metric: {task: ([n per bucket, +Inf last], sum of seconds)}}, not cumulative."""
    fold_deltas()
    found = {metric: {} for metric in BUCKETS}
    for task, metric, bucket, n, total in JobObservation.select().tuples():
        if metric not in found:
            continue
        size = len(BUCKETS[metric]) + 1
        counts, seconds = found[metric].get(task, ([0] * size, 0.0))
        counts[min(bucket, size - 1)] += n
        found[metric][task] = (counts, seconds + total)
    return found
