"""One variant in its own process: a producer and a 4-thread consumer, then one measurement.

    python -m bench.variant '{"variant": "raw"|"full"|"full-outbox", "backend": "redis"|"sqlite",
                              "mode": "throughput"|"alternating"|"idle"|"load", ...}'

Variants:
  raw          plain RedisHuey / SqliteHuey, default serializer, stock Consumer with the
               same consumer settings as Collab's runner (4 threads, same polling)
  full         Collab's Huey: signed messages, claims, ledger, 'stored' signal, wake
               signal, Collab's ConsumerRunner (heartbeat, recovery) — enqueued by a call,
               as one task enqueues another
  full-outbox  as full, enqueued as the web path does: an outbox row in a write
               transaction, then the dispatcher thread moves it to the queue and
               reports it to the ledger

The last line on stdout is the JSON result.
"""
import json
import os
import shutil
import sys
import tempfile
import threading
import time

from bench import noop as work
from bench.common import percentile, wait_until

WORKERS = 4


class Raw:
    def __init__(self, cfg, data_dir):
        from huey import RedisHuey, SqliteHuey
        from collab.jobs.consumer import IDLE_POLL_MAX   # the same polling as Collab's consumer
        if cfg['backend'] == 'redis':
            self.huey = RedisHuey('bench-raw', url=cfg['queue_url'])
        else:
            self.huey = SqliteHuey('bench-raw', filename=os.path.join(data_dir, 'raw-queue.db'),
                                   fsync=False, timeout=10)
        self.task = self.huey.task(name='bench.noop')(work.noop)
        self.consumer = self.huey.create_consumer(
            workers=WORKERS, worker_type='thread', periodic=True, scheduler_interval=1,
            initial_delay=0.05, max_delay=IDLE_POLL_MAX, check_worker_health=True)

    def start(self):
        self.consumer.start()

    def enqueue(self, i):
        self.task(i)

    def settle(self):
        pass


class Full:
    def __init__(self, cfg, data_dir):
        import tasks
        from collab.startup import prepare
        from collab.settings import Settings
        from collab.jobs.runner import ConsumerRunner
        env = {'DATA_DIR': data_dir, 'SECRET_KEY': 'bench-secret-0123456789abcdefghij',
               'HUEY_WORKERS': str(WORKERS),
               'TASK_MODULES': 'bench.tasks', 'SHUTDOWN_GRACE': '2'}
        if cfg['backend'] == 'redis':
            env['REDIS_URL'] = cfg['queue_url']
        env.update(cfg.get('env', {}))
        if cfg.get('log_file'):
            configure_logging(os.path.join(data_dir, 'process.log'))
        self.settings = Settings.from_mapping(env)
        prepare(self.settings)
        tasks.configure(self.settings)
        import bench.tasks
        self.task = getattr(bench.tasks, cfg.get('task', 'noop'))
        self.runner = ConsumerRunner(self.settings, embedded=True, workers=WORKERS,
                                     periodic=cfg.get('periodic', True))
        self.outbox = cfg['variant'] == 'full-outbox'
        self.log_handler = None   # the per-job log handler, once figure 1d looks for it
        if self.outbox:
            from collab.transactions import writing
            from collab.jobs import outbox
            self.writing, self.put, self.dispatcher = writing, outbox.put, outbox.dispatcher

    def start(self):
        self.runner.start()
        if self.outbox:
            self.dispatcher.start()

    def enqueue(self, i):
        if self.outbox:
            with self.writing():
                self.put(self.task.s(i))
            self.dispatcher.wake()
        else:
            self.task(i)

    def settle(self):
        """Wait until the ledger has written (and acked) everything so far."""
        from collab.jobs.instance import huey
        huey.ledger.flush(60)

    def index_logs(self):
        """Seconds to bring the log search index up to date: the periodic catch-up's
        work for the records of the run, which figure 1d reports apart from the blocks."""
        from collab.db import database
        from collab.jobs import log_search
        began = time.perf_counter()
        with database.connection_context():
            log_search.INDEX.catch_up()
        return time.perf_counter() - began

    def jobs_with_logs(self):
        """How many jobs have log rows (figure 1d checks that capture ran when on only)."""
        from collab.db import database
        from collab.jobs.models import JobLogChunk
        with database.connection_context():
            return JobLogChunk.select(JobLogChunk.job_id).distinct().count()

    def capture(self, on):
        """Keep per-job logs from now on, or not: the consumer's handler (attached at
        start, JOB_LOG_BYTES being its default) put on the root logger or taken off."""
        import logging
        from collab.jobs.job_logs import JobLogHandler
        root = logging.getLogger()
        if self.log_handler is None:
            self.log_handler = next(h for h in root.handlers if isinstance(h, JobLogHandler))
        (root.addHandler if on else root.removeHandler)(self.log_handler)


