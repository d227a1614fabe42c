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
from collab.redis_pool import waiting_pool
from collab.jobs.redis_storage import ClaimingRedisStorage
from collab.jobs.sqlite_storage import ClaimingSqliteStorage


def build_storage(name, settings):
    """The queue storage these settings name: Redis when REDIS_URL is set, else SQLite."""
    if settings.redis_url:
        pool = waiting_pool(settings.redis_url, health_check_interval=30)
        return ClaimingRedisStorage(name=name, connection_pool=pool)
    return ClaimingSqliteStorage(name=name, filename=str(settings.queue_path),
                                 fsync=False, timeout=10)
