"""The benchmark harness runs: a few hundred tasks, the result's structure."""
import json
import re
import subprocess
import sys

import pytest

from tests.support import ROOT, RedisServer, require


def run_bench(tmp_path, *options, timeout):
    """`run.py bench --quick` with one repetition of 300 tasks: (its output, its results)."""
    if not RedisServer.available():
        require('REQUIRE_REDIS', 'redis-server is not installed')
    out = tmp_path / 'results.json'
    completed = subprocess.run(
        [sys.executable, 'run.py', 'bench', '--quick', *options, '--reps', '1',
         '--tasks', '300', '--out', str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout, json.loads(out.read_text())


@pytest.mark.bench
def test_bench_throughput_smoke(tmp_path):
    stdout, results = run_bench(tmp_path, '--only', 'throughput', timeout=100)
    assert results['machine']['python'] and results['machine']['cpus']
    figure = results['figures']['throughput']
    assert 'error' not in figure, figure.get('error')
    cases = {r['case'] for r in figure['rows']}
    assert cases == {f'{b} {v}' for b in ('redis', 'sqlite')
                     for v in ('raw', 'full', 'full-outbox')}
    for r in figure['rows']:
        assert r['median'] > 0 and r['min'] <= r['median'] <= r['max']
        if r['metric'] == 'throughput':
            assert (r['ratio'] is None) == r['case'].endswith('raw')
    cpu = {(r['case'], r['metric']) for r in figure['rows'] if r['metric'].startswith('CPU')}
    # (Per-thread rows come in clock ticks: a few hundred tasks may show none.)
    assert {(case, 'CPU per task, all threads') for case in cases} <= cpu
    assert {c['name'] for c in figure['checks']} >= {'redis full / raw throughput',
                                                     'sqlite full / raw throughput'}
    assert '1. Throughput' in stdout


@pytest.mark.bench
def test_bench_peers_smoke(tmp_path):
    """`--peers`: raw Huey, Celery and RQ each run every one of a few hundred tasks."""
    stdout, results = run_bench(tmp_path, '--peers', '--only', 'peers', timeout=60)
    figure = results['figures']['peers']
    assert 'error' not in figure, figure.get('error')
    rows = {r['case']: r for r in figure['rows']}
    # requirements-dev.txt installs requirements-bench.txt: no peer may be missing.
    assert set(rows) == {'raw', 'celery', 'rq', 'rq x4'}, figure['notes']
    for case, r in rows.items():
        # A rate exists only once the counter showed all 300 tasks ran.
        assert r['n'] == 1 and r['median'] > 0, (case, r)
        assert (r['ratio'] is None) == (case == 'raw')
    assert '1b. Peers' in stdout


@pytest.mark.bench
def test_bench_separate_smoke(tmp_path):
    """Figure 1c: huey_consumer and `run.py worker`, each fed by a producer process."""
    stdout, results = run_bench(tmp_path, '--only', 'separate', timeout=90)
    figure = results['figures']['separate']
    assert 'error' not in figure, figure.get('error')
    rows = {(r['case'], r['metric']): r for r in figure['rows']}
    cases = {f'{b} {c}' for b in ('redis', 'sqlite') for c in ('stock', 'collab', 'collab-outbox')}
    # A rate exists only once the counter showed every task ran (and, for Collab,
    # the ledger had every job as succeeded).
    assert {case for case, metric in rows if metric == 'throughput'} == cases
    assert {case for case, metric in rows if metric == 'recorded'} == {
        c for c in cases if not c.endswith('stock')}
    for (case, metric), r in rows.items():
        assert r['n'] == 1 and r['median'] > 0, (case, metric, r)
        if metric == 'throughput':
            assert (r['ratio'] is None) == case.endswith('stock')
    assert {c['name'] for c in figure['checks']} == {'redis collab / stock throughput',
                                                     'sqlite collab / stock throughput'}
    assert '1c. Separate processes' in stdout


@pytest.mark.bench
def test_bench_connections_smoke(tmp_path):
    """200 sockets and 20 slow clients against a real run.py; every socket gets the batch."""
    stdout, results = run_bench(tmp_path, '--only', 'connections', timeout=120)
    figure = results['figures']['connections']
    assert 'error' not in figure, figure
    raw = figure['raw']['run.py (SQLite)']
    assert raw['open'] == 200 and raw['delivery']['n'] == 200
    assert {c['name'] for c in figure['checks']} >= {'run.py (SQLite) RSS',
                                                     'run.py (SQLite) delivery p99'}
    assert 'Connections' in stdout


@pytest.mark.bench
def test_bench_logcapture_smoke(tmp_path):
    """Figure 1d: blocks of jobs that log, capture on and off in turn, on both backends."""
    stdout, results = run_bench(tmp_path, '--only', 'logcapture', timeout=90)
    figure = results['figures']['logcapture']
    # An error here also covers capture on keeping no log rows, or off keeping some.
    assert 'error' not in figure, figure.get('error')
    rows = {(r['case'], r['metric']): r for r in figure['rows']}
    for backend in ('redis', 'sqlite'):
        on = rows[(f'{backend} capture on', 'throughput per block')]
        off = rows[(f'{backend} capture off', 'throughput per block')]
        assert on['n'] == off['n'] == 2 and on['median'] > 0 and off['median'] > 0
        assert on['ratio'] == pytest.approx(on['median'] / off['median'])
        cost = rows[(f'{backend} capture cost', 'throughput lost')]
        # Over the run's blocks: 1 − (time for the off blocks) / (time for the on blocks).
        block = 100
        on_s = sum(block / rate for rate in on['runs'])
        off_s = sum(block / rate for rate in off['runs'])
        assert cost['n'] == 1
        assert cost['median'] == pytest.approx((1 - off_s / on_s) * 100, abs=0.01)
        assert rows[(f'{backend} capture on', 'CPU per job')]['median'] > 0
        assert rows[(f'{backend} log index catch-up', 'time per job')]['median'] > 0
    checks = {c['name']: c for c in figure['checks']}
    assert set(checks) == {'redis log capture cost', 'sqlite log capture cost'}
    assert all(c['target'] == '≤ 5 %' for c in checks.values())
    assert '1d. Per-job log capture' in stdout


@pytest.mark.bench
def test_bench_admin_smoke(tmp_path):
    """Figure 5 at 20,000 jobs: every page the dashboard has, searches included, answers
    (200) idle and busy, and the fill gave the error and log searches rows to look through."""
    stdout, results = run_bench(tmp_path, '--only', 'admin', timeout=300)
    figure = results['figures']['admin']
    assert 'error' not in figure, figure.get('error')
    assert not [r for r in figure['rows'] if r['metric'] == 'error'], figure['rows']
    cases = {r['case'].rsplit(' [', 1)[0] for r in figure['rows']}
    for case in ('page: id prefix, 8 chars', 'page: error search, rarer', 'page: log search, rare',
                 'json: counts, search logs', 'page: job detail (failed, 4', 'page: schedule',
                 'page: consumers & stats', 'page: task (charts)'):
        assert case in cases, (case, sorted(cases))
    assert {r['case'].rsplit(' [', 1)[1] for r in figure['rows']} == {'idle]', 'busy]'}
    searched = next(n for n in figure['notes'] if n.startswith('what the searches'))
    errors, logs = [int(x.replace(',', '')) for x in re.findall(r'([\d,]+) (?:jobs|per-job)',
                                                                searched)]
    # Of 20,000 jobs (the busy runs' jobs, kept in the reused ledger, add log rows).
    assert 200 <= errors <= 2000 and logs >= 2000, searched
    assert all(c['target'] == '≤ 50 ms' for c in figure['checks']) and len(figure['checks']) == 2
    assert '5. Admin at 20,000 recorded jobs' in stdout
