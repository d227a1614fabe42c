"""A write transaction that takes SQLite's write lock up front.

A deferred SQLite transaction that reads, then writes, fails at once with
"database is locked" when another connection wrote in between (WAL cannot
upgrade a stale snapshot). Taking the lock at BEGIN makes it wait its turn
(busy_timeout) instead. PostgreSQL needs nothing special.
"""
from collab.db import database, is_sqlite


def writing():
    return database.atomic('IMMEDIATE') if is_sqlite() else database.atomic()
