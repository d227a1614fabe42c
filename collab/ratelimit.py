"""Rate limits kept in the database, so every web process shares them.

Each check counts the try in the same statement that decides it, an
`INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING` on SQLite and
PostgreSQL alike: of many requests arriving together, exactly as many as the
limit allows get through, never more.

Why not Flask-Limiter (or `limits`)? Its storages are memory, Redis, Memcached
and MongoDB: without Redis, the processes of one server would each count on
their own, and the app's own database is the one store they all share. Nor
does it have a delay that grows with an account's failures and spares the
addresses the account signs in from; `delay_gate` below is that. Redis, when
REDIS_URL is set, holds only the queue: one place for the counts keeps one code
path, and these few writes per sign-in are no load for the database.

Three kinds of rows share one table, told apart by their key:
- windows (`take`): `hits` tries in the fixed window that began at `window_start`;
- delays (`delay_gate`): `hits` tries in a row, and `window_start` is the moment
  the next try is allowed;
- marks (`mark`, `is_marked`): `window_start` is when the mark was last set.
"""
import time

from peewee import SQL, Case, CharField, Expression, IntegerField

from collab.models import BaseModel

MARK_PREFIX = 'mark:'
MARK_DAYS = 30


class RateLimitWindow(BaseModel):
    key = CharField(max_length=300, primary_key=True)
    hits = IntegerField(default=0)
    window_start = IntegerField(index=True)


def _window(name, per_seconds):
    now = int(time.time())
    start = now - now % per_seconds
    return f'{name}@{start}', start, start + per_seconds - now


def take(name, limit, per_seconds):
    """Count one try for `name` if it is under `limit` in this window: 0 when counted,
    else the seconds until the window ends."""
    key, start, remaining = _window(name, per_seconds)
    counted = (RateLimitWindow
               .insert(key=key, hits=1, window_start=start)
               .on_conflict(conflict_target=[RateLimitWindow.key],
                            update={RateLimitWindow.hits: RateLimitWindow.hits + 1},
                            where=RateLimitWindow.hits < limit)
               .returning(RateLimitWindow.hits)
               .execute())
    return 0 if list(counted) else remaining


def give_back(name, per_seconds):
    """Uncount one try of this window (one that turned out not to count, a success)."""
    key, _, _ = _window(name, per_seconds)
    (RateLimitWindow.update(hits=RateLimitWindow.hits - 1)
     .where((RateLimitWindow.key == key) & (RateLimitWindow.hits > 0)).execute())


def delay_gate(name, free_tries, max_delay_exponent):
    """Count one try for `name` unless it must still wait: 0 when counted, else the
    seconds to wait. The first `free_tries` tries in a row pass at once; after
    that each one makes the next wait 2, 4, 8 ... up to 2**max_delay_exponent
    seconds. `forget_delay` (after a success) starts the count again."""
    now = int(time.time())
    key = f'delay:{name}'
    tries = RateLimitWindow.hits + 1
    over = tries - free_tries
    wait = Case(None, [(over <= 0, 0), (over >= max_delay_exponent, 1 << max_delay_exponent)],
                Expression(SQL('1'), '<<', over))   # 2**over, in SQL both databases speak
    counted = (RateLimitWindow
               .insert(key=key, hits=1, window_start=now)
               .on_conflict(conflict_target=[RateLimitWindow.key],
                            update={RateLimitWindow.hits: tries,
                                    RateLimitWindow.window_start: now + wait},
                            # A free try passes whatever the clock: a concurrent try
                            # may have read the next second and stored it.
                            where=((RateLimitWindow.window_start <= now)
                                   | (RateLimitWindow.hits < free_tries)))
               .returning(RateLimitWindow.hits)
               .execute())
    if list(counted):
        return 0
    row = RateLimitWindow.get_or_none(RateLimitWindow.key == key)
    return max(1, row.window_start - now) if row is not None else 1


def forget_delay(name):
    RateLimitWindow.delete().where(RateLimitWindow.key == f'delay:{name}').execute()


def mark(name):
    """Remember `name` (e.g. that an account signed in from an address) for MARK_DAYS."""
    now = int(time.time())
    (RateLimitWindow.insert(key=MARK_PREFIX + name, hits=0, window_start=now)
     .on_conflict(conflict_target=[RateLimitWindow.key],
                  update={RateLimitWindow.window_start: now})
     .execute())


def is_marked(name):
    since = int(time.time()) - MARK_DAYS * 86400
    return (RateLimitWindow.select()
            .where((RateLimitWindow.key == MARK_PREFIX + name)
                   & (RateLimitWindow.window_start > since)).exists())


def forget_before(moment):
    """Delete windows and delays that ended an hour before `moment` (unix seconds),
    and marks older than MARK_DAYS."""
    is_mark = RateLimitWindow.key.startswith(MARK_PREFIX)
    old = (((RateLimitWindow.window_start < moment - 3600) & ~is_mark)
           | ((RateLimitWindow.window_start < moment - MARK_DAYS * 86400) & is_mark))
    return RateLimitWindow.delete().where(old).execute()
