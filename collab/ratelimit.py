"""Fixed-window rate limits kept in the database, so every web process shares them."""
import time

from peewee import CharField, IntegerField

from collab.models import BaseModel


class RateLimitWindow(BaseModel):
    key = CharField(max_length=300, primary_key=True)
    hits = IntegerField(default=0)
    window_start = IntegerField(index=True)


def _window(name, per_seconds):
    now = int(time.time())
    start = now - now % per_seconds
    return f'{name}@{start}', start, start + per_seconds - now


def wait_seconds(name, limit, per_seconds):
    """Seconds until `name` may try again, or 0 when it is under `limit` in this window."""
    key, _, remaining = _window(name, per_seconds)
    row = RateLimitWindow.get_or_none(RateLimitWindow.key == key)
    return remaining if row is not None and row.hits >= limit else 0


def hit(name, per_seconds):
    """Count one try for `name` in the current window."""
    key, start, _ = _window(name, per_seconds)
    (RateLimitWindow
     .insert(key=key, hits=1, window_start=start)
     .on_conflict(conflict_target=[RateLimitWindow.key],
                  update={RateLimitWindow.hits: RateLimitWindow.hits + 1})
     .execute())


def forget_before(moment):
    """Delete windows that ended before `moment` (unix seconds)."""
    return RateLimitWindow.delete().where(RateLimitWindow.window_start < moment - 3600).execute()
