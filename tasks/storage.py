"""Queue storage that loses nothing when a consumer dies.

Stock Huey deletes a message when a worker takes it (Redis BRPOP, a SQLite
DELETE), so a consumer killed mid-task loses it without a trace. Here a
worker *claims* the message instead: it moves to a list (Redis) or is
relabelled (SQLite) under the consumer's id, and is removed only when the
task is done (`ack`). Claims of a consumer that died, or stopped with tasks
still running, are put back on the queue by `recover_claims`.

Due scheduled tasks move to the queue in one atomic step, so no crash
between "read the schedule" and "enqueue" can drop them either.
"""
from huey.constants import EmptyData
from huey.storage import RedisStorage, SqliteStorage

CLAIM_PREFIX = 'claimed:'

# Move every due message from the schedule to the queue, atomically.
SCHEDULE_TO_QUEUE_LUA = """\
local due = redis.call('zrangebyscore', KEYS[1], '-inf', ARGV[1])
for _, message in ipairs(due) do
    redis.call('lpush', KEYS[2], message)
end
if #due > 0 then
    redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
end
return #due"""

# Put one claimed message back (possibly rewritten), only if it is still claimed.
RELEASE_CLAIM_LUA = """\
if redis.call('lrem', KEYS[1], 1, ARGV[1]) == 1 then
    if ARGV[2] ~= '' then redis.call('lpush', KEYS[2], ARGV[2]) end
    return 1
end
return 0"""

# Remove finished tasks' claims, all in one call: no command per task to build
# and parse on the client. Claims are pushed at the head, so the oldest (the
# ones finishing now) sit at the tail: LREM searches from there.
ACK_CLAIMS_LUA = """\
for _, message in ipairs(ARGV) do
    redis.call('lrem', KEYS[1], -1, message)
end
return #ARGV"""


class ClaimingRedisStorage(RedisStorage):
    """Redis storage with claimed dequeues (BLMOVE into a per-consumer list)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schedule_to_queue = self.conn.register_script(SCHEDULE_TO_QUEUE_LUA)
        self._release = self.conn.register_script(RELEASE_CLAIM_LUA)
        self._ack_claims = self.conn.register_script(ACK_CLAIMS_LUA)
        self.claimer = None

    def _claim_key(self, consumer):
        return f'huey.claims.{self.name}.{consumer}'

    def claim(self):
        """(token, message) taken for this consumer, or (None, None) when empty."""
        if self.claimer is None:
            return None, self.dequeue()
        key = self._claim_key(self.claimer)
        data = self.conn.blmove(self.queue_key, key, self.read_timeout, 'RIGHT', 'LEFT')
        return (data, data) if data is not None else (None, None)

    def enqueue_many(self, messages):
        """Push [(message, priority)] in order, all or none, in one round trip."""
        if any(priority for _, priority in messages):
            raise NotImplementedError('Task priorities are not supported by this storage.')
        with self.conn.pipeline(transaction=True) as pipe:
            for message, _ in messages:
                pipe.lpush(self.queue_key, message)
            pipe.execute()

    def ack_many(self, tokens):
        """Remove finished tasks' claims."""
        self._ack_claims(keys=[self._claim_key(self.claimer)], args=tokens)

    def move_due_to_queue(self, ts):
        return self._schedule_to_queue(keys=[self.schedule_key, self.queue_key],
                                       args=[self.convert_ts(ts)])

    def claim_owners(self):
        prefix = self._claim_key('')
        return {key.decode()[len(prefix):] for key in self.conn.scan_iter(prefix + '*')}

    def claimed(self, consumer):
        """[(token, message)] still claimed by `consumer`."""
        return [(data, data) for data in self.conn.lrange(self._claim_key(consumer), 0, -1)]

    def release(self, consumer, token, message):
        """Put a claimed message back as `message` (None: drop it). False if already released."""
        return bool(self._release(keys=[self._claim_key(consumer), self.queue_key],
                                  args=[token, message if message is not None else b'']))


class ClaimingSqliteStorage(SqliteStorage):
    """SQLite storage with claimed dequeues: a claimed row is relabelled, not deleted.

    Every call here holds the storage's one lock (one connection per process),
    and each statement releases and retakes the GIL: under load, fewer
    statements per call is what keeps the producer and the workers moving.
    The connection is in autocommit mode, so a single statement is a
    transaction of its own; no BEGIN/COMMIT around it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.claimer = None

    def _claim_queue(self, consumer):
        return f'{CLAIM_PREFIX}{self.name}:{consumer}'

    def enqueue(self, data, priority=None):
        self.sql('insert into task (queue, data, priority) values (?, ?, ?)',
                 (self.name, self.to_blob(data), priority or 0))

    def claim(self):
        if self.claimer is None:
            return None, self.dequeue()
        # A plain read first: idle workers poll, and should not take the write lock.
        if not self.sql('select 1 from task where queue = ? limit 1', (self.name,), results=True):
            return None, None
        rows = self.sql('update task set queue = ? where id = '
                        '(select id from task where queue = ? order by priority desc, id limit 1) '
                        'returning id, data',
                        (self._claim_queue(self.claimer), self.name), results=True)
        return rows[0] if rows else (None, None)

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

    def ack_many(self, tokens):
        """Remove finished tasks' claimed rows."""
        with self.db(commit=True) as curs:
            curs.executemany('delete from task where id = ?', [(t,) for t in tokens])

    def move_due_to_queue(self, ts):
        with self.db(commit=True) as curs:
            params = (self.name, ts.timestamp())
            curs.execute('insert into task (queue, data, priority) '
                         'select queue, data, 0 from schedule '
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
