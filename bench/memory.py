"""Figure 7: RSS of `python run.py` (its process tree: the supervisor, gunicorn's
master and worker, the consumer) idle, then after every 2,000 of 10,000 no-op jobs; the baseline is the
idle RSS of the same process.

The jobs are enqueued by a helper process bound to the server's SQLite queue (the
server's consumer finds them by polling), so the server spends nothing on producing.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

from bench.common import PYTHON, ROOT, Server, check, process_tree_rss, row, summary, wait_until

IDLE_TARGET_MB = 120
GROWTH_TARGET = 1.10


def run(ctx):
    total = ctx.size(full=10_000, quick=1_000)
    batches = 5
    data_dir = tempfile.mkdtemp(prefix='collab-bench-memory-')
    counter = f'bench:done:{uuid.uuid4().hex}'
    env = {'TASK_MODULES': 'bench.tasks', 'BENCH_REDIS_URL': ctx.redis.url(0),
           'BENCH_COUNTER_KEY': counter}
    server = Server(data_dir, env=env).start()
    try:
        time.sleep(3)   # settle: first heartbeat, imports done
        idle = [_rss(server) for _ in range(3) if not time.sleep(0.5)]
        after, done = [], 0
        for b in range(batches):
            ctx.progress(f'memory: jobs {done + 1}–{done + total // batches}')
            _enqueue(server, total // batches, env)
            done += total // batches
            wait_until(lambda: int(ctx.redis.client().get(counter) or 0) >= done,
                       timeout=300, interval=0.1, message=f'{done} jobs to run')
            time.sleep(1.0)
            after.append(_rss(server))
    finally:
        server.stop()
    idle_total = summary([r['total'] for r in idle])
    idle_worker = summary([r['worker'] for r in idle])
    rows = [row('python run.py, idle', 'RSS total', idle_total, 'MB'),
            row('  of which the worker process', 'RSS', idle_worker, 'MB')]
    for k, r in enumerate(after):
        jobs = (k + 1) * total // batches
        rows.append(row(f'after {jobs:,} jobs', 'RSS total', summary([r['total']]), 'MB',
                        ratio=r['total'] / idle_total['median'], baseline='idle'))
    growth = after[-1]['total'] / idle_total['median']
    return {'title': f'7. Memory: RSS of python run.py idle and after {total:,} jobs',
            'notes': ['RSS total = gunicorn master (the run.py process) + its worker; '
                      'SQLite backend, 4 consumer threads'],
            'rows': rows, 'checks': [
                check('idle RSS (total)', idle_total['median'], f'≤ {IDLE_TARGET_MB} MB',
                      idle_total['median'] <= IDLE_TARGET_MB),
                check(f'RSS after {total:,} jobs / idle', growth, f'≤ {GROWTH_TARGET}',
                      growth <= GROWTH_TARGET)]}


def _rss(server):
    tree = process_tree_rss(server.process.pid)
    workers = [mb for pid, mb in tree.items() if pid != server.process.pid]
    return {'total': sum(tree.values()), 'worker': max(workers) if workers else 0.0}


def _enqueue(server, n, env):
    subprocess.run([PYTHON, '-m', 'bench.memory', str(server.data_dir), str(n)], cwd=ROOT,
                   env={**server.env, **env, 'PYTHONPATH': str(ROOT)}, check=True,
                   stdout=subprocess.DEVNULL)


def enqueue_main(data_dir, n):
    """Helper process: put n no-op jobs into the server's queue, with their ledger records."""
    import tasks
    from collab.startup import prepare
    from collab.settings import Settings
    from collab.jobs.instance import huey
    settings = Settings.from_mapping({**os.environ, 'DATA_DIR': data_dir})
    prepare(settings)
    tasks.configure(settings)
    from bench.tasks import noop
    for i in range(n):
        noop(i)
    huey.ledger.flush(60)


if __name__ == '__main__':
    enqueue_main(sys.argv[1], int(sys.argv[2]))
    print(json.dumps({'enqueued': int(sys.argv[2])}))
