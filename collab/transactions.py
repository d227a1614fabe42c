"""A write transaction that takes SQLite's write lock up front.

A deferred SQLite transaction that reads, then writes, fails at once with
"database is locked" when another connection wrote in between (WAL cannot
upgrade a stale snapshot). Taking the lock at BEGIN makes it wait its turn
(busy_timeout) instead. PostgreSQL needs nothing special.
"""
from collab.db import database, is_sqlite


def writing():
    """A write transaction on the bound database. It is taken from the proxy at
    the start: should the app bind another database meanwhile (create_app
    again in one process), the transaction still ends where it began, instead
    of leaving SQLite's write lock held by a background thread."""
    db = database.obj
    return db.atomic('IMMEDIATE') if is_sqlite() else db.atomic()
