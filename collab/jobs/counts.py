"""Job counts per task and state without counting the job table.

`install()` creates the count tables and database triggers on `job`; from
then on the counts change in the same transaction as the job rows, whoever
writes them (the ledger, pruning, the admin's delete). The first install on a
database that already has jobs counts them once.
"""
from peewee import AutoField, CharField, CompositeKey, IntegerField, fn

from collab.models import BaseModel
from collab.db import create_missing, database, is_sqlite


class JobStateCount(BaseModel):
    """How many job rows a task has in a state."""
    task = CharField(max_length=100)
    state = CharField(max_length=12)
    n = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey('task', 'state')


class JobStateDelta(BaseModel):
    """PostgreSQL only: count changes appended by the triggers, folded into
    JobStateCount when read. Appending never waits on a row lock, so ledger
    writers in several processes cannot deadlock on the counts."""
    id = AutoField()
    task = CharField(max_length=100)
    state = CharField(max_length=12)
    n = IntegerField()


COUNT_MODELS = [JobStateCount, JobStateDelta]


SQLITE_TRIGGERS = {
    'job_count_insert': """
        CREATE TRIGGER job_count_insert AFTER INSERT ON job BEGIN
            INSERT INTO jobstatecount (task, state, n) VALUES (NEW.task, NEW.state, 1)
            ON CONFLICT (task, state) DO UPDATE SET n = n + 1;
        END""",
    'job_count_update': """
        CREATE TRIGGER job_count_update AFTER UPDATE OF state, task ON job
        WHEN OLD.state IS NOT NEW.state OR OLD.task IS NOT NEW.task BEGIN
            UPDATE jobstatecount SET n = n - 1 WHERE task = OLD.task AND state = OLD.state;
            INSERT INTO jobstatecount (task, state, n) VALUES (NEW.task, NEW.state, 1)
            ON CONFLICT (task, state) DO UPDATE SET n = n + 1;
        END""",
    'job_count_delete': """
        CREATE TRIGGER job_count_delete AFTER DELETE ON job BEGIN
            UPDATE jobstatecount SET n = n - 1 WHERE task = OLD.task AND state = OLD.state;
        END""",
}

POSTGRES_FUNCTION = """
    CREATE OR REPLACE FUNCTION job_count_change() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            INSERT INTO jobstatedelta (task, state, n) VALUES (OLD.task, OLD.state, -1);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO jobstatedelta (task, state, n) VALUES (NEW.task, NEW.state, 1);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql"""

POSTGRES_TRIGGERS = {
    'job_count_insert': 'AFTER INSERT ON job',
    'job_count_update': 'AFTER UPDATE OF state, task ON job FOR EACH ROW WHEN '
                        '(OLD.state IS DISTINCT FROM NEW.state OR OLD.task IS DISTINCT FROM NEW.task)',
    'job_count_delete': 'AFTER DELETE ON job',
}

FOLD_DELTAS = """
    WITH moved AS (DELETE FROM jobstatedelta RETURNING task, state, n)
    INSERT INTO jobstatecount (task, state, n)
    SELECT task, state, SUM(n) FROM moved GROUP BY task, state ORDER BY task, state
    ON CONFLICT (task, state) DO UPDATE SET n = jobstatecount.n + excluded.n"""


def install():
    """Create the count tables and triggers if missing (collab.schema calls it)."""
    with database.atomic():
        create_missing(COUNT_MODELS)
        missing = _missing_triggers()
        if not missing:
            return
        if is_sqlite():
            for name in missing:
                database.execute_sql(SQLITE_TRIGGERS[name])
        else:
            database.execute_sql(POSTGRES_FUNCTION)
            for name in missing:
                spec = POSTGRES_TRIGGERS[name]
                each_row = '' if 'FOR EACH ROW' in spec else ' FOR EACH ROW'
                database.execute_sql(f'CREATE TRIGGER {name} {spec}{each_row} '
                                     'EXECUTE FUNCTION job_count_change()')
        _recount()


def _missing_triggers():
    if is_sqlite():
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = ('SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid '
               "WHERE c.relname = 'job' AND pg_table_is_visible(c.oid)")
    present = {row[0] for row in database.execute_sql(sql).fetchall()}
    return [name for name in SQLITE_TRIGGERS if name not in present]


def _recount():
    """Count the job table once: only when the triggers were just created."""
    from collab.jobs.models import Job
    JobStateDelta.delete().execute()
    JobStateCount.delete().execute()
    counted = Job.select(Job.task, Job.state, fn.COUNT(Job.seq)).group_by(Job.task, Job.state)
    JobStateCount.insert_from(counted, [JobStateCount.task, JobStateCount.state,
                                        JobStateCount.n]).execute()


def _fold_deltas():
    if not is_sqlite():
        database.execute_sql(FOLD_DELTAS)


def task_state_counts():
    """{(task, state): n} for every pair with jobs."""
    _fold_deltas()
    rows = JobStateCount.select().where(JobStateCount.n > 0).tuples()
    return {(task, state): n for task, state, n in rows}


def state_counts(task=None):
    """{state: n}, for one task or all of them."""
    totals = {}
    for (row_task, state), n in task_state_counts().items():
        if task is None or row_task == task:
            totals[state] = totals.get(state, 0) + n
    return totals


def task_names():
    """Every task name that has job records."""
    return sorted({task for task, _ in task_state_counts()})
