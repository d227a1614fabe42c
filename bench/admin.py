"""Figure 5: the admin dashboard at 1,000,000 recorded jobs, idle and while tasks run.

Uses bench/admin_scale.py (the dashboard's own scale script) for the ledger fill
and the list of pages; this module adds the "while tasks run" variant: an
embedded consumer in the same process runs jobs (a no-op that logs 3 lines)
enqueued at a steady rate while the pages are timed. Per page the two variants alternate; the
baseline of each busy figure is the same page idle.

The filled database is kept in $TMPDIR/collab-bench-admin-v<FILL_VERSION>-<rows>
and reused.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import PYTHON, ROOT, check, row

TARGET_P95_MS = 50
LOAD_RATE = 100   # jobs per second while "busy" (each logs a few lines: capture is on)
# Bumped when the fill writes other rows: a ledger filled by an older version is not reused.
FILL_VERSION = 2


def run(ctx):
    rows_wanted = ctx.admin_rows
    repeat = 10 if ctx.quick else 30
    data_dir = Path(tempfile.gettempdir()) / f'collab-bench-admin-v{FILL_VERSION}-{rows_wanted}'
    ctx.progress(f'admin: {rows_wanted:,} jobs in {data_dir} (filled once, then reused)')
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'BENCH_REDIS_URL': ctx.redis.url(0),
           'BENCH_COUNTER_KEY': 'bench:admin'}
    out = subprocess.run([PYTHON, '-m', 'bench.admin', str(data_dir), str(rows_wanted),
                          str(repeat)], cwd=ROOT, env=env, capture_output=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.decode(errors='replace')[-3000:])
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    rows, checks = [], []
    worst = {'idle': (0.0, ''), 'busy': (0.0, '')}
    for case in result['cases']:
        if 'error' in case:
            rows.append(row(case['name'], 'error', {'median': case['error'][:40]}))
            continue
        for variant in ('idle', 'busy'):
            p50, p95 = case[variant]
            base = case['idle'][1]
            rows.append(row(f'{case["name"][:27]} [{variant}]', 'p95',
                            {'median': p95, 'min': p50, 'max': p95, 'n': repeat}, 'ms',
                            ratio=p95 / base if variant == 'busy' and base else None,
                            baseline='idle p95'))
            worst[variant] = max(worst[variant], (p95, case['name']))
    for variant, (p95, name) in worst.items():
        checks.append(check(f'admin worst page p95 [{variant}] ({name})', p95,
                            f'≤ {TARGET_P95_MS} ms', p95 <= TARGET_P95_MS))
    failed = [r for r in rows if r['metric'] == 'p95' and r['median'] > TARGET_P95_MS]
    return {'title': f'5. Admin at {rows_wanted:,} recorded jobs (p95, with p50 as min)',
            'notes': [f'{repeat} requests per page and variant, in-process test client; '
                      f'busy = {LOAD_RATE} jobs/s (a no-op that logs 3 lines) run by an '
                      'embedded consumer meanwhile; '
                      f'fill took {result["fill_s"]:.0f} s' if result['fill_s'] else
                      f'{repeat} requests per page and variant; busy = {LOAD_RATE} jobs/s',
                      'min–max column: p50–p95',
                      'what the searches go through: {jobs_with_error:,} jobs with an error, '
                      '{log_rows:,} per-job log rows'.format(**result['searched']),
                      f'args search index caught up after the fill in {result["index_s"]:.1f} s '
                      '(as the periodic housekeeping.index_job_args does; ~0 when already current)',
                      f'{len(failed)} page/variant p95 over {TARGET_P95_MS} ms'],
            'rows': rows, 'checks': checks}


def measure_main(data_dir, rows_wanted, repeat):
    """In a process of its own: fill (once), then time every admin_scale case idle and busy."""
    from bench import admin_scale
    from collab.app import create_app
    from collab.db import database
    from collab.settings import Settings
    from collab.jobs.runner import ConsumerRunner

    # Retention at its largest: the consumer's hourly pruning (also at its start)
    # must not eat into the prepared ledger, which is reused from run to run.
    settings = Settings.from_mapping({'DATA_DIR': data_dir,
                                      'SECRET_KEY': 'bench-secret-key-0123456789abcdef',
                                      'TASK_MODULES': 'bench.tasks', 'HUEY_WORKERS': '4',
                                      'JOB_RETENTION_DAYS': '3650', 'FAILED_RETENTION_DAYS': '3650',
                                      'JOB_RETENTION_ROWS': str(10**9)})
    app = create_app(settings)
    client = app.test_client()
    began = time.perf_counter()
    with database.connection_context():
        admin_scale.fill(rows_wanted)
        fill_s = time.perf_counter() - began
        index_s = admin_scale.index_jobs()
        searched = admin_scale.searched_rows()
    runner = ConsumerRunner(settings, embedded=True, workers=4, periodic=False)
    runner.start()
    load = Load()
    cases = []
    # Requests close the thread's connection on teardown: reopen it for direct queries.
    database.connect(reuse_if_open=True)
    headers = admin_scale.admin_headers(client)
    database.connect(reuse_if_open=True)
    pages = list(admin_scale.cases())
    for name, url in pages:
        try:
            admin_scale.measure(client, headers, url, 2)   # warm the page cache
            idle = admin_scale.measure(client, headers, url, repeat)
            load.on()
            try:
                busy = admin_scale.measure(client, headers, url, repeat)
            finally:
                load.off()
            cases.append({'name': name, 'url': url, 'idle': idle, 'busy': busy})
        except Exception as exc:
            cases.append({'name': name, 'url': url, 'error': f'{type(exc).__name__}: {exc}'})
    load.off()
    print(json.dumps({'rows': rows_wanted, 'fill_s': fill_s if fill_s > 5 else 0,
                      'index_s': index_s, 'searched': searched, 'cases': cases}), flush=True)
    os._exit(0)


class Load:
    """A producer thread enqueueing no-op jobs at LOAD_RATE while switched on."""

    def __init__(self):
        self.active = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def on(self):
        self.active.set()

    def off(self):
        self.active.clear()

    def _run(self):
        from bench.tasks import noop_that_logs
        i = 0
        while True:
            self.active.wait()
            noop_that_logs(i)
            i += 1
            time.sleep(1 / LOAD_RATE)


if __name__ == '__main__':
    measure_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