def configure_logging(path):
    """`run.py`'s logging (collab.cli.configure_logging: INFO and up, Huey's per-job
    lines left out), written to a file as a deployment's stderr is."""
    import logging
    from collab.cli import configure_logging as run_py_logging
    logging.basicConfig(filename=path, level=logging.INFO,
                        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    run_py_logging()   # basicConfig is done: this sets only the levels


def wait_done(n, timeout):
    wait_until(lambda: work.count() >= n, timeout, interval=0.005, message=f'{n} tasks to run')


def thread_cpu():
    """{thread name: CPU seconds (user + system) so far} for this process's threads."""
    ticks = os.sysconf('SC_CLK_TCK')
    found = {}
    for thread in threading.enumerate():
        try:
            stat = open(f'/proc/self/task/{thread.native_id}/stat').read()
        except OSError:   # the thread just ended, or no /proc here
            continue
        fields = stat.rsplit(')', 1)[1].split()   # after the name, which may hold spaces
        found[thread.name] = (int(fields[11]) + int(fields[12])) / ticks   # utime, stime
    return found


def throughput(app, cfg):
    """Enqueue n no-op tasks as fast as possible; time until all ran (and were recorded).
    Also the process's CPU per task, in all and per thread (producer, workers, writer)."""
    n = cfg['tasks']
    cpu_began, threads_began = time.process_time(), thread_cpu()
    began = time.perf_counter()
    for i in range(n):
        app.enqueue(i)
    enqueued = time.perf_counter()
    wait_done(n, timeout=300)
    ran = time.perf_counter()
    app.settle()
    settled = time.perf_counter()
    cpu_us = (time.process_time() - cpu_began) / n * 1e6
    per_task = {name: round((seconds - threads_began.get(name, 0)) / n * 1e6, 1)
                for name, seconds in thread_cpu().items()}
    return {'tasks': n, 'enqueue_s': enqueued - began, 'run_s': ran - began,
            'settled_s': settled - began, 'rate': n / (settled - began),
            'enqueue_rate': n / (enqueued - began), 'cpu_us_per_task': cpu_us,
            'thread_cpu_us_per_task': {name: us for name, us in per_task.items() if us}}


def alternating(app, cfg):
    """Blocks of `block` jobs, capture on and off in turn (on, off, off, on, ...: each
    pair of blocks has one of each, and neither always goes first), after one block
    with capture on to warm up. Per block: jobs/s until its jobs ran and the ledger
    wrote them, and CPU per job. The blocks of a pair are seconds apart: the drift
    of a shared machine's speed, which between separate runs is larger than the
    effect, hits both."""
    block, pairs = cfg['block'], cfg['pairs']
    done, blocks = 0, []
    for k in range(-1, 2 * pairs):
        on = k < 0 or k % 4 in (0, 3)
        app.capture(on)
        cpu_began, began = time.process_time(), time.perf_counter()
        for i in range(done, done + block):
            app.enqueue(i)
        done += block
        wait_done(done, timeout=300)
        app.settle()
        seconds = time.perf_counter() - began
        if k >= 0:
            blocks.append({'capture': on, 'rate': block / seconds,
                           'cpu_us_per_task': (time.process_time() - cpu_began) / block * 1e6})
    return {'tasks': done, 'blocks': blocks, 'jobs_with_logs': app.jobs_with_logs(),
            'jobs_with_capture': block * (pairs + 1),
            'log_index_us_per_task': app.index_logs() / (block * (pairs + 1)) * 1e6}


def idle(app, cfg):
    """One task every `gap` seconds from `start_at` (wall clock); latency enqueue → start."""
    gap, samples = cfg['gap'], cfg['samples']
    time.sleep(max(0.0, cfg['start_at'] - time.time()))
    origin = time.perf_counter()
    sent = {}
    for k in range(samples):
        time.sleep(max(0.0, origin + k * gap - time.perf_counter()))
        sent[k] = time.perf_counter()
        app.enqueue(k)
    wait_done(samples, timeout=60)
    app.settle()
    latencies = [(work.STARTS[k] - sent[k]) * 1000 for k in range(samples)]
    return {'latencies_ms': latencies}


def load(app, cfg):
    """Open-loop arrivals at `rate`/s for `seconds`; latency from the planned arrival → finish."""
    rate, seconds = cfg['rate'], cfg['seconds']
    n = max(1, int(rate * seconds))
    time.sleep(0.5)
    origin = time.perf_counter() + 0.05
    planned = [origin + i / rate for i in range(n)]
    late = 0
    for i, at in enumerate(planned):
        pause = at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        elif pause < -0.01:
            late += 1
        app.enqueue(i)
    wait_done(n, timeout=120)
    app.settle()
    latencies = [(work.ENDS[i] - planned[i]) * 1000 for i in range(n)]
    return {'tasks': n, 'rate': rate, 'late_arrivals': late,
            'p50_ms': percentile(latencies, 50), 'p99_ms': percentile(latencies, 99),
            'max_ms': max(latencies)}


MODES = {'throughput': throughput, 'alternating': alternating, 'idle': idle, 'load': load}


def main(cfg):
    data_dir = tempfile.mkdtemp(prefix='collab-bench-')
    work.client().delete(work.COUNTER_KEY)
    app = (Raw if cfg['variant'] == 'raw' else Full)(cfg, data_dir)
    app.start()
    time.sleep(cfg.get('warmup', 0.3))
    result = MODES[cfg['mode']](app, cfg)
    result.update(variant=cfg['variant'], backend=cfg['backend'])
    print(json.dumps(result), flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    os._exit(0)   # workers are threads; nothing left to clean (the data dir is in /tmp)


if __name__ == '__main__':
    main(json.loads(sys.argv[1]))
