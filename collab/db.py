"""The one database object every model uses, bound to a real database at start.

Models import `database` (a DatabaseProxy), never the app. Web requests take a
connection per request and give it back at the end; tasks open one on first
use and close it after the task (see collab/jobs/engine.py).

In the gevent web server, SQLite connections come from a pool: a fresh
connection per request reads the schema and fills a page cache of its own, and
a hundred sockets opening at once (every tab reconnecting after a restart) left
the heap some 35 MB bigger for good. The pool holds at most WEB_POOL
connections; a request beyond them waits for one, cooperatively.
"""
from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect

from collab import green_sqlite

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    'journal_mode': 'wal',
    'synchronous': 'normal',   # safe with WAL: a power cut loses at most the last commits
    'foreign_keys': 1,
    'busy_timeout': 10_000,
    'cache_size': -16_000,
}
# Pooled connections live on between requests, so each keeps a smaller page cache
# (the operating system's cache holds the rest), and is replaced after a minute.
WEB_POOL = {'max_connections': 20, 'stale_timeout': 60, 'timeout': 10}
WEB_CACHE_KIB = 4_000


def open_database(url):
    """Build the database for a Peewee db_url and bind the proxy to it."""
    if url.startswith('sqlite:') and green_sqlite.patched():
        # busy_timeout 0: see collab.green_sqlite (the pool's `timeout` is its wait).
        pragmas = {**SQLITE_PRAGMAS, 'busy_timeout': 0, 'cache_size': -WEB_CACHE_KIB}
        db = connect('sqlite+pool:' + url[len('sqlite:'):], pragmas=pragmas,
                     factory=green_sqlite.Connection, **WEB_POOL)
    elif url.startswith('sqlite:'):
        db = connect(url, pragmas=SQLITE_PRAGMAS, timeout=10)
    else:
        db = connect(url)
    database.initialize(db)
    return db


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


def create_missing(models):
    """Create the tables of `models` that do not exist yet, with their indexes.

    An existing table is left alone: on PostgreSQL even CREATE INDEX IF NOT
    EXISTS takes a share lock on it first, and a process starting beside one
    that writes rows then deadlocks with it (a web server restarted beside a
    busy worker). New indexes on existing tables come from migrations."""
    existing = set(database.get_tables())
    missing = [model for model in models if model._meta.table_name not in existing]
    if missing:
        database.create_tables(missing, safe=True)


def close_connection():
    if database.obj is not None and not database.is_closed():
        database.close()
