"""Schema migrations on an existing database, on SQLite and PostgreSQL."""

from datetime import datetime

from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from collab.db import database, is_sqlite
from collab.jobs.models import OutboxMessage
from collab.schema import SchemaVersion, apply_migrations, create_schema
from collab.transactions import writing

OLD_JOB_INDEXES = {'job_task': 'task', 'job_finished_at': 'finished_at',
                   'job_parent_id': 'parent_id', 'job_pipeline_id': 'pipeline_id',
                   'job_group_id': 'group_id'}


def job_indexes():
    if is_sqlite():
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'job'"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'job' AND schemaname = current_schema()"
    return {name for name, in database.execute_sql(sql).fetchall()}


def first_release_schema():
    """Turn the test's database into the first release's: its job indexes, an outbox
    without the `recorded` column, invites without use counts, API tokens without a
    name, expiry or last use, jobs without `retried_as` or the error index, and no
    migration applied yet."""
    for name, column in OLD_JOB_INDEXES.items():
        database.execute_sql(f'CREATE INDEX {name} ON job ({column})')
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    migrate(migrator.drop_column('outboxmessage', 'recorded'))
    migrate(migrator.drop_column('invite', 'uses'), migrator.drop_column('invite', 'max_uses'),
            migrator.add_not_null('invite', 'email'))      # migration 3's
    migrate(*(migrator.drop_column('apitoken', column)      # migration 4's
              for column in ('name', 'expires_at', 'last_used_at')))
    for index in ('job_error_set', 'job_error_text'):       # migration 5's (or SQLite's own)
        database.execute_sql(f'DROP INDEX IF EXISTS {index}')
    migrate(migrator.drop_column('job', 'retried_as'))
    migrate(migrator.drop_column('user', 'muted_kinds'))    # migration 9's
    migrate(migrator.drop_column('message', 'edited_at'))   # migration 6's
    migrate(migrator.drop_column('documentversion', 'restored_from'))   # migration 7's
    database.execute_sql('DROP TABLE channelread')
    migrate(migrator.drop_column('invite', 'link_nonce'))   # migration 8's
    database.execute_sql('DROP TABLE passwordreset')
    SchemaVersion.delete().execute()


def test_a_database_from_before_drops_the_job_indexes_the_ledger_paid_for(app, db_backend):
    first_release_schema()
    create_schema()
    indexes = job_indexes()
    assert not indexes & set(OLD_JOB_INDEXES)
    assert {'job_parent_set', 'job_pipeline_set', 'job_group_set', 'job_task_seq',
            'job_finished_state', 'job_error_text' if is_sqlite() else 'job_error_set'} <= indexes
    assert 'retried_as' in {c.name for c in database.get_columns('job')}
    assert 'edited_at' in {c.name for c in database.get_columns('message')}
    assert 'restored_from' in {c.name for c in database.get_columns('documentversion')}
    assert 'channelread' in database.get_tables()
    assert 1 in {row.version for row in SchemaVersion.select()}
    create_schema()   # a second start changes nothing
    assert job_indexes() == indexes


def test_a_database_from_before_keeps_its_waiting_outbox_messages(app, db_backend):
    first_release_schema()
    mark = database.param
    # One transaction: the app's dispatcher must not send the message meanwhile.
    with writing():
        database.execute_sql('INSERT INTO outboxmessage (data, priority, created_at) '
                             f'VALUES ({mark}, 0, {mark})', (b'x', datetime(2026, 1, 1)))
        apply_migrations()
        [message] = OutboxMessage.select()
        assert (bytes(message.data), message.recorded) == (b'x', False)
        assert {1, 2} <= {row.version for row in SchemaVersion.select()}


def test_starting_again_beside_a_writer_takes_no_lock_on_its_tables(app, postgres_url):
    """A process starting while another one writes rows must not wait for it: on
    PostgreSQL even CREATE INDEX IF NOT EXISTS waits for a writer's transaction
    (and, holding locks of its own meanwhile, deadlocked with a busy worker)."""
    import threading
    import psycopg2
    from collab.db import open_database
    from collab.jobs.models import Job
    open_database(postgres_url)
    create_schema()
    writer = psycopg2.connect(postgres_url)
    try:
        with writer.cursor() as cursor:   # a transaction holding a row lock on `job`, open
            cursor.execute('LOCK TABLE job IN ROW EXCLUSIVE MODE')
        started = threading.Thread(target=create_schema, daemon=True)
        started.start()
        started.join(10)
        assert not started.is_alive(), 'the start waited for the writer'
        assert Job.table_exists()
    finally:
        writer.rollback()
        writer.close()
