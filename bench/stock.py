"""Stock Huey for figure 1c: `huey_consumer bench.stock.huey` and its producer import this.

A plain RedisHuey (BENCH_QUEUE_URL) or SqliteHuey (BENCH_QUEUE_FILE), default
serializer and storage, with the same no-op task body as Collab's bench task.
"""
import os

from huey import RedisHuey, SqliteHuey

from bench import noop as work

if os.environ.get('BENCH_QUEUE_URL'):
    huey = RedisHuey('bench-stock', url=os.environ['BENCH_QUEUE_URL'])
else:
    # As Collab's SQLite queue is opened (collab/jobs: fsync off, 10 s busy timeout).
    huey = SqliteHuey('bench-stock', filename=os.environ['BENCH_QUEUE_FILE'], fsync=False,
                      timeout=10)

noop = huey.task(name='bench.noop')(work.noop)
