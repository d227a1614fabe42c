"""Queue storage that loses nothing when a consumer dies.

Stock Huey deletes a message when a worker takes it (Redis BRPOP, a SQLite
DELETE), so a consumer killed mid-task loses it without a trace. Here a
worker *claims* the message instead: it moves to a list (Redis) or is
relabelled (SQLite) under the consumer's id, and is removed only when the
task is done (`ack`). Claims of a consumer that died, or stopped with tasks
still running, are put back on the queue by `recover_claims`.

Due scheduled tasks move to the queue in one atomic step, so no crash
between "read the schedule" and "enqueue" can drop them either; on SQLite
each keeps its priority, read from its message (collab.jobs.message_peek).

Revocations are rare, yet stock Huey reads a task's revoke flags before every
run and deletes its flag after it: two round trips per task. Here a claim
also says whether any revoke flag exists at all (`Claim.revocations`), so
the read is skipped when none does, and a finished task's flag is deleted
with its claim's ack, one call per batch of tasks.
"""
import threading
from typing import NamedTuple

from huey.constants import EmptyData
from huey.storage import RedisStorage, SqliteStorage

from collab.jobs.message_peek import peek_priority

CLAIM_PREFIX = 'claimed:'
# Huey's revoke flags: 'r:<task id>' (one task) and 'rt:<task name>' (every task of a kind).
REVOKE_PREFIXES = ('r:', 'rt:')
_REVOKE_PREFIXES_BYTES = tuple(prefix.encode() for prefix in REVOKE_PREFIXES)


class Claim(NamedTuple):
    """A claimed message. `revocations`: whether any revoke flag existed when it was
    claimed (None: not known, check as usual). `more`: whether other messages
    were waiting behind it (another worker may be woken for them)."""
    token: object
    data: bytes
    revocations: bool | None = None
    more: bool = False


NOTHING = Claim(None, None)


def is_revoke_key(key):
    """Whether a result-store key (str or bytes, as Huey's callers pass) is a revoke flag."""
    return key.startswith(_REVOKE_PREFIXES_BYTES if isinstance(key, bytes) else REVOKE_PREFIXES)


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

# Remove finished tasks' claims and revoke flags, all in one call: no command
# per task to build and parse on the client. ARGV: the number of claims, the
# claims, then the flags. Claims are pushed at the head, so the oldest (the
# ones finishing now) sit at the tail: LREM searches from there.
ACK_CLAIMS_LUA = """\
local claims = tonumber(ARGV[1])
for i = 2, claims + 1 do
    redis.call('lrem', KEYS[1], -1, ARGV[i])
end
if #ARGV > claims + 1 then
    redis.call('hdel', KEYS[2], unpack(ARGV, claims + 2))
end
return claims"""


class ClaimingRedisStorage(RedisStorage):
    """Redis storage with claimed dequeues (moved into a per-consumer list).

    Revoke flags live in a hash of their own, so a claim can count them.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.revoked_key = f'huey.revoked.{self.name}'
        self._schedule_to_queue = self.conn.register_script(SCHEDULE_TO_QUEUE_LUA)
        self._release = self.conn.register_script(RELEASE_CLAIM_LUA)
        self._ack_claims = self.conn.register_script(ACK_CLAIMS_LUA)
        self.claimer = None

    def _claim_key(self, consumer):
        return f'huey.claims.{self.name}.{consumer}'

    def claim(self):
        """The next message, claimed for this consumer; NOTHING when the queue is empty."""
        if self.claimer is None:
            data = self.dequeue()
            return NOTHING if data is None else Claim(None, data)
        # One round trip: Redis runs the HLEN once the BLMOVE returns.
        with self.conn.pipeline(transaction=False) as pipe:
            pipe.blmove(self.queue_key, self._claim_key(self.claimer), self.read_timeout,
                        'RIGHT', 'LEFT')
            pipe.hlen(self.revoked_key)
            data, revocations = pipe.execute()
        return NOTHING if data is None else Claim(data, data, revocations > 0)

    def enqueue_many(self, messages):
        """Push [(message, priority)] in order, all or none, in one round trip."""
        if any(priority for _, priority in messages):
            raise NotImplementedError('Task priorities are not supported by this storage.')
        with self.conn.pipeline(transaction=True) as pipe:
            for message, _ in messages:
                pipe.lpush(self.queue_key, message)
            pipe.execute()

    def ack_many(self, tokens, revoke_keys=()):
        """Remove finished tasks' claims and their revoke flags."""
        self._ack_claims(keys=[self._claim_key(self.claimer), self.revoked_key],
                         args=[len(tokens), *tokens, *revoke_keys])

    # Revoke flags are kept apart from results (see the class docstring).
    def _hash_of(self, key):
        return self.revoked_key if is_revoke_key(key) else self.result_key

    def put_data(self, key, value, is_result=False):
        if is_revoke_key(key):
            self.conn.hset(self.revoked_key, key, value)
        else:
            super().put_data(key, value, is_result)

    def peek_data(self, key):
        value = self.conn.hget(self._hash_of(key), key)
        return EmptyData if value is None else value

    def peek_many(self, keys):
        with self.conn.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hget(self._hash_of(key), key)
            values = pipe.execute()
        return {k: v for k, v in zip(keys, values) if v is not None}

    def pop_data(self, key):
        with self.conn.pipeline() as pipe:
            pipe.hget(self._hash_of(key), key)
            pipe.hdel(self._hash_of(key), key)
            value, _ = pipe.execute()
        return EmptyData if value is None else value

    def delete_data(self, key):
        return self.conn.hdel(self._hash_of(key), key) != 0

    def has_data_for_key(self, key):
        return self.conn.hexists(self._hash_of(key), key)

    def result_store_size(self):
        with self.conn.pipeline(transaction=False) as pipe:
            pipe.hlen(self.result_key)
            pipe.hlen(self.revoked_key)
            return sum(pipe.execute())

    def result_items(self):
        with self.conn.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.result_key)
            pipe.hgetall(self.revoked_key)
            results, flags = pipe.execute()
        return {key.decode('utf8'): value for key, value in (results | flags).items()}

    def flush_results(self):
        self.conn.delete(self.result_key, self.revoked_key)

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
