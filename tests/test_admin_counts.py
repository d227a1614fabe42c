"""Job counts kept by the database (no count over the job table on refresh),
the stats behind the dashboard, and /metrics — on SQLite and PostgreSQL."""
import pytest
from peewee import fn

from collab.jobs import counts
from collab.db import database
from collab.jobs.models import Job
from collab.jobs.instance import huey
from tests.sample_tasks import always_fail, succeed
from tests.support import sign_up, sign_up_member, wait_until


def true_counts():
    rows = Job.select(Job.task, Job.state, fn.COUNT(Job.seq)).group_by(Job.task, Job.state).tuples()
    return {(task, state): n for task, state, n in rows}


@pytest.fixture
def admin(client):
    return sign_up(client, 'admin@example.com', admin=True).headers


def test_counts_follow_inserts_state_changes_and_deletes(app, db_backend):
    for n in range(5):
        Job.create(job_id=f'a{n}', task='t.a', state='queued')
    Job.create(job_id='b0', task='t.b', state='failed')
    Job.update(state='running').where(Job.job_id.in_(['a0', 'a1'])).execute()
    Job.update(state='succeeded').where(Job.job_id == 'a0').execute()
    Job.delete().where(Job.job_id == 'a4').execute()
    assert counts.task_state_counts() == true_counts() == {
        ('t.a', 'queued'): 2, ('t.a', 'running'): 1, ('t.a', 'succeeded'): 1, ('t.b', 'failed'): 1}
    assert counts.state_counts() == {'queued': 2, 'running': 1, 'succeeded': 1, 'failed': 1}
    assert counts.state_counts('t.b') == {'failed': 1}


def test_counts_follow_the_ledger_through_a_real_consumer(app, consumer, db_backend):
    ids = [succeed(1).id, always_fail('counted').id]
    def done():
        huey.ledger.flush()
        return Job.select().where(Job.job_id.in_(ids) & Job.state.in_(['succeeded', 'failed'])).count() == 2
    wait_until(done, timeout=15, message='both jobs to finish')
    assert counts.task_state_counts() == true_counts()


def test_installing_on_a_ledger_with_jobs_counts_them_once(app):
    for n in range(3):
        Job.create(job_id=f'j{n}', task='t.c', state='succeeded')
    for name in counts.SQLITE_TRIGGERS:
        database.execute_sql(f'DROP TRIGGER {name}')
    Job.create(job_id='unseen', task='t.c', state='failed')   # no trigger saw it
    counts.install()
    assert counts.task_state_counts() == {('t.c', 'succeeded'): 3, ('t.c', 'failed'): 1}
    counts.install()   # a second start changes nothing
    assert counts.task_state_counts() == {('t.c', 'succeeded'): 3, ('t.c', 'failed'): 1}


def test_stats_report_throughput_failure_rate_and_durations(client, admin, app, consumer):
    ids = [succeed(n).id for n in range(3)] + [always_fail('stats').id]
    def finished():
        huey.ledger.flush()
        return Job.select().where(Job.job_id.in_(ids) & Job.finished_at.is_null(False)).count() == 4
    wait_until(finished, timeout=15, message='the jobs to finish')
    ok = Job.select().where(Job.state == 'succeeded').count()   # ours, and any the app started
    stats = client.get('/admin/api/stats', headers=admin).json
    assert ok >= 3 and stats['hour']['succeeded'] == ok and stats['hour']['failed'] == 1
    assert stats['hour']['failure_rate'] == round(1 / (ok + 1), 4)
    assert sum(b['succeeded'] for b in stats['hour']['buckets']) == ok
    task = next(t for t in stats['tasks'] if t['task'] == 'tests.sample_tasks.succeed')
    assert task['count'] == 3 and task['p50_ms'] is not None and task['p95_ms'] >= task['p50_ms']
    assert [c['alive'] for c in stats['consumers']] == [True]
    page = client.get('/admin/system', headers=admin).get_data(as_text=True)
    assert '<svg class="chart"' in page and consumer.id in page and '>alive<' in page


def test_metrics_serve_prometheus_text_to_an_admin(client, admin, app):
    Job.create(job_id='m1', task='t.m', state='failed')
    anonymous = app.test_client()
    assert anonymous.get('/metrics').status_code == 401
    response = client.get('/metrics', headers=admin)
    assert response.status_code == 200 and response.mimetype == 'text/plain'
    text = response.get_data(as_text=True)
    assert 'collab_jobs_total{state="failed",task="t.m"} 1.0' in text
    for name in ('collab_jobs', 'collab_queue_depth', 'collab_job_duration_seconds',
                 'collab_job_queue_wait_seconds', 'collab_consumers_alive'):
        assert f'# TYPE {name}' in text


def test_metrics_refuse_a_member(client, app):
    assert client.get('/metrics', headers=sign_up_member(client).headers).status_code == 403


@pytest.mark.env(METRICS_TOKEN='scrape-secret')
def test_metrics_accept_the_metrics_token(app):
    scraper = app.test_client()
    assert scraper.get('/metrics', headers={'Authorization': 'Bearer scrape-secret'}).status_code == 200
    assert scraper.get('/metrics', headers={'Authorization': 'Bearer wrong'}).status_code == 401
