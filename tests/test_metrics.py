"""/metrics from prometheus_client, read back with its own parser: counters
kept by the database, rising across a restart and never going down when old
jobs are pruned; histograms counting each finished job once."""
import json
import re
import urllib.request
from datetime import datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collab.app import create_app
from collab.jobs.instance import huey
from collab.jobs.models import Job
from collab.jobs.prune import prune_jobs
from collab.jobs.runner import ConsumerRunner
from tests.sample_tasks import always_fail, succeed
from tests.support import ROOT, LiveServer, sign_up, wait_until

SUCCEED, FAIL = 'tests.sample_tasks.succeed', 'tests.sample_tasks.always_fail'


@pytest.fixture
def admin(client):
    return sign_up(client, 'admin@example.com', admin=True).headers


def scrape(client, headers):
    response = client.get('/metrics', headers=headers)
    assert response.status_code == 200 and response.mimetype == 'text/plain'
    return {family.name: family for family in
            text_string_to_metric_families(response.get_data(as_text=True))}


def sample(families, family, name, **labels):
    """The value of the sample `name` of `family` with these labels (0 when absent)."""
    found = [s.value for s in families[family].samples
             if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) <= 1, found
    return found[0] if found else 0


def jobs_total(families, task, state):
    return sample(families, 'collab_jobs', 'collab_jobs_total', task=task, state=state)


def run_jobs(*calls):
    """Enqueue the calls and wait until every one has reached a final state."""
    ids = [call().id for call in calls]
    def finished():
        huey.ledger.flush()
        return Job.select().where(Job.job_id.in_(ids) & Job.state.in_(['succeeded', 'failed'])
                                  ).count() == len(ids)
    wait_until(finished, timeout=20, message='the jobs to finish')


def test_metrics_parse_as_counters_histograms_and_gauges(client, admin, app, consumer,
                                                         db_backend):
    run_jobs(lambda: succeed(1), lambda: succeed(2), lambda: succeed(3),
             lambda: always_fail('metrics'))
    families = scrape(client, admin)
    assert families['collab_jobs'].type == 'counter'
    assert jobs_total(families, SUCCEED, 'succeeded') == 3
    assert jobs_total(families, FAIL, 'failed') == 1
    assert jobs_total(families, FAIL, 'succeeded') == 0
    for name in ('collab_job_duration_seconds', 'collab_job_queue_wait_seconds'):
        assert families[name].type == 'histogram'
        # One observation per finished job (the failed job's retries are one job).
        assert sample(families, name, f'{name}_count', task=SUCCEED) == 3
        assert sample(families, name, f'{name}_bucket', task=SUCCEED, le='+Inf') == 3
        assert sample(families, name, f'{name}_count', task=FAIL) == 1
        assert sample(families, name, f'{name}_sum', task=SUCCEED) >= 0
    # Each succeed() ran in well under 10 s; cumulative buckets never decrease.
    duration = 'collab_job_duration_seconds'
    assert sample(families, duration, f'{duration}_bucket', task=SUCCEED, le='10.0') == 3
    buckets = [s.value for s in families[duration].samples
               if s.name.endswith('_bucket') and s.labels['task'] == SUCCEED]
    assert buckets == sorted(buckets)
    for name in ('collab_queue_depth', 'collab_schedule_depth', 'collab_consumers_alive',
                 'collab_queue_oldest_wait_seconds'):
        assert families[name].type == 'gauge'
    assert sample(families, 'collab_consumers_alive', 'collab_consumers_alive') == 1
    assert sample(families, 'collab_queue_depth', 'collab_queue_depth') == 0


