"""`python run.py bench [--quick] [--only NAMES] [--reps N] [--out PATH] [--peers]`."""
import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

from bench.common import Redis, table

FIGURES = ['throughput', 'separate', 'logcapture', 'latency.idle', 'latency.load', 'memory', 'web', 'notification',
           'admin', 'connections']
PEERS = 'peers'   # Celery and RQ (bench/peers.py): only with --peers, after throughput
RESULTS = Path(__file__).resolve().parent / 'results.json'


class Context:
    """What every figure needs: sizes, repetitions, our redis-server, earlier figures' results."""

    def __init__(self, args, redis):
        self.quick = args.quick
        self.reps = args.reps
        self.backends = args.backends
        self.redis = redis
        self.admin_rows = args.admin_rows
        self.tasks = args.tasks
        self.max_rate = {}
        self.started = time.monotonic()

    def size(self, full, quick):
        return quick if self.quick else full

    def progress(self, message):
        print(f'[{time.monotonic() - self.started:6.1f}s] {message}', file=sys.stderr, flush=True)

    def variant_config(self, variant, backend, mode, queue_db=1, **extra):
        self.redis.client(queue_db).flushdb()
        return {'variant': variant, 'backend': backend, 'mode': mode,
                'redis_url': self.redis.url(0), 'queue_url': self.redis.url(queue_db), **extra}


def parse(argv):
    parser = argparse.ArgumentParser(prog='run.py bench', description=__doc__)
    parser.add_argument('--quick', action='store_true', help='small sizes (a smoke run)')
    parser.add_argument('--reps', type=int, default=5, help='repetitions per variant (≥ 5)')
    parser.add_argument('--only', default='',
                        help=f'comma-separated: {",".join(FIGURES)} ({PEERS} with --peers)')
    parser.add_argument('--skip', default='', help='comma-separated figures to leave out')
    parser.add_argument('--backends', default='redis,sqlite')
    parser.add_argument('--tasks', type=int, default=None,
                        help='tasks per throughput run (default 5,000; 500 quick)')
    parser.add_argument('--admin-rows', type=int, default=None,
                        help='ledger rows for the admin figure (default 1,000,000; 20,000 quick)')
    parser.add_argument('--out', default=str(RESULTS), help='where to write the JSON results')
    parser.add_argument('--peers', action='store_true',
                        help='also the same no-op workload on Celery and RQ '
                             '(pip install -r requirements-bench.txt)')
    args = parser.parse_args(argv)
    args.backends = [b for b in args.backends.split(',') if b]
    only = [f for f in args.only.split(',') if f]
    skip = [f for f in args.skip.split(',') if f]
    figures = list(FIGURES)
    if args.peers:
        figures.insert(figures.index('throughput') + 1, PEERS)
    args.figures = [f for f in figures if (not only or f in only or f.split('.')[0] in only)
                    and f not in skip and f.split('.')[0] not in skip]
    if args.admin_rows is None:
        args.admin_rows = 20_000 if args.quick else 1_000_000
    return args


def machine():
    return {'python': platform.python_version(), 'platform': platform.platform(),
            'cpus': os.cpu_count(), 'processor': _cpu_model(),
            'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}


def _cpu_model():
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run(argv=None):
    args = parse(argv or [])
    redis = Redis().start()
    ctx = Context(args, redis)
    results = {'machine': machine(), 'quick': args.quick, 'reps': args.reps, 'figures': {}}
    try:
        for name in args.figures:
            module, _, part = name.partition('.')
            figure_module = importlib.import_module(f'bench.{module}')
            runner = getattr(figure_module, f'{part}_run' if part else 'run')
            try:
                figure = runner(ctx)
            except Exception as exc:   # one broken figure must not lose the others
                ctx.progress(f'{name} failed: {type(exc).__name__}: {exc}')
                figure = {'title': name, 'error': f'{type(exc).__name__}: {exc}',
                          'rows': [], 'checks': []}
            results['figures'][name] = figure
            print(table(figure), flush=True)
            _write(args.out, results)
    finally:
        redis.stop()
    results['seconds'] = round(time.monotonic() - ctx.started, 1)
    _write(args.out, results)
    missed = [c['name'] for f in results['figures'].values() for c in f['checks'] if not c['ok']]
    print(f'\n{len(missed)} target(s) missed' + (': ' + '; '.join(missed) if missed else ''))
    print(f'results: {args.out} ({results["seconds"]} s)')
    return 0


def _write(path, results):
    Path(path).write_text(json.dumps(results, indent=1, default=str) + '\n')


def main():
    return run(sys.argv[1:])
