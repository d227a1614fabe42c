"""Figure "connections": one `python run.py` holding many idle WebSockets and
slow-header clients while a separate client's requests are timed.

The server (SQLite, the default shape: web server and consumer child) runs as
a subprocess; N users with a token each are written straight into its
database; a crowd process (bench/crowd.py, raw asyncio sockets) opens one
socket per user and keeps SLOW clients trickling header lines. Then, from this
process: p50/p99 of `GET /healthz` and `GET /api/workspaces`; one
`send_batch_notifications` to all N users, timed from the enqueue to each
socket's arrival; the RSS of the server's process tree; and the same request
latencies while the consumer runs a job of 5 s of pure-Python CPU.
"""
import json
import resource
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import PYTHON, ROOT, Server, check, percentile, process_tree_rss, row, wait_until
from collab.jobs.instance import huey

REQUESTS = 200
CPU_SECONDS = 5.0
TARGETS = {'p99_ms': 50, 'delivery_p99_s': 1.0, 'rss_mb': 300}


@huey.task(name='bench.spin')
def spin(seconds):
    """Pure-Python CPU work for this long (holds the consumer's GIL)."""
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += sum(i * i for i in range(1000))
    return n


def seed_users(data_dir, secret, n):
    """N users and a token each, written into the server's database; the tokens."""
    from collab.db import database
    from collab.models import ApiToken, User
    from collab.settings import Settings
    from collab.startup import prepare
    from collab.transactions import writing
    from collab.users import token_hash
    from werkzeug.security import generate_password_hash
    prepare(Settings.from_mapping({'DATA_DIR': str(data_dir), 'SECRET_KEY': secret}))
    password = generate_password_hash('crowd password 1')
    tag = uuid.uuid4().hex[:6]
    tokens = [uuid.uuid4().hex + uuid.uuid4().hex for _ in range(n)]
    with writing():
        User.insert_many([{'email': f'crowd{tag}{i}@example.com', 'name': f'Crowd {i}',
                           'password_hash': password} for i in range(n)]).execute()
        ids = [u.id for u in User.select(User.id).where(User.email.startswith(f'crowd{tag}'))
               .order_by(User.id)]
        ApiToken.insert_many([{'user': uid, 'token_hash': token_hash(t)}
                              for uid, t in zip(ids, tokens)]).execute()
    database.close()
    assert len(ids) == n
    return ids, tokens


class CrowdProcess:
    def __init__(self, port, tokens, slow, tokens_path):
        tokens_path.write_text(json.dumps(tokens))
        self.process = subprocess.Popen([PYTHON, '-m', 'bench.crowd', '127.0.0.1', str(port),
                                         str(tokens_path), str(slow)], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = json.loads(self.process.stdout.readline() or '{}')

    def report(self):
        self.process.stdin.write('report\n')
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self):
        try:
            self.process.stdin.close()
            self.process.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()


def time_requests(url, token, n):
    """Milliseconds of n GET /healthz and n GET /api/workspaces, alternating, one at a time."""
    import urllib.request
    times = {'/healthz': [], '/api/workspaces': []}
    for _ in range(n):
        for path in times:
            request = urllib.request.Request(url + path, headers={'Authorization': f'Bearer {token}'})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            times[path].append((time.perf_counter() - started) * 1000)
    return times


def stats(values):
    return {'median': percentile(values, 50), 'p99': percentile(values, 99), 'n': len(values)}