def test_histograms_put_each_job_in_its_bucket(client, admin, app, db_backend):
    """Rows written as the ledger writes them: a 40 ms run that waited 2 s, and a
    7 s run of a delayed job that started 20 s after it was due."""
    now = datetime(2026, 1, 1, 12, 0, 0)
    Job.create(job_id='quick', task='t.h', state='running', enqueued_at=now,
               started_at=now + timedelta(seconds=2))
    Job.update(state='succeeded', duration_ms=40, finished_at=now + timedelta(seconds=3)).where(
        Job.job_id == 'quick').execute()
    Job.create(job_id='slow', task='t.h', state='failed', enqueued_at=now,
               scheduled_for=now + timedelta(seconds=60), started_at=now + timedelta(seconds=80),
               duration_ms=7000, finished_at=now + timedelta(seconds=87))
    Job.create(job_id='skipped', task='t.h', state='revoked', enqueued_at=now)
    Job.update(error='touched').where(Job.job_id == 'quick').execute()   # not a new finish
    families = scrape(client, admin)
    assert jobs_total(families, 't.h', 'succeeded') == 1
    assert jobs_total(families, 't.h', 'failed') == 1
    assert jobs_total(families, 't.h', 'revoked') == 1
    duration, wait = 'collab_job_duration_seconds', 'collab_job_queue_wait_seconds'
    def bucket(name, le):
        return sample(families, name, f'{name}_bucket', task='t.h', le=le)
    assert [bucket(duration, le) for le in ('0.025', '0.05', '5.0', '10.0', '+Inf')] == [0, 1, 1, 2, 2]
    assert sample(families, duration, f'{duration}_sum', task='t.h') == pytest.approx(7.04)
    assert [bucket(wait, le) for le in ('1.0', '5.0', '10.0', '30.0', '+Inf')] == [0, 1, 1, 2, 2]
    assert sample(families, wait, f'{wait}_sum', task='t.h') == pytest.approx(22, abs=0.01)


def test_counters_rise_across_a_restart_and_survive_pruning(client, admin, app, settings,
                                                            db_backend):
    first = ConsumerRunner(settings, embedded=True)
    first.start()
    run_jobs(lambda: succeed(1), lambda: succeed(2))
    first.stop()
    before = scrape(client, admin)
    assert jobs_total(before, SUCCEED, 'succeeded') == 2

    # The app and its consumer made again over the same database: a restart.
    again = create_app(settings).test_client()
    second = ConsumerRunner(settings, embedded=True)
    second.start()
    try:
        run_jobs(lambda: succeed(3))
    finally:
        second.stop()
    after = scrape(again, admin)
    assert jobs_total(after, SUCCEED, 'succeeded') == 3
    duration = 'collab_job_duration_seconds'
    assert sample(after, duration, f'{duration}_count', task=SUCCEED) == 3

    assert prune_jobs(settings, now=datetime.utcnow() + timedelta(days=365)) >= 3
    assert Job.select().count() == 0
    pruned = scrape(again, admin)
    assert jobs_total(pruned, SUCCEED, 'succeeded') == 3
    assert sample(pruned, duration, f'{duration}_count', task=SUCCEED) == 3


def test_the_grafana_dashboard_uses_only_exported_metrics(client, admin, app):
    Job.create(job_id='seen', task='t.g', state='succeeded', duration_ms=5,
               started_at=datetime(2026, 1, 1), enqueued_at=datetime(2026, 1, 1))
    exported = {s.name for family in scrape(client, admin).values() for s in family.samples}
    dashboard = json.loads((ROOT / 'docs' / 'grafana-dashboard.json').read_text())
    used = {name for panel in dashboard['panels'] for target in panel['targets']
            for name in re.findall(r'collab_\w+', target['expr'])}
    assert used and used <= exported, used - exported


@pytest.mark.env(METRICS_TOKEN='scrape-secret')
def test_counters_rise_across_a_restart_of_run_py(app, settings, tmp_path):
    """`python run.py` (web and consumer) stopped and started again on the same DATA_DIR."""
    env = {'DATA_DIR': str(settings.data_dir), 'SECRET_KEY': settings.secret_key,
           'METRICS_TOKEN': 'scrape-secret', 'TASK_MODULES': 'tests.sample_tasks',
           'CATCH_UP_PERIODIC': '0'}

    def served_total(server):
        request = urllib.request.Request(server.url + '/metrics',
                                         headers={'Authorization': 'Bearer scrape-secret'})
        with urllib.request.urlopen(request, timeout=10) as response:
            families = {f.name: f for f in text_string_to_metric_families(response.read().decode())}
        return jobs_total(families, SUCCEED, 'succeeded')

    totals = []
    for value in (1, 2):
        server = LiveServer(settings.data_dir, env=env).start()
        try:
            run_jobs(lambda: succeed(value))   # queued here, run by the server's consumer
            totals.append(served_total(server))
        finally:
            server.stop()
    assert totals == [1, 2]
