"""Figure 6: document saves per second vs a trivial route, 8 concurrent clients,
against `python run.py` (gunicorn's gevent worker and a consumer process, SQLite).

A save is PUT /api/documents/<id> (each client its own document): it bumps the
version and enqueues the version → index pipeline and an activity record
through the outbox. The trivial route is GET /api/me (same bearer-token auth,
one indexed read). Variants interleaved, one persistent connection per client.
"""
import http.client
import json
import tempfile
import threading
import time

from bench.common import Api, Server, check, row, summary

CLIENTS = 8
TARGET = 0.4


def run(ctx):
    seconds = 1.0 if ctx.quick else 3.0
    server = Server(tempfile.mkdtemp(prefix='collab-bench-web-')).start()
    try:
        api = Api(server.url, 'writer@example.com')
        workspace = api.call('POST', '/api/workspaces', {'name': 'Bench'})
        docs = [api.call('POST', f'/api/workspaces/{workspace["id"]}/documents',
                         {'title': f'Doc {i}', 'content': 'hello'})['id'] for i in range(CLIENTS)]
        variants = {
            'trivial': lambda i, n: ('GET', '/api/me', None),
            'save': lambda i, n: ('PUT', f'/api/documents/{docs[i]}',
                                  {'content': f'version {n} of document {i}. ' * 20}),
        }
        rates = {name: [] for name in variants}
        _drive(server.port, api.token, variants['trivial'], 0.5)   # warm-up
        for rep in range(ctx.reps):
            for name, make in variants.items():
                ctx.progress(f'web {name} rep {rep + 1}/{ctx.reps}')
                rates[name].append(_drive(server.port, api.token, make, seconds))
    finally:
        server.stop()
    base, saves = summary(rates['trivial']), summary(rates['save'])
    ratio = saves['median'] / base['median']
    return {'title': f'6. Web: requests/s with {CLIENTS} concurrent clients',
            'notes': ['save = PUT /api/documents/<id> (enqueues version → index pipeline + '
                      'activity through the outbox); trivial = GET /api/me'],
            'rows': [row('GET /api/me (trivial)', 'requests/s', base, 'req/s'),
                     row('PUT /api/documents/<id> (save)', 'requests/s', saves, 'req/s',
                         ratio=ratio, baseline='trivial')],
            'checks': [check('document saves / trivial route', ratio, f'≥ {TARGET}',
                             ratio >= TARGET)]}


def _drive(port, token, make, seconds):
    """CLIENTS threads, each with its own keep-alive connection, for `seconds`; successful req/s."""
    counts, errors = [0] * CLIENTS, []
    start = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def client(i):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        headers = {'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'}
        start.wait()
        n = 0
        while time.perf_counter() < stop_at[0]:
            method, path, body = make(i, n)
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                counts[i] += 1
            else:
                errors.append(response.status)
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f'{len(errors)} failed requests, e.g. HTTP {errors[0]}')
    return sum(counts) / elapsed
