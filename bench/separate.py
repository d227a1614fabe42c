"""Figure 1c: Collab's worker against Huey's stock consumer, each in a process of its own.

The deployment shape: a consumer process, started first and left idle, and a
producer process (a web process or a script) that enqueues n no-op tasks
(bench/noop.py: one Redis INCR), one call each, as fast as it can.

  stock          `huey_consumer bench.stock.huey -w 4 -k thread -d 0.05 -m 2.0 -s 1`:
                 stock RedisHuey / SqliteHuey and consumer, Collab's polling settings
  collab         `python run.py worker` (HUEY_WORKERS=4, TASK_MODULES=bench.tasks):
                 signed messages, claims, the ledger, heartbeat; the producer builds
                 the app (create_app) and calls the task, as a script or a task does
  collab-outbox  the same worker; the producer enqueues as a web request does: an
                 outbox row in a write transaction, the dispatcher woken after it,
                 and the dispatcher thread moves the rows to the queue

The clock runs in the producer from its first enqueue until the run's counter
shows every task ran; for Collab, "recorded" also waits until the ledger has
every job as succeeded. Cases are interleaved in each repetition, each with
fresh processes, a fresh DATA_DIR and a flushed Redis database.

    python -m bench.separate '{"case": "stock"|"collab"|"collab-outbox", "tasks": n}'
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path

from bench import noop as work
from bench.common import PYTHON, ROOT, check, row, summary, wait_until

CASES = ('stock', 'collab', 'collab-outbox')
WORKERS = 4
TARGET = 1.0
QUEUE_DB = 2   # the Redis database holding the queue (the counters are in 0)
WARMUP_IDLE = 0.5   # seconds the consumer idles after the warm-up task, before the clock


def run(ctx):
    from collab.jobs.consumer import IDLE_POLL_MAX   # Collab's consumer polls this way
    n = ctx.tasks or ctx.size(full=5000, quick=300)
    reps = ctx.size(full=ctx.reps, quick=min(ctx.reps, 2))
    results = {}
    for rep in range(reps):
        for backend in ctx.backends:
            for case in CASES:
                ctx.progress(f'separate {backend} {case} rep {rep + 1}/{reps}')
                ctx.redis.client(QUEUE_DB).flushdb()
                result = run_case(ctx, case, backend, n, IDLE_POLL_MAX)
                for key, value in result.items():
                    results.setdefault((backend, case, key), []).append(value)
    rows, checks = [], []
    for backend in ctx.backends:
        base = summary(results[(backend, 'stock', 'rate')])['median']
        for case in CASES:
            for key, metric, unit in (('rate', 'throughput', 'jobs/s'),
                                      ('recorded_rate', 'recorded', 'jobs/s'),
                                      ('consumer_cpu_us', 'CPU per job, consumer', 'µs'),
                                      ('producer_cpu_us', 'CPU per job, producer', 'µs')):
                if key == 'recorded_rate' and case == 'stock':
                    continue   # no ledger: recorded is ran
                stats = summary(results[(backend, case, key)])
                ratio = stats['median'] / base if unit == 'jobs/s' and case != 'stock' else None
                rows.append(row(f'{backend} {case}', metric, stats, unit, ratio=ratio,
                                baseline='stock' if ratio else None))
        ratio = summary(results[(backend, 'collab', 'rate')])['median'] / base
        checks.append(check(f'{backend} collab / stock throughput', ratio, f'≥ {TARGET}',
                            ratio >= TARGET))
    return {'title': f'1c. Separate processes: {n:,} no-op jobs, Collab\'s worker against '
                     f'huey_consumer, {WORKERS} threads',
            'notes': ['stock = huey_consumer -w 4 -k thread with Collab\'s polling '
                      f'(-d 0.05 -m {IDLE_POLL_MAX:g}) on a stock RedisHuey/SqliteHuey; '
                      'collab = python run.py worker, the producer calls the task; '
                      'collab-outbox = the same worker, enqueued as a web request does',
                      'throughput: first enqueue to last task run, timed in the producer '
                      'process; recorded: until the ledger has every job as succeeded',
                      'CPU per job: user + system of each process from /proc over the '
                      'producer\'s life (the consumer\'s includes its ledger writing)'],
            'rows': rows, 'checks': checks}


def run_case(ctx, case, backend, n, idle_poll_max, timeout=600):
    """One repetition: start the consumer, let it idle, run the producer, stop the consumer."""
    data_dir = Path(tempfile.mkdtemp(prefix='collab-bench-separate-'))
    env = {key: value for key, value in os.environ.items()
           if key not in ('REDIS_URL', 'DATABASE_URL', 'BENCH_QUEUE_URL', 'BENCH_QUEUE_FILE')}
    env.update(PYTHONPATH=str(ROOT), BENCH_REDIS_URL=ctx.redis.url(0),
               BENCH_COUNTER_KEY=f'bench:done:{uuid.uuid4().hex}')
    if case == 'stock':
        if backend == 'redis':
            env['BENCH_QUEUE_URL'] = ctx.redis.url(QUEUE_DB)
        else:
            env['BENCH_QUEUE_FILE'] = str(data_dir / 'stock-queue.db')
        command = [PYTHON, '-m', 'huey.bin.huey_consumer', 'bench.stock.huey',
                   '-w', str(WORKERS), '-k', 'thread', '-d', '0.05', '-m', str(idle_poll_max),
                   '-s', '1']
    else:
        env.update(DATA_DIR=str(data_dir), SECRET_KEY='bench-secret-0123456789abcdefghij',
                   HUEY_WORKERS=str(WORKERS),
                   TASK_MODULES='bench.tasks', SHUTDOWN_GRACE='3',
                   # Catching up the periodic tasks is a first start's work, not the steady state's.
                   CATCH_UP_PERIODIC='0')
        if backend == 'redis':
            env['REDIS_URL'] = ctx.redis.url(QUEUE_DB)
        command = [PYTHON, 'run.py', 'worker']
    consumer_log = open(data_dir / 'consumer.log', 'wb')
    out, err = open(data_dir / 'producer.out', 'w+b'), open(data_dir / 'producer.err', 'w+b')
    consumer = subprocess.Popen(command, cwd=ROOT, env=env, stdout=consumer_log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    producer = None
    try:
        # Both consumers log Huey's start line once their workers run; the producer
        # starts after it (two processes creating Collab's schema at once collide).
        wait_until(lambda: _alive(consumer, data_dir) and b'Huey consumer started' in
                   (data_dir / 'consumer.log').read_bytes(), 60, 0.05, f'the {case} consumer')
        cpu_before = _cpu_seconds(consumer.pid)
        config = {'case': case, 'backend': backend, 'tasks': n}
        producer = subprocess.Popen([PYTHON, '-m', 'bench.separate', json.dumps(config)],
                                    cwd=ROOT, env=env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while producer.poll() is None and time.monotonic() < deadline:
            _alive(consumer, data_dir)
            time.sleep(0.05)
        consumer_cpu = _cpu_seconds(consumer.pid) - cpu_before
        lines = _read(out).strip().splitlines()
        if producer.returncode != 0 or not lines:
            raise RuntimeError(f'{case} producer failed ({producer.returncode}): '
                               f'{_read(err)[-2000:]}')
        result = json.loads(lines[-1])
        result['consumer_cpu_us'] = consumer_cpu / n * 1e6
        return result
    finally:
        if producer is not None and producer.poll() is None:
            producer.kill()
            producer.wait()
        _stop(consumer)
        for file in (consumer_log, out, err):
            file.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def _alive(process, data_dir):
    if process.poll() is not None:
        log = (data_dir / 'consumer.log').read_bytes().decode(errors='replace')
        raise RuntimeError(f'the consumer exited ({process.returncode}): {log[-2000:]}')
    return True


def _cpu_seconds(pid):
    """User + system CPU seconds of a process so far (its threads together)."""
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _read(file):
    file.seek(0)
    return file.read().decode(errors='replace')


def _stop(process):
    """SIGINT, the graceful stop of both consumers; SIGKILL if one lingers."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


