"""Schema migrations on an existing database, on SQLite and PostgreSQL."""
from collab.db import database, is_sqlite
from collab.schema import SchemaVersion, create_schema

OLD_JOB_INDEXES = {'job_task': 'task', 'job_finished_at': 'finished_at',
                   'job_parent_id': 'parent_id', 'job_pipeline_id': 'pipeline_id',
                   'job_group_id': 'group_id'}


def job_indexes():
    if is_sqlite():
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'job' AND schemaname = current_schema()"
    return {name for name, in database.execute_sql(sql).fetchall()}


def test_a_database_from_before_drops_the_job_indexes_the_ledger_paid_for(app, db_backend):
    # The job table as the first release created it, and no migration applied yet.
    for name, column in OLD_JOB_INDEXES.items():
        database.execute_sql(f'CREATE INDEX {name} ON job ({column})')
    SchemaVersion.delete().execute()
    create_schema()
    indexes = job_indexes()
    assert not indexes & set(OLD_JOB_INDEXES)
    assert {'job_parent_set', 'job_pipeline_set', 'job_group_set', 'job_task_seq',
            'job_finished_state'} <= indexes
    assert 1 in {row.version for row in SchemaVersion.select()}
    create_schema()   # a second start changes nothing
    assert job_indexes() == indexes
