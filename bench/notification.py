"""Figure 4: an API call that triggers a notification → the frame on a WebSocket.

User A saves a document (PUT /api/documents/<id>); B, a member of the same
workspace, is connected to /ws and receives `document.updated` through
send_batch_notifications → send_notifications → fan-out. Two set-ups, sampled
alternately: `python run.py` (SQLite; the local channel carries the consumer's events) and across
processes (`run.py web` + `run.py worker` sharing Redis pub/sub). The baseline
is the API call's own response time.
"""
import json
import tempfile
import time

from simple_websocket import Client

from bench.common import Api, Server, check, percentile, row, summary, wait_until

TARGET_P99_MS = 100


class Setup:
    def __init__(self, name, servers, web):
        self.name, self.servers, self.web = name, servers, web

    def prepare(self):
        a = Api(self.web.url, 'author@example.com', 'Author')
        b = Api(self.web.url, 'reader@example.com', 'Reader')
        workspace = a.call('POST', '/api/workspaces', {'name': 'Bench'})
        invite = a.call('POST', f'/api/workspaces/{workspace["id"]}/invites',
                        {'email': 'reader@example.com'})
        b.call('POST', f'/api/invites/{invite["token"]}/accept')
        self.doc = a.call('POST', f'/api/workspaces/{workspace["id"]}/documents',
                          {'title': 'Doc', 'content': 'hello'})['id']
        self.author = a
        self.ws = Client.connect(f'ws://127.0.0.1:{self.web.port}/ws?token={b.token}')
        self.samples, self.api_ms = [], []
        self._drain(1.0)

    def _drain(self, seconds):
        while self.ws.receive(timeout=seconds) is not None:
            pass

    def sample(self, seq):
        marker = f'bench-{self.name}-{seq}'
        began = time.perf_counter()
        self.author.call('PUT', f'/api/documents/{self.doc}', {'title': marker, 'content': marker})
        answered = time.perf_counter()
        deadline = began + 10
        while time.perf_counter() < deadline:
            text = self.ws.receive(timeout=max(0.01, deadline - time.perf_counter()))
            if text and marker in text and json.loads(text).get('type') == 'notification':
                self.samples.append((time.perf_counter() - began) * 1000)
                self.api_ms.append((answered - began) * 1000)
                return
        raise TimeoutError(f'{self.name}: no notification frame within 10 s')

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        for server in reversed(self.servers):
            server.stop()


def _setups(ctx):
    local = Server(tempfile.mkdtemp(prefix='collab-bench-notify-'))
    shared = tempfile.mkdtemp(prefix='collab-bench-notify-redis-')
    env = {'REDIS_URL': ctx.redis.url(20)}
    ctx.redis.client(20).flushdb()
    worker = Server(shared, command=('worker',), env=env)
    web = Server(shared, command=('web',), env=env)
    return [Setup('in-process', [local], local), Setup('redis', [worker, web], web)]


def run(ctx):
    samples = ctx.size(full=60, quick=10)
    setups = _setups(ctx)
    try:
        setups[0].servers[0].start()
        # One after the other: both would create the schema of a fresh database at once.
        worker = setups[1].servers[0].start(wait=False)
        wait_until(lambda: 'started' in worker.log_path.read_text(), timeout=60,
                   message='the worker to start')
        setups[1].servers[1].start()
        for setup in setups:
            setup.prepare()
        ctx.progress(f'notification: {samples} samples per set-up, alternating')
        for seq in range(samples):
            for setup in setups:
                setup.sample(seq)
                time.sleep(0.1)
    finally:
        for setup in setups:
            setup.close()
    rows, checks = [], []
    for setup in setups:
        lat, api = setup.samples, setup.api_ms
        reps = min(ctx.reps, len(lat))
        blocks = [lat[i * len(lat) // reps:(i + 1) * len(lat) // reps] for i in range(reps)]
        p50 = summary([percentile(b, 50) for b in blocks])
        p50['median'] = percentile(lat, 50)
        api_p50 = percentile(api, 50)
        rows.append(row(f'{setup.name}: API call (baseline)', 'p50', {'median': api_p50,
                        'min': min(api), 'max': max(api), 'n': len(api)}, 'ms'))
        rows.append(row(f'{setup.name}: API call → frame', 'p50', p50, 'ms',
                        ratio=p50['median'] / api_p50, baseline='API call'))
        rows.append(row(f'{setup.name}: API call → frame', 'p99',
                        {'median': percentile(lat, 99), 'n': len(lat)}, 'ms'))
        checks.append(check(f'notification p99, {setup.name}', percentile(lat, 99),
                            f'≤ {TARGET_P99_MS} ms', percentile(lat, 99) <= TARGET_P99_MS))
    return {'title': '4. Notification: API call → WebSocket frame',
            'notes': ['in-process: python run.py (SQLite, consumer process, local channel); '
                      'redis: run.py web + run.py worker over Redis pub/sub'],
            'rows': rows, 'checks': checks}
