"""Peers (`--peers`): figure 1's no-op workload on Celery and RQ, against raw Huey.

The same work as figure 1: n tasks, each one Redis INCR of a counter key of the
run's own (bench/noop.py, the very function raw Huey runs), enqueued one call
per task as fast as the producer can; the clock runs from the first enqueue
until the counter shows every task ran. Cases, interleaved in each repetition:

  raw      figure 1's raw Huey on Redis (bench.variant: producer and a 4-thread
           consumer in one process)
  celery   one `celery worker --pool threads --concurrency 4` process, Redis
           broker, results ignored; the producer is a process of its own
  rq       one rq SimpleWorker process (no fork per job; RQ has no thread
           pool, so this is one task at a time)
  rq x4    four SimpleWorker processes, the nearest RQ gets to 4 workers

Celery and RQ are optional (requirements-bench.txt); when one is missing its
rows say so instead of a figure. Each case's processes are started fresh per
repetition, on the benchmark's own redis-server, and always stopped.

    python -m bench.peers worker|produce '{"variant": "celery"|"rq"|"rq x4", ...}'
"""
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from bench import noop as work
from bench.common import PYTHON, ROOT, row, run_variant, summary, wait_until

WORKERS = 4
QUEUE = 'bench'
# case -> (package it needs, worker processes)
PEERS = {'celery': ('celery', 1), 'rq': ('rq', 1), 'rq x4': ('rq', WORKERS)}
CASES = ('raw', *PEERS)


def run(ctx):
    n = ctx.tasks or ctx.size(full=5000, quick=500)
    missing = {case for case, (package, _) in PEERS.items()
               if importlib.util.find_spec(package) is None}
    rates = {case: [] for case in CASES if case not in missing}
    for rep in range(ctx.reps):
        for case in rates:
            ctx.progress(f'peers {case} rep {rep + 1}/{ctx.reps}')
            config = ctx.variant_config(case, 'redis', mode='throughput', tasks=n)
            result = run_variant(config) if case == 'raw' else run_peer(config)
            rates[case].append(result['rate'])
    base = summary(rates['raw'])
    rows = []
    for case in CASES:
        if case in missing:
            rows.append(row(f'{case} (not installed)', 'throughput', {'median': None}, 'tasks/s'))
            continue
        stats = summary(rates[case])
        rows.append(row(case, 'throughput', stats, 'tasks/s', baseline='raw',
                        ratio=None if case == 'raw' else stats['median'] / base['median']))
    notes = ['raw = figure 1\'s raw RedisHuey: producer and 4 consumer threads in one process',
             'celery = one worker process, threads pool of 4, Redis broker, task_ignore_result; '
             'gossip, mingle and heartbeat off; the producer is a separate process',
             'rq = one SimpleWorker process (one task at a time); rq x4 = four SimpleWorker '
             'processes; result_ttl=0; the producer is a separate process',
             'so each peer has a process (and a GIL) more than raw Huey for the same work, '
             'rq x4 four more']
    for package in sorted({PEERS[case][0] for case in missing}):
        notes.append(f'{package} is not installed (pip install -r requirements-bench.txt): '
                     'its rows were not measured')
    return {'title': f'1b. Peers: {n:,} no-op tasks on Huey, Celery and RQ (Redis)',
            'notes': notes, 'rows': rows, 'checks': []}