def measure(ctx, sockets, slow, command=(), env=None):
    raise_limit()
    data_dir = tempfile.mkdtemp(prefix='collab-bench-conn-')
    env = {'TASK_MODULES': 'bench.connections', **(env or {})}
    server = Server(data_dir, command=command, env=env).start()
    workers = []
    crowd = None
    try:
        if command == ('web',):
            workers.append(Server(data_dir, command=('worker',), env=env).start(wait=False))
        ctx.progress(f'connections: {sockets} users')
        user_ids, tokens = seed_users(data_dir, server.env['SECRET_KEY'], sockets + 1)
        reader = tokens.pop()
        user_ids.pop()
        crowd = CrowdProcess(server.port, tokens, slow, Path(data_dir) / 'tokens.json')
        ctx.progress(f'connections: {crowd.ready} open; timing requests')
        idle = time_requests(server.url, reader, ctx.size(full=REQUESTS, quick=50))
        processes = {**process_tree_rss(server.process.pid),
                     **{pid: mb for w in workers for pid, mb in process_tree_rss(w.process.pid).items()}}
        rss = sum(processes.values())
        breakdown = {f'{pid} {process_command(pid)}': mb for pid, mb in processes.items()}

        import tasks
        from collab.settings import Settings
        settings = Settings.from_mapping({'DATA_DIR': data_dir, 'SECRET_KEY': server.env['SECRET_KEY'],
                                          **({'REDIS_URL': env['REDIS_URL']} if 'REDIS_URL' in env else {})})
        tasks.configure(settings)
        marker = uuid.uuid4().hex
        sent = time.time()
        tasks.notifications.send_batch_notifications(user_ids, 'bench', {'marker': marker})
        wait_until(lambda: len(crowd.report()['heard'].get(marker, [])) >= len(user_ids),
                   timeout=120, interval=0.5, message='the batch to reach every socket')
        arrivals = [t - sent for t in crowd.report()['heard'][marker]]

        spin(CPU_SECONDS)
        time.sleep(0.5)   # the job is running in the consumer now
        loaded = time_requests(server.url, reader, ctx.size(full=60, quick=20))
        wait_until(lambda: len(crowd.report()['slow_dropped']) >= slow, timeout=60, interval=0.5,
                   message='every slow client to be dropped once')
        report = crowd.report()
        huey.storage.close()
        return {'open': crowd.ready.get('ready'), 'refused': crowd.ready.get('refused'),
                'greeted': crowd.ready.get('greeted'), 'greeted_s': crowd.ready.get('greeted_s'),
                'idle': {p: stats(v) for p, v in idle.items()},
                'cpu': {p: stats(v) for p, v in loaded.items()},
                'delivery': stats(arrivals), 'rss_mb': rss, 'rss_by_process': breakdown,
                'slow_dropped': len(report['slow_dropped']),
                'slow_drop_s': percentile(report['slow_dropped'], 50) if report['slow_dropped'] else None,
                'closed': report['closed']}
    finally:
        if crowd is not None:
            crowd.stop()
        for worker in workers:
            worker.stop()
        server.stop()


def process_command(pid):
    try:
        return Path(f'/proc/{pid}/cmdline').read_bytes().replace(b'\0', b' ').decode().strip()[-60:]
    except OSError:
        return '?'


def raise_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(ctx):
    sockets, slow = ctx.size(full=2000, quick=200), ctx.size(full=200, quick=20)
    cases = {'run.py (SQLite)': measure(ctx, sockets, slow)}
    if not ctx.quick and 'redis' in ctx.backends:
        cases['run.py web + worker (Redis)'] = measure(
            ctx, sockets, slow, command=('web',), env={'REDIS_URL': ctx.redis.url(3)})
    rows, checks = [], []
    for name, r in cases.items():
        for path in ('/healthz', '/api/workspaces'):
            for when in ('idle', 'cpu'):
                s = r[when][path]
                label = f'{name} GET {path}' + (' (5 s CPU job running)' if when == 'cpu' else '')
                rows.append(row(label, 'p50 ms', {'median': s['median'], 'n': s['n']}, 'ms'))
                rows.append(row(label, 'p99 ms', {'median': s['p99'], 'n': s['n']}, 'ms'))
                checks.append(check(f'{label} p99', s['p99'], f'≤ {TARGETS["p99_ms"]} ms',
                                    s['p99'] <= TARGETS['p99_ms']))
        d = r['delivery']
        rows.append(row(f'{name} batch to every socket', 'p99 s', {'median': d['p99'], 'n': d['n']}, 's'))
        rows.append(row(f'{name} server process tree', 'RSS MB', {'median': r['rss_mb'], 'n': 1}, 'MB'))
        rows.append(row(f'{name} slow clients dropped', 'median s',
                        {'median': r['slow_drop_s'] or 0, 'n': r['slow_dropped']}, 's'))
        rows.append(row(f'{name} every socket open and greeted', 's', {'median': r['greeted_s'], 'n': r['greeted']}, 's'))
        checks.append(check(f'{name} sockets open', r['open'], f'= {sockets}', r['open'] == sockets))
        checks.append(check(f'{name} delivery p99', d['p99'], f'≤ {TARGETS["delivery_p99_s"]} s',
                            d['p99'] <= TARGETS['delivery_p99_s'] and d['n'] == sockets))
        checks.append(check(f'{name} RSS', r['rss_mb'], f'≤ {TARGETS["rss_mb"]} MB',
                            r['rss_mb'] <= TARGETS['rss_mb']))
    return {'title': f'Connections: {sockets} idle WebSockets + {slow} slow-header clients',
            'notes': ['requests one at a time from the bench process, fresh connection each; '
                      'delivery timed from the enqueue of send_batch_notifications'],
            'rows': rows, 'checks': checks, 'raw': cases}

