"""SQLite queue storage with claimed dequeues (see collab.jobs.storage)."""
import threading

from huey.constants import EmptyData
from huey.storage import SqliteStorage

from collab.jobs.claims import CLAIM_PREFIX, NOTHING, Claim
from collab.jobs.message_peek import peek_priority


class ClaimingSqliteStorage(SqliteStorage):
    """SQLite storage with claimed dequeues: a claimed row is relabelled, not deleted.

    Every call here holds the storage's one lock (one connection per process),
    and each statement releases and retakes the GIL: under load, fewer
    statements per call is what keeps the producer and the workers moving.
    The connection is in autocommit mode, so a single statement is a
    transaction of its own; no BEGIN/COMMIT around it.
    """

    # Claims the next message; also says whether any revoke flag exists (a key
    # starting with one of REVOKE_PREFIXES: ranges, so the kv primary key answers),
    # and whether more messages wait.
    CLAIM_SQL = ("update task set queue = ? where id = "
                 "(select id from task where queue = ? order by priority desc, id limit 1) "
                 "returning id, data, exists (select 1 from kv where queue = ? and "
                 "((key >= 'r:' and key < 'r;') or (key >= 'rt:' and key < 'rt;'))), "
                 "exists (select 1 from task where queue = ?)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.claimer = None
        self._more_waiting = threading.local()   # what this thread's last claim saw

    def _claim_queue(self, consumer):
        return f'{CLAIM_PREFIX}{self.name}:{consumer}'

    def _create_connection(self):
        conn = super()._create_connection()
        conn.create_function('message_priority', 1, peek_priority, deterministic=True)
        return conn

    def enqueue(self, data, priority=None):
        self.sql('insert into task (queue, data, priority) values (?, ?, ?)',
                 (self.name, self.to_blob(data), priority or 0))

    def claim(self):
        if self.claimer is None:
            data = self.dequeue()
            return NOTHING if data is None else Claim(None, data)
        # A plain read first, unless the last claim saw more messages waiting:
        # idle workers poll, and should not take the write lock.
        more_waiting = getattr(self._more_waiting, 'value', False)
        if not more_waiting and not self.sql('select 1 from task where queue = ? limit 1',
                                             (self.name,), results=True):
            return NOTHING
        rows = self.sql(self.CLAIM_SQL, (self._claim_queue(self.claimer), self.name, self.name,
                                         self.name), results=True)
        if not rows:
            self._more_waiting.value = False
            return NOTHING
        token, data, revocations, more = rows[0]
        self._more_waiting.value = bool(more)
        return Claim(token, data, bool(revocations), bool(more))

    def pop_data(self, key):
        # Every finished task pops its revoke flag, which is almost never there:
        # look with a plain read, and take the write lock only to delete one.
        if self.peek_data(key) is EmptyData:
            return EmptyData
        return super().pop_data(key)

    def enqueue_many(self, messages):
        """Insert [(message, priority)] in order, all or none, in one transaction."""
        with self.db(commit=True) as curs:
            curs.executemany('insert into task (queue, data, priority) values (?, ?, ?)',
                             [(self.name, self.to_blob(message), priority or 0)
                              for message, priority in messages])

    def ack_many(self, tokens, revoke_keys=()):
        """Remove finished tasks' claimed rows and their revoke flags."""
        with self.db(commit=True) as curs:
            curs.executemany('delete from task where id = ?', [(t,) for t in tokens])
            if revoke_keys:
                curs.executemany('delete from kv where queue = ? and key = ?',
                                 [(self.name, key) for key in revoke_keys])

    def move_due_to_queue(self, ts):
        # The schedule has no priority column (as in stock Huey, the priority is
        # in the message): it is read from each message moved, in the statement.
        with self.db(commit=True) as curs:
            params = (self.name, ts.timestamp())
            curs.execute('insert into task (queue, data, priority) '
                         'select queue, data, message_priority(data) from schedule '
                         'where queue = ? and timestamp <= ? order by timestamp, id', params)
            moved = curs.rowcount
            curs.execute('delete from schedule where queue = ? and timestamp <= ?', params)
            return moved

    def claim_owners(self):
        prefix = self._claim_queue('')
        # A range, not LIKE, so the (queue, …) index answers it.
        rows = self.sql('select distinct queue from task where queue >= ? and queue < ?',
                        (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)), results=True)
        return {queue[len(prefix):] for queue, in rows}

    def claimed(self, consumer):
        return self.sql('select id, data from task where queue = ? order by id',
                        (self._claim_queue(consumer),), results=True)

    def release(self, consumer, token, message):
        with self.db(commit=True) as curs:
            if message is None:
                curs.execute('delete from task where id = ? and queue = ?',
                             (token, self._claim_queue(consumer)))
            else:
                curs.execute('update task set queue = ?, data = ? where id = ? and queue = ?',
                             (self.name, self.to_blob(message), token,
                              self._claim_queue(consumer)))
            return curs.rowcount == 1
