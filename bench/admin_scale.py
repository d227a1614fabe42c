"""The admin dashboard at scale: fill the job ledger with realistic rows, then
time the pages and JSON an admin uses (p50/p95 over repeated requests).

    python bench/admin_scale.py DATA_DIR [--rows 1000000] [--repeat 30]

DATA_DIR gets its own SQLite database (or DATABASE_URL from the environment);
rows already there are kept, so a second run only measures.

Besides the jobs, the fill writes what the searches look through: failed and
retrying jobs get one of a few error texts (ERRORS, in those proportions), and
the jobs of the tasks that log (LOGGING_TASKS, about a quarter of all) get a
per-job log row of a few records, a rare word in LOG_RARE_SHARE of them.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collab.app import create_app  # noqa: E402
from collab.jobs import args_index, log_search  # noqa: E402
from collab.db import database  # noqa: E402
from collab.fields import iso, utcnow  # noqa: E402
from collab.jobs.models import Job, JobAttempt, JobLogChunk  # noqa: E402
from collab.settings import Settings  # noqa: E402
from collab.users import create_or_promote_admin  # noqa: E402

TASKS = ['activity.log_activity', 'notifications.send_notification',
         'notifications.send_push_notification', 'notifications.send_batch_notifications',
         'documents.process_document_version', 'documents.index_document',
         'documents.cleanup_old_versions', 'workspaces.export_workspace',
         'activity.generate_daily_digest', 'online_status.sync_online_status',
         'workspaces.cleanup_expired_invites', 'documents.full_reindex']
TASK_WEIGHTS = [30, 25, 10, 2, 10, 10, 3, 1, 1, 6, 1, 1]
STATES = ['succeeded', 'failed', 'queued', 'scheduled', 'running', 'retrying',
          'revoked', 'expired', 'interrupted']
STATE_WEIGHTS = [9300, 300, 150, 80, 20, 50, 50, 25, 25]
SPAN = timedelta(days=14)
BATCH = 5000
ADMIN = ('bench-admin@example.com', 'bench admin password')
# (error text, weight): what failed and retrying jobs end with.
ERRORS = [('ConnectionError: push gateway timed out', 60),
          ('ConnectionRefusedError: [Errno 111] Connection refused', 25),
          ('ValueError: document has no current version', 10),
          ('TimeoutError: the export took longer than 300 s', 5)]
# The tasks whose jobs log a few lines each (with a word in common), a rare
# word in a small share of them.
LOGGING_TASKS = {'documents.process_document_version', 'documents.index_document',
                 'documents.cleanup_old_versions', 'workspaces.export_workspace',
                 'activity.generate_daily_digest', 'documents.full_reindex'}
LOG_COMMON_WORD = 'rendered'
LOG_RARE_WORD = 'checksum-mismatch'
LOG_RARE_SHARE = 0.001
TRACEBACK = ('Traceback (most recent call last):\n  File "tasks/notifications.py", line 42, '
             'in send_notification\n    deliver(user_id, data)\nConnectionError: push gateway '
             'timed out\n')


def job_row(seq, start, rng):
    task = rng.choices(TASKS, TASK_WEIGHTS)[0]
    state = rng.choices(STATES, STATE_WEIGHTS)[0]
    enqueued = start + SPAN * (seq / ROWS)
    started = enqueued + timedelta(milliseconds=rng.randint(1, 400))
    duration = round(rng.lognormvariate(3, 1), 3)
    finished = started + timedelta(milliseconds=duration)
    final = state in ('succeeded', 'failed', 'revoked', 'expired', 'interrupted')
    args = {'args': [rng.randint(1, 5000), rng.randint(1, 20000), rng.choice(
        ['document.updated', 'message.posted', 'member.joined', 'file.uploaded']),
        f'user-{rng.randint(1, 3000)}@example.com']}
    attempts = {'failed': 4, 'retrying': rng.randint(1, 3)}.get(state, 1)
    return {
        'job_id': str(uuid.UUID(int=rng.getrandbits(128))), 'task': task,
        'args': args, 'message': None, 'state': state,
        'attempts': 0 if state in ('queued', 'scheduled') else attempts, 'max_attempts': 4,
        'enqueued_at': enqueued,
        'scheduled_for': enqueued + timedelta(minutes=5) if state == 'scheduled' else None,
        'started_at': started if state not in ('queued', 'scheduled') else None,
        'finished_at': finished if final else None,
        'duration_ms': duration if final else None,
        'error': (rng.choices([e for e, _ in ERRORS], [w for _, w in ERRORS])[0]
                  if state in ('failed', 'retrying') else None),
        'consumer': 'bench-host:1234:abcdef',
    }


def log_row(job, rng):
    """The per-job log row of a job of a task that logs (as collab/jobs/job_logs.py stores it)."""
    at = iso(job['started_at'])
    logger = job['task'].rsplit('.', 1)[0]
    document = rng.randint(1, 50000)
    records = [[at, 'INFO', logger, f'loading document {document}'],
               [at, 'INFO', logger, f'{LOG_COMMON_WORD} {rng.randint(1, 400)} blocks of '
                                    f'document {document}']]
    if rng.random() < LOG_RARE_SHARE:
        records.append([at, 'WARNING', logger, f'{LOG_RARE_WORD} on block {rng.randint(1, 400)}'])
    if job['error']:
        records.append([at, 'ERROR', logger, f'giving up: {job["error"]}'])
    return {'job_id': job['job_id'], 'attempt_started': job['started_at'],
            'records': json.dumps(records)}


def fill(rows):
    """Insert `rows` jobs oldest first, BATCH per transaction; failed/retrying ones get
    attempts, the jobs of tasks that log get their log row."""
    global ROWS
    ROWS = rows
    have = Job.select().count()
    if have >= rows:
        print(f'ledger already holds {have:,} jobs; measuring only')
        return
    rng = random.Random(7)
    start = utcnow() - SPAN
    began = time.perf_counter()
    for offset in range(have, rows, BATCH):
        batch = [job_row(seq, start, rng) for seq in range(offset, min(rows, offset + BATCH))]
        attempts = [{'job_id': j['job_id'], 'started_at': j['started_at'], 'finished_at': j['finished_at'],
                     'outcome': 'error', 'error': j['error'], 'traceback': TRACEBACK,
                     'consumer': j['consumer']}
                    for j in batch if j['error'] for _ in range(j['attempts'])]
        logs = [log_row(j, rng) for j in batch if j['task'] in LOGGING_TASKS and j['started_at']]
        with database.atomic():
            Job.insert_many(batch).execute()
            if attempts:
                JobAttempt.insert_many(attempts).execute()
            if logs:
                JobLogChunk.insert_many(logs).execute()
    print(f'filled {rows - have:,} jobs in {time.perf_counter() - began:.1f} s')


def searched_rows():
    """How many rows the error and log searches have to look through."""
    return {'jobs_with_error': Job.select().where(Job.error.is_null(False)).count(),
            'log_rows': JobLogChunk.select().count()}


def index_jobs():
    """Bring the search indexes (args, logs) up to date, as a running server's periodic
    task does (tasks/housekeeping.py): the fill wrote the rows directly. Returns the
    seconds taken."""
    began = time.perf_counter()
    added = args_index.catch_up()
    logs = log_search.INDEX.catch_up()
    took = time.perf_counter() - began
    print(f'indexed {added:,} jobs and {logs:,} log rows for search in {took:.1f} s')
    return took


def admin_headers(client):
    create_or_promote_admin(*ADMIN)
    token = client.post('/api/auth/login', json={'email': ADMIN[0], 'password': ADMIN[1]}).json['token']
    return {'Authorization': f'Bearer {token}'}


def sample_ids():
    failed = (Job.select(Job.job_id)
              .where((Job.state == 'failed') & Job.task.in_(sorted(LOGGING_TASKS)))
              .order_by(Job.seq.desc()).first()
              or Job.select(Job.job_id).where(Job.state == 'failed').order_by(Job.seq.desc()).first())
    middle = Job.select(Job.job_id).where(Job.seq == Job.select(Job.seq).order_by(Job.seq.desc()).scalar() // 2).first()
    return failed.job_id, (middle or failed).job_id


def cases():
    failed_id, old_id = sample_ids()
    since = (utcnow() - timedelta(hours=6)).strftime('%Y-%m-%dT%H:%M')
    tabs = ['queued', 'scheduled', 'running', 'retrying', 'failed', 'succeeded', 'ended']
    yield 'page: all jobs (first page + counts)', '/admin/jobs'
    for tab in tabs:
        yield f'page: tab {tab}', f'/admin/jobs?state={tab}'
    yield 'page: failed + task filter', '/admin/jobs?state=failed&task=notifications.send_notification'
    yield 'page: search args (common term)', '/admin/jobs?q=member.joined'
    yield 'page: search args (rare term)', '/admin/jobs?q=user-2999%40example.com'
    yield 'page: search args (no match: a full scan)', '/admin/jobs?q=no-such-text-anywhere'
    yield 'page: search by job id', f'/admin/jobs?q={old_id}'
    yield 'page: id prefix, 8 chars', f'/admin/jobs?q={old_id[:8]}'
    yield 'page: id prefix, 13 chars', f'/admin/jobs?q={old_id[:13]}'
    yield 'page: error search, common', '/admin/jobs?q=timed%20out'
    yield 'page: error search, rarer', '/admin/jobs?q=Connection%20refused'
    yield 'page: error search, failed', '/admin/jobs?state=failed&q=Connection%20refused'
    yield 'page: log search, common', f'/admin/jobs?q={LOG_COMMON_WORD}'
    yield 'page: log search, rare', f'/admin/jobs?q={LOG_RARE_WORD}'
    yield 'page: log search, succeeded', f'/admin/jobs?state=succeeded&q={LOG_RARE_WORD}'
    yield 'page: args search + since', f'/admin/jobs?q=member.joined&since={since}'
    yield 'page: time range, last 6 h', f'/admin/jobs?since={since}'
    yield 'page: second page (cursor)', '/admin/jobs?state=succeeded&cursor=500000'
    yield 'page: job detail (failed, 4 attempts)', f'/admin/jobs/{failed_id}'
    yield 'live region poll (partial)', '/admin/jobs?state=failed&partial=1'
    yield 'json: /admin/api/jobs', '/admin/api/jobs'
    yield 'json: /admin/api/jobs?state=failed&task=…', '/admin/api/jobs?state=failed&task=documents.index_document'
    yield 'json: /admin/api/jobs/<id>', f'/admin/api/jobs/{failed_id}'
    yield 'json: job graph', f'/admin/api/jobs/{failed_id}/graph'
    yield 'json: jobs, log search', f'/admin/api/jobs?q={LOG_RARE_WORD}'
    yield 'json: /admin/api/counts', '/admin/api/counts'
    yield 'json: counts, task filter', '/admin/api/counts?task=documents.index_document'
    yield 'json: counts, time range', f'/admin/api/counts?since={since}'
    yield 'json: counts, search args', '/admin/api/counts?q=member.joined'
    yield 'json: counts, search error', '/admin/api/counts?q=Connection%20refused'
    yield 'json: counts, search logs', f'/admin/api/counts?q={LOG_RARE_WORD}'
    yield 'json: counts, search no match', '/admin/api/counts?q=no-such-text-anywhere'
    yield 'page: schedule', '/admin/schedule'
    yield 'json: schedule', '/admin/api/schedule'
    yield 'page: consumers & stats', '/admin/system'
    yield 'page: task (charts)', '/admin/tasks/notifications.send_notification'
    yield 'json: /admin/api/stats', '/admin/api/stats'
    yield 'json: dead letters', '/admin/api/dead-letters'
    yield 'page: users', '/admin/users'
    yield 'metrics', '/metrics'


def measure(client, headers, url, repeat):
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.data[:300])
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_dir')
    parser.add_argument('--rows', type=int, default=1_000_000)
    parser.add_argument('--repeat', type=int, default=30)
    args = parser.parse_args(argv)
    env = {'DATA_DIR': args.data_dir, 'SECRET_KEY': 'bench-secret-key-0123456789abcdef'}
    if os.environ.get('DATABASE_URL'):
        env['DATABASE_URL'] = os.environ['DATABASE_URL']
    app = create_app(Settings.from_mapping(env))
    client = app.test_client()
    database.connect(reuse_if_open=True)
    fill(args.rows)
    index_jobs()
    headers = admin_headers(client)
    print(f'{"case":48} {"p50 ms":>8} {"p95 ms":>8}')
    worst = 0.0
    for name, url in cases():
        measure(client, headers, url, 2)   # warm the page cache
        p50, p95 = measure(client, headers, url, args.repeat)
        worst = max(worst, p95)
        print(f'{name:48} {p50:8.1f} {p95:8.1f}')
    print(json.dumps({'rows': args.rows, 'worst_p95_ms': round(worst, 1)}))


if __name__ == '__main__':
    main()
