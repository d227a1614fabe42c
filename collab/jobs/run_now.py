"""Move one scheduled message (a job waiting for its time or its next retry)
to the queue at once, in one atomic step on either storage, so the job runs
once: either the consumer's own move of due messages takes it, or this does.
The message goes in rewritten without its time (`eta`): a consumer puts a
message whose time has not come back in the schedule.

The ledger keeps each waiting job's message as stored in the schedule (the
'scheduled' event records the bytes that were written), so the message is
found by its exact bytes; no other message has them (each has its own id).

A job enqueued with a time is in the queue until a consumer takes it and puts
it in the schedule: there, its message is rewritten in place, so run now works
at any moment, with no consumer running too.
"""
from collab.jobs.redis_storage import ClaimingRedisStorage
from collab.jobs.sqlite_storage import ClaimingSqliteStorage

# From the schedule if it is still there (the consumer may have moved it already);
# else rewritten in the queue, while no consumer has claimed it (a claim moves it
# to the consumer's own list).
MOVE_ONE_LUA = """\
if redis.call('zrem', KEYS[1], ARGV[1]) == 1 then
    redis.call('lpush', KEYS[2], ARGV[2])
    return 1
end
local at = redis.call('lpos', KEYS[2], ARGV[1])
if at then
    redis.call('lset', KEYS[2], at, ARGV[2])
    return 1
end
return 0"""


def due_now(huey, message):
    """The message rewritten to run at once. Raises PoisonMessage if it is not ours."""
    task = huey.deserialize_task(bytes(message))
    task.eta = None
    return huey.serialize_task(task)


def move_to_queue(storage, message, due):
    """Replace `message` in the schedule, or in the queue, by `due` in the queue;
    whether it was in either."""
    message = bytes(message)
    if isinstance(storage, ClaimingRedisStorage):
        return _redis_move(storage, message, due)
    if isinstance(storage, ClaimingSqliteStorage):
        return _sqlite_move(storage, message, due)
    raise TypeError(f'cannot move scheduled messages on {type(storage).__name__}')


def _redis_move(storage, message, due):
    script = storage.conn.register_script(MOVE_ONE_LUA)
    return script(keys=[storage.schedule_key, storage.queue_key], args=[message, due]) == 1


def _sqlite_move(storage, message, due):
    with storage.db(commit=True) as curs:
        curs.execute('select id from schedule where queue = ? and data = ? limit 1',
                     (storage.name, storage.to_blob(message)))
        row = curs.fetchone()
        if row is None:   # still in the queue, unless a consumer has claimed it
            curs.execute('update task set data = ? where queue = ? and data = ?',
                         (storage.to_blob(due), storage.name, storage.to_blob(message)))
            return curs.rowcount == 1
        curs.execute('delete from schedule where id = ?', (row[0],))
        curs.execute('insert into task (queue, data, priority) '
                     'values (?, ?, message_priority(?))',
                     (storage.name, storage.to_blob(due), storage.to_blob(due)))
        return True
