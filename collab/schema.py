"""Schema creation and migrations.

The first start creates every table. Later changes are numbered migration
functions (playhouse.migrate operations) applied once each, in order, and
recorded in SchemaVersion; a new column is a new function appended to
MIGRATIONS, never an edit of an old one.
"""
import logging
from contextlib import contextmanager

from peewee import SQL, BooleanField, CharField, DateTimeField, IntegerField
from playhouse.migrate import Operation, PostgresqlMigrator, SqliteMigrator, migrate

from collab.jobs.counts import install as install_job_counts
from collab.jobs.args_index import install as install_job_search
from collab.jobs.log_search import INDEX as job_log_search
from collab.jobs.queue_alerts import install as install_queue_alerts
from collab.jobs.totals import install as install_job_totals
from collab.db import create_missing, database, is_sqlite
from collab.fields import JSONText
from collab.transactions import writing   # processes starting together wait their turn
from collab.jobs.models import JOB_MODELS
from collab.models import DOMAIN_MODELS, BaseModel, token_expiry
from collab.ratelimit import RateLimitWindow

log = logging.getLogger(__name__)


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)


def _leaner_job_indexes(migrator):
    """Indexes every ledger write paid for: two that others cover, and three on
    links most jobs lack (the tables are created with partial indexes on those links)."""
    return [migrator.drop_index('job', name) for name in
            ('job_task', 'job_finished_at', 'job_parent_id', 'job_pipeline_id', 'job_group_id')]


def _outbox_recorded(migrator):
    """Outbox messages say whether their job's ledger row is written
    (see collab/jobs/outbox.py)."""
    return [migrator.add_column('outboxmessage', 'recorded', BooleanField(
        default=False, constraints=[SQL('DEFAULT FALSE')]))]


def _invite_links(migrator):
    """Invites count their uses (a link invite may be used `max_uses` times) and a link
    invite has no email. An invite accepted before this has used its one use."""
    return [migrator.add_column('invite', 'max_uses', IntegerField(
                default=1, constraints=[SQL('DEFAULT 1')])),
            migrator.add_column('invite', 'uses', IntegerField(
                default=0, constraints=[SQL('DEFAULT 0')])),
            migrator.drop_not_null('invite', 'email'),
            Operation(migrator, lambda _: SQL(
                'UPDATE invite SET uses = 1 WHERE accepted_at IS NOT NULL'))]


def _token_names_and_expiry(migrator):
    """API tokens get a name, an expiry and when they were last used. Tokens made
    before this expire TOKEN_DAYS' default (90 days) after the upgrade."""
    return [migrator.add_column('apitoken', 'name', CharField(max_length=100, default='')),
            migrator.add_column('apitoken', 'expires_at', DateTimeField(default=token_expiry)),
            migrator.add_column('apitoken', 'last_used_at', DateTimeField(null=True))]


def _retried_jobs_and_error_search(migrator):
    """A job an admin retried names the job that ran it again; the admin's search
    over error text walks only the jobs that have one (a partial index)."""
    return [migrator.add_column('job', 'retried_as', CharField(max_length=64, null=True)),
            Operation(migrator, lambda _: SQL(
                'CREATE INDEX IF NOT EXISTS job_error_set ON job (seq) WHERE error IS NOT NULL'))]


def _notification_kinds(migrator):
    """Each user may turn off kinds of notification (none are off until they do)."""
    return [migrator.add_column('user', 'muted_kinds', JSONText(null=True))]


def _channel_reads_and_message_edits(migrator):
    """Members' read markers per channel (the ChannelRead table, which create_schema
    makes as it makes every missing table) and when a message was last edited."""
    return [migrator.add_column('message', 'edited_at', DateTimeField(null=True))]


def _restored_versions(migrator):
    """A document version made by restoring an older one names that version."""
    return [migrator.add_column('documentversion', 'restored_from', IntegerField(null=True))]


def _password_resets_and_invite_nonces(migrator):
    """Password-reset links (the PasswordReset table, which create_schema makes as it
    makes every missing table), and the nonce that lets a pending invite's link be
    copied again (invites made before this have none: their links stay unknown)."""
    return [migrator.add_column('invite', 'link_nonce', CharField(max_length=64, null=True))]


# Each entry: (version, function(migrator) -> list of playhouse.migrate operations).
MIGRATIONS = [(1, _leaner_job_indexes), (2, _outbox_recorded), (3, _invite_links),
              (4, _token_names_and_expiry), (5, _retried_jobs_and_error_search),
              (6, _channel_reads_and_message_edits), (7, _restored_versions),
              (8, _password_resets_and_invite_nonces), (9, _notification_kinds)]


# PostgreSQL advisory lock key held while the schema is created or migrated.
SCHEMA_LOCK = 0x636f6c6c


@contextmanager
def schema_transaction():
    """A write transaction that one process at a time holds, so processes that
    start together create and migrate the schema in turn: SQLite's write lock
    (BEGIN IMMEDIATE), and on PostgreSQL an advisory lock besides."""
    with writing():
        if not is_sqlite():
            database.execute_sql('SELECT pg_advisory_xact_lock(%s)', (SCHEMA_LOCK,))
        yield


def create_schema():
    """Create missing tables, then apply pending migrations. Safe to call on every
    start, by any number of processes at once."""
    with database.connection_context():
        with schema_transaction():
            fresh = not SchemaVersion.table_exists()
            create_missing([SchemaVersion, *DOMAIN_MODELS, *JOB_MODELS, RateLimitWindow])
            install_job_counts()
            install_job_search()
            job_log_search.install()
            install_job_totals()
            install_queue_alerts()
            if fresh:
                # A fresh schema already has every column: mark migrations as done.
                for version, _ in MIGRATIONS:
                    SchemaVersion.create(version=version)
        apply_migrations()
        with schema_transaction():   # after migration 5, which makes the index it replaces
            _error_text_index()


def _error_text_index():
    """On SQLite, the error search's index holds the error text besides the seq, so
    the walk tests each text in the index and reads only the matching jobs' rows
    (a tenth of the time where few match). PostgreSQL keeps job_error_set: errors
    of up to 2,000 characters may not fit one of its index rows."""
    if is_sqlite():
        database.execute_sql('CREATE INDEX IF NOT EXISTS job_error_text ON job (seq, error) '
                             'WHERE error IS NOT NULL')
        database.execute_sql('DROP INDEX IF EXISTS job_error_set')


def apply_migrations():
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    for version, operations in MIGRATIONS:
        with schema_transaction():
            # Read under the lock: another process may have applied it meanwhile.
            if SchemaVersion.get_or_none(SchemaVersion.version == version) is not None:
                continue
            log.info('applying schema migration %s', version)
            migrate(*operations(migrator))
            SchemaVersion.create(version=version)
