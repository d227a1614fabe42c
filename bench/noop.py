"""The no-op task body shared by raw Huey and Collab's Huey: one Redis INCR.

Start and end times are kept in this process (the consumer runs in threads
here), so latencies need no clock shared between processes.
"""
import os
import time

import redis

COUNTER_KEY = os.environ.get('BENCH_COUNTER_KEY', 'bench:done')   # one per process
STARTS = {}
ENDS = {}
_client = {}


def client():
    if 'redis' not in _client:
        _client['redis'] = redis.Redis.from_url(os.environ['BENCH_REDIS_URL'])
    return _client['redis']


def noop(i):
    STARTS[i] = time.perf_counter()
    client().incr(COUNTER_KEY)
    ENDS[i] = time.perf_counter()


def count():
    """How many no-op tasks have run so far (this process's counter key)."""
    return int(client().get(COUNTER_KEY) or 0)