# ------------------------------------------------------------------ the producer process

def enqueuer(case):
    """A function enqueueing job i, as this case's producer does."""
    if case == 'stock':
        from bench.stock import noop
        return noop
    from collab.app import create_app
    app = create_app()   # binds the database and the queue, starts the outbox dispatcher
    from bench.tasks import noop
    if case == 'collab':
        return noop
    from collab.enqueue import enqueue, wake_dispatcher
    from collab.transactions import writing

    def request(i):
        # A view's write transaction, then what the request's teardown does after it.
        # The database connection stays open from job to job: a real request opens
        # its own, which costs more than the job itself and is not the worker's part.
        with app.app_context():
            with writing():
                enqueue(noop, i)
            wake_dispatcher()
    return request


def produce(cfg):
    n = cfg['tasks']
    enqueue = enqueuer(cfg['case'])
    # A warm-up job through the same path: the consumer is taking work (and the
    # producer's connections are open) before the clock starts; then it idles.
    enqueue(-1)
    wait_until(lambda: work.count() >= 1, 60, message='the warm-up job')
    time.sleep(WARMUP_IDLE)
    cpu_began = time.process_time()
    began = time.perf_counter()
    for i in range(n):
        enqueue(i)
    enqueued = time.perf_counter()
    wait_until(lambda: work.count() >= n + 1, 300, interval=0.005, message=f'{n} jobs')
    ran = time.perf_counter()
    cpu = time.process_time() - cpu_began
    if cfg['case'] != 'stock':
        wait_until(lambda: _succeeded() >= n + 1, 120, interval=0.01,
                   message=f'the ledger to record {n} jobs')
    recorded = time.perf_counter()
    return {'tasks': n, 'enqueue_s': enqueued - began, 'run_s': ran - began,
            'rate': n / (ran - began), 'recorded_rate': n / (recorded - began),
            'enqueue_rate': n / (enqueued - began), 'producer_cpu_us': cpu / n * 1e6}


def _succeeded():
    """Bench jobs the ledger has as succeeded (read with plain SQLite, apart from the app)."""
    path = Path(os.environ['DATA_DIR']) / 'collab.db'
    with closing(sqlite3.connect(path, timeout=10)) as db:
        return db.execute("SELECT count(*) FROM job WHERE state = 'succeeded' "
                          "AND task LIKE '%noop'").fetchone()[0]


if __name__ == '__main__':
    print(json.dumps(produce(json.loads(sys.argv[1]))), flush=True)
    os._exit(0)   # the app's threads (dispatcher, broadcast) need no orderly end here
