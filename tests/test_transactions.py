"""Write transactions: they end on the database they began on, even when the app binds
another one meanwhile (create_app again in the same process: a restart in the
tests), so a background thread's transaction never leaves SQLite's write lock held;
and none is taken for nothing."""
import sqlite3
import threading
import time

from collab.db import database, open_database
from collab.transactions import writing


def test_a_write_transaction_ends_on_its_own_database_after_a_rebind(tmp_path):
    open_database(f'sqlite:///{tmp_path / "first.db"}')
    began, rebound, errors = threading.Event(), threading.Event(), []

    def write():   # as the outbox dispatcher or a prune does, on its own thread
        try:
            with writing():
                database.execute_sql('CREATE TABLE marks (n INTEGER)')
                began.set()
                rebound.wait(5)
        except Exception as exc:
            errors.append(exc)
        finally:
            database.close()

    thread = threading.Thread(target=write)
    thread.start()
    assert began.wait(5)
    open_database(f'sqlite:///{tmp_path / "second.db"}')
    rebound.set()
    thread.join(5)

    assert errors == []
    first = sqlite3.connect(tmp_path / 'first.db', timeout=0.5, isolation_level=None)
    first.execute('BEGIN IMMEDIATE')   # the write lock was released: no "database is locked"
    assert first.execute('SELECT COUNT(*) FROM marks').fetchone() == (0,)   # and committed
    first.rollback()


def test_an_idle_outbox_round_takes_no_write_lock(app):
    from collab.jobs.outbox import dispatch_once
    holder = sqlite3.connect(database.obj.database, isolation_level=None)
    holder.execute('BEGIN IMMEDIATE')   # another writer holds the lock
    try:
        began = time.monotonic()
        assert dispatch_once() == 0
        assert time.monotonic() - began < 1.0   # did not wait out the busy timeout (10 s)
    finally:
        holder.rollback()
        holder.close()
