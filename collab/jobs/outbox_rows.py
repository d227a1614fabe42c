"""The outbox table's statements (collab/jobs/outbox.py moves its rows to the queue).

Plain SQL, not queries built with the model: building them cost more than
running them. Apart from the outbox itself, so that what writes a message in a
transaction (collab/jobs/effects.py) needs no Huey instance.
"""
import functools

from collab.db import database, is_sqlite
from collab.fields import utcnow
from collab.jobs.models import OutboxMessage


def insert(data, priority=None, recorded=False):
    """Write a signed message in the current transaction."""
    database.execute_sql(sql()['put'], (data, priority or 0, utcnow(), recorded))


def oldest(limit):
    return database.execute_sql(sql()['oldest'], (limit,)).fetchall()


def unrecorded(limit):
    return database.execute_sql(sql()['unrecorded'], (limit,)).fetchall()


def delete(ids):
    _by_ids('delete', ids)


def mark_recorded(ids):
    _by_ids('recorded', ids)


def sql():
    """The statements for the bound database."""
    return _statements(database.param, is_sqlite())


@functools.lru_cache(maxsize=4)
def _statements(p, sqlite):
    table = OutboxMessage._meta.table_name
    # PostgreSQL: rows locked by another dispatcher are skipped. SQLite: writing()
    # takes the write lock first, so two dispatchers never see the same rows.
    lock = '' if sqlite else ' FOR UPDATE SKIP LOCKED'
    return {
        'put': f'INSERT INTO {table} (data, priority, created_at, recorded) '
               f'VALUES ({p}, {p}, {p}, {p})',
        'any': f'SELECT 1 FROM {table} LIMIT 1',
        'oldest': f'SELECT id, data, priority, created_at, recorded FROM {table} '
                  f'ORDER BY id LIMIT {p}{lock}',
        'unrecorded': f'SELECT id, data, created_at FROM {table} WHERE NOT recorded '
                      f'ORDER BY id LIMIT {p}{lock}',
        'delete': f'DELETE FROM {table} WHERE id IN ' + '({ids})',
        'recorded': f'UPDATE {table} SET recorded = TRUE WHERE id IN ' + '({ids})',
    }


def _by_ids(name, ids):
    marks = ', '.join([database.param] * len(ids))
    database.execute_sql(sql()[name].format(ids=marks), ids)