def run_peer(config, timeout=600):
    """One repetition of a peer: its worker process(es) and a producer, all stopped after."""
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'BENCH_REDIS_URL': config['redis_url'],
           'BENCH_COUNTER_KEY': f'bench:done:{uuid.uuid4().hex}'}
    argv = lambda mode: [PYTHON, '-m', 'bench.peers', mode, json.dumps(config)]  # noqa: E731
    # Output goes to files, read at the end: nobody has to drain a pipe meanwhile.
    # Workers get sessions of their own, so stopping one reaches its children too.
    workers, logs, producer = [], [], None
    try:
        for _ in range(PEERS[config['variant']][1]):
            logs.append(tempfile.TemporaryFile())
            workers.append(subprocess.Popen(argv('worker'), cwd=ROOT, env=env,
                                            stdout=logs[-1], stderr=subprocess.STDOUT,
                                            start_new_session=True))
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        logs += [out, err]
        producer = subprocess.Popen(argv('produce'), cwd=ROOT, env=env, stdout=out, stderr=err)
        # A worker that dies (say, at import) fails the run now, not at the producer's timeout.
        deadline = time.monotonic() + timeout
        while producer.poll() is None:
            if any(w.poll() is not None for w in workers) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        lines = _read(out).strip().splitlines()
        if producer.returncode != 0 or not lines:
            raise RuntimeError(f'{config["variant"]} failed (producer {producer.returncode}, '
                               f'workers {[w.poll() for w in workers]}): {_read(err)[-2000:]}\n'
                               f'worker log: {"".join(_read(log)[-1500:] for log in logs[:-2])}')
        return json.loads(lines[-1])
    finally:
        if producer is not None and producer.poll() is None:
            producer.kill()
            producer.wait()
        for process in workers:
            _stop(process)
        for log in logs:
            log.close()


def _read(file):
    file.seek(0)
    return file.read().decode(errors='replace')


def _stop(process):
    """Warm shutdown (SIGTERM) of a worker's process group; SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------------ in the subprocesses

def celery_app(cfg):
    from celery import Celery
    app = Celery('bench-peers', broker=cfg['queue_url'])
    app.conf.update(task_ignore_result=True, task_default_queue=QUEUE,
                    broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)
    # The same function as raw Huey's task, registered under one name on both sides.
    return app, app.task(name='bench.noop', ignore_result=True)(work.noop)


def rq_queue(cfg):
    from redis import Redis
    from rq import Queue
    return Queue(QUEUE, connection=Redis.from_url(cfg['queue_url']))


def worker(cfg):
    if cfg['variant'] == 'celery':
        app, _ = celery_app(cfg)
        # Gossip, mingle and heartbeat are the cluster's chatter, not the task path.
        app.worker_main(['worker', '--pool=threads', f'--concurrency={WORKERS}',
                         '--loglevel=WARNING', '--without-gossip', '--without-mingle',
                         '--without-heartbeat'])
    else:
        from rq import SimpleWorker
        queue = rq_queue(cfg)
        SimpleWorker([queue], connection=queue.connection).work(logging_level='WARNING')


def produce(cfg):
    """Wait until the workers take tasks, then enqueue n and time until all ran."""
    n, workers = cfg['tasks'], PEERS[cfg['variant']][1]
    if cfg['variant'] == 'celery':
        _, task = celery_app(cfg)
        enqueue = task.delay
    else:
        from rq import Worker
        queue = rq_queue(cfg)
        # Every worker registered, so all of them are there before the clock starts.
        wait_until(lambda: Worker.count(queue=queue) >= workers, 60,
                   message=f'{workers} rq worker(s)')
        enqueue = lambda i: queue.enqueue(work.noop, i, result_ttl=0)  # noqa: E731
    # One warm-up task through the real path: the workers consume (and have imported
    # the task module) before the clock starts; it is counted as the baseline.
    enqueue(-1)
    wait_until(lambda: work.count() >= 1, 60, message='the warm-up task')
    time.sleep(0.3)
    base = work.count()
    began = time.perf_counter()
    for i in range(n):
        enqueue(i)
    enqueued = time.perf_counter()
    wait_until(lambda: work.count() >= base + n, 300, interval=0.005,
               message=f'{n} tasks')
    ran = time.perf_counter()
    return {'variant': cfg['variant'], 'backend': 'redis', 'tasks': n,
            'enqueue_s': enqueued - began, 'run_s': ran - began, 'rate': n / (ran - began),
            'enqueue_rate': n / (enqueued - began)}


if __name__ == '__main__':
    mode, config = sys.argv[1], json.loads(sys.argv[2])
    if mode == 'worker':
        worker(config)
    else:
        print(json.dumps(produce(config)), flush=True)
