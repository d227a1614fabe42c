"""SQLite under gevent: waiting for the write lock without stopping the event loop.

SQLite's own busy wait sleeps inside the C library. In the gevent web server
every connection shares one OS thread, so a greenlet that waits there also
stops the greenlet holding the lock — when that one yields inside its
transaction (an outbox dispatch enqueuing to Redis, say), neither ever moves
on until busy_timeout fails. Here SQLite answers "busy" at once instead, and
the statement is tried again after a patched (cooperative) sleep, until the
same deadline. Other processes are unaffected. This module imports no Flask.
"""
import sqlite3
import sys
import time

RETRY_SECONDS = 0.002


def patched():
    """True in a process whose standard library gevent has patched (the web server)."""
    if 'gevent' not in sys.modules:
        return False
    from gevent import monkey
    return monkey.is_module_patched('threading')


class Cursor(sqlite3.Cursor):
    deadline_seconds = 10.0

    def execute(self, sql, parameters=()):
        deadline = None
        while True:
            try:
                return super().execute(sql, parameters)
            except sqlite3.OperationalError as exc:
                if 'locked' not in str(exc) and 'busy' not in str(exc):
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.deadline_seconds
                if now >= deadline:
                    raise
                time.sleep(RETRY_SECONDS)   # patched: the lock's holder runs meanwhile


class Connection(sqlite3.Connection):
    def cursor(self, factory=Cursor):
        return super().cursor(factory)
