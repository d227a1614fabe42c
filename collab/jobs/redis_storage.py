"""Redis queue storage with claimed dequeues (see collab.jobs.storage)."""
from huey.constants import EmptyData
from huey.storage import RedisStorage

from collab.jobs.claims import NOTHING, Claim, is_revoke_key


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
