"""Shared parts of the figures: variant subprocesses, statistics, the table, a real server.

The private redis-server, free_port and wait_until are bench.local's (the tests use them
too); the figures import them from here as well.
"""
import json
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

from bench.local import RedisServer as Redis, free_port, wait_until  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def start_variant(config):
    """Start `python -m bench.variant` with this config (a dict); returns the Popen."""
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'BENCH_REDIS_URL': config['redis_url'],
           'BENCH_COUNTER_KEY': f'bench:done:{uuid.uuid4().hex}'}
    return subprocess.Popen([PYTHON, '-m', 'bench.variant', json.dumps(config)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish_variant(process, timeout=600):
    """Wait for a variant process; its last stdout line is its JSON result."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise RuntimeError(f'variant timed out: {err.decode(errors="replace")[-2000:]}')
    lines = out.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise RuntimeError(f'variant failed ({process.returncode}): '
                           f'{err.decode(errors="replace")[-3000:]}')
    return json.loads(lines[-1])


def run_variant(config, timeout=600):
    return finish_variant(start_variant(config), timeout)


# ------------------------------------------------------------------ statistics

def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(round(q / 100 * len(ordered) + 0.4999)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values):
    """{median, min, max, n} of repetition values."""
    return {'median': statistics.median(values), 'min': min(values), 'max': max(values),
            'n': len(values), 'runs': [round(v, 4) for v in values]}


def row(case, metric, stats, unit='', ratio=None, baseline=None):
    return {'case': case, 'metric': metric, 'unit': unit, 'median': stats['median'],
            'min': stats.get('min'), 'max': stats.get('max'), 'n': stats.get('n'),
            'runs': stats.get('runs'), 'ratio': ratio, 'baseline': baseline}


def check(name, value, target, ok):
    return {'name': name, 'value': value, 'target': target, 'ok': bool(ok)}


def fmt(value):
    if value is None:
        return '–'
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f'{value:,.0f}'
    if abs(value) >= 100:
        return f'{value:.0f}'
    if abs(value) >= 10:
        return f'{value:.1f}'
    return f'{value:.2f}'


def table(figure):
    """Text table of one figure's rows (medians with min–max) and its checks."""
    lines = [f'\n== {figure["title"]}']
    for note in figure.get('notes', []):
        lines.append(f'   {note}')
    lines.append(f'   {"case":34} {"metric":18} {"median":>10} {"min–max":>21} {"ratio":>7}  n')
    for r in figure['rows']:
        span = f'{fmt(r["min"])}–{fmt(r["max"])}' if r['min'] is not None else ''
        ratio = f'{r["ratio"]:.2f}' if r['ratio'] is not None else ''
        metric = f'{r["metric"]} ({r["unit"]})' if r['unit'] else r['metric']
        lines.append(f'   {r["case"]:34} {metric:18} {fmt(r["median"]):>10} {span:>21} '
                     f'{ratio:>7}  {r["n"] or ""}')
    for c in figure.get('checks', []):
        mark = 'PASS' if c['ok'] else 'MISS'
        lines.append(f'   [{mark}] {c["name"]}: {fmt(c["value"])} (target {c["target"]})')
    return '\n'.join(lines)


# ------------------------------------------------------------------ a real server

class Server:
    """`python run.py [command]` in a subprocess on a free port (127.0.0.1 only)."""

    def __init__(self, data_dir, command=(), env=None, port=None):
        self.port = port or free_port()
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, 'PYTHONPATH': str(ROOT), 'DATA_DIR': str(data_dir),
                    'PORT': str(self.port), 'HOST': '127.0.0.1',
                    'SECRET_KEY': 'bench-secret-0123456789abcdefghij',
                    # The benchmark's users sign themselves up.
                    'SIGNUP': 'open', 'SHUTDOWN_GRACE': '3', **(env or {})}
        self.command = [PYTHON, 'run.py', *command]
        self.log_path = self.data_dir / f'server-{self.port}-{"-".join(command) or "main"}.log'
        self.process = None

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def start(self, wait=True):
        self.log = open(self.log_path, 'wb')
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        if wait:
            wait_until(self._healthy, timeout=60, interval=0.1,
                       message=f'the server on {self.url} (log: {self.log_path})')
        return self

    def _healthy(self):
        if self.process.poll() is not None:
            raise RuntimeError(f'server exited: {self.log_path.read_text()[-2000:]}')
        try:
            status, _ = http_json('GET', self.url + '/healthz', timeout=1)
            return status == 200
        except OSError:
            return False

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()


def http_json(method, url, body=None, token=None, timeout=10):
    """(status, parsed JSON body) of one request."""
    import urllib.error
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header('Content-Type', 'application/json')
    if token:
        request.add_header('Authorization', f'Bearer {token}')
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b'null')
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b'null')


class Api:
    """A registered, logged-in user of a running server."""

    def __init__(self, base, email, name='Bench', password='bench password 1'):
        self.base = base
        status, body = http_json('POST', base + '/api/auth/register',
                                 {'email': email, 'name': name, 'password': password})
        assert status in (201, 409, 400), (status, body)
        status, body = http_json('POST', base + '/api/auth/login',
                                 {'email': email, 'password': password})
        assert status == 200, (status, body)
        self.token, self.user = body['token'], body['user']

    def call(self, method, path, body=None, expect=(200, 201)):
        status, data = http_json(method, self.base + path, body, self.token)
        if status not in expect:
            raise RuntimeError(f'{method} {path} → {status}: {data}')
        return data


def process_tree_rss(pid):
    """{pid: RSS in MB} of a process and its descendants (from /proc)."""
    result, todo = {}, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f'/proc/{current}/status').read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith('VmRSS:'):
                result[current] = int(line.split()[1]) / 1024
        for task in Path(f'/proc/{current}/task').glob('*'):
            try:
                todo += [int(c) for c in (task / 'children').read_text().split()]
            except OSError:
                pass
    return result
