"""The one database object every model uses, bound to a real database at start.

Models import `database` (a DatabaseProxy), never the app. Web requests open a
connection per request; tasks open one on first use and close it after the
task (see collab/jobs/engine.py).
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


def open_database(url):
    """Build the database for a Peewee db_url and bind the proxy to it."""
    if url.startswith('sqlite:') and green_sqlite.patched():
        db = connect(url, pragmas={**SQLITE_PRAGMAS, 'busy_timeout': 0}, timeout=0,
                     factory=green_sqlite.Connection)
    elif url.startswith('sqlite:'):
        db = connect(url, pragmas=SQLITE_PRAGMAS, timeout=10)
    else:
        db = connect(url)
    database.initialize(db)
    return db


def is_sqlite():
    return isinstance(database.obj, SqliteDatabase)


def close_connection():
    if database.obj is not None and not database.is_closed():
        database.close()
