"""The benchmark harness still runs: a few hundred tasks, the result's structure."""
import json
import subprocess
import sys

import pytest

from tests.support import ROOT, RedisServer


@pytest.mark.bench
def test_bench_throughput_smoke(tmp_path):
    if not RedisServer.available():
        pytest.skip('redis-server is not installed')
    out = tmp_path / 'results.json'
    completed = subprocess.run(
        [sys.executable, 'run.py', 'bench', '--quick', '--only', 'throughput', '--reps', '1',
         '--tasks', '300', '--out', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results['machine']['python'] and results['machine']['cpus']
    figure = results['figures']['throughput']
    assert 'error' not in figure, figure.get('error')
    cases = {r['case'] for r in figure['rows']}
    assert cases == {f'{b} {v}' for b in ('redis', 'sqlite')
                     for v in ('raw', 'full', 'full-outbox')}
    for r in figure['rows']:
        assert r['median'] > 0 and r['min'] <= r['median'] <= r['max']
        assert (r['ratio'] is None) == r['case'].endswith('raw')
    assert {c['name'] for c in figure['checks']} >= {'redis full / raw throughput',
                                                     'sqlite full / raw throughput'}
    assert '1. Throughput' in completed.stdout


@pytest.mark.bench
def test_bench_peers_smoke(tmp_path):
    """`--peers`: raw Huey, Celery and RQ each run every one of a few hundred tasks."""
    if not RedisServer.available():
        pytest.skip('redis-server is not installed')
    out = tmp_path / 'results.json'
    completed = subprocess.run(
        [sys.executable, 'run.py', 'bench', '--quick', '--peers', '--only', 'peers',
         '--reps', '1', '--tasks', '300', '--out', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr[-3000:]
    figure = json.loads(out.read_text())['figures']['peers']
    assert 'error' not in figure, figure.get('error')
    rows = {r['case']: r for r in figure['rows']}
    # requirements-dev.txt installs requirements-bench.txt: no peer may be missing.
    assert set(rows) == {'raw', 'celery', 'rq', 'rq x4'}, figure['notes']
    for case, r in rows.items():
        # A rate exists only once the counter showed all 300 tasks ran.
        assert r['n'] == 1 and r['median'] > 0, (case, r)
        assert (r['ratio'] is None) == (case == 'raw')
    assert '1b. Peers' in completed.stdout
