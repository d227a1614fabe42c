"""Admin controls that tell the truth: a retried job leaves the Failed tab marked
"retried as" its new job, scheduled and retrying jobs run now, records are
deleted over a filter or all failed ones at once, and every bulk button names
how many jobs it touches (disabled at none). Against a real consumer where jobs run."""
import re
from datetime import datetime

import pytest

from collab.jobs.instance import huey
from collab.jobs.models import Job, JobAttempt
from tests.sample_tasks import calls, flaky, succeed
from tests.support import job, page_csrf_token, sign_up, wait_for_state

ADMIN_EMAIL, PASSWORD = 'root@example.com', 'correct horse'


@pytest.fixture
def admin(client):
    return sign_up(client, ADMIN_EMAIL, password=PASSWORD, admin=True).headers


@pytest.fixture
def form_admin(app, admin):
    """A client signed in with a session cookie, as a browser is, and its CSRF token."""
    client = app.test_client()
    client.post('/login', data={'email': ADMIN_EMAIL, 'password': PASSWORD,
                                'csrf_token': page_csrf_token(client)})
    with client.session_transaction() as session:
        token = session['csrf']
    return client, token


def failed_job(key):
    """A job that fails for good at once; its retry (with fresh retries) succeeds."""
    task = flaky.s(key, 1)
    task.retries = 0
    huey.enqueue(task)
    return wait_for_state(task.id, 'failed').job_id


def record(job_id, state, task='tests.sample_tasks.succeed', args=(), **extra):
    """A ledger row as the ledger writes it."""
    return Job.create(job_id=job_id, task=task, state=state, args={'args': list(args)}, **extra)


def counts(client, admin, **filters):
    response = client.get('/admin/api/counts', query_string=filters, headers=admin)
    assert response.status_code == 200, response.json
    return response.json['counts']


def listed(client, admin, **filters):
    response = client.get('/admin/api/jobs', query_string=filters, headers=admin)
    assert response.status_code == 200, response.json
    return [j['id'] for j in response.json['jobs']]


def tab_count(page, tab):
    return int(re.search(rf'data-tab="{tab}"[^>]*>[^<]*<span class="count">([\d,]+)', page)
               .group(1).replace(',', ''))


# ---------------------------------------------------------------- retried

def test_a_retried_failed_job_leaves_the_failed_tab_marked_retried_as_its_new_job(
        client, admin, app, consumer):
    old_id = failed_job('retry-marker')
    assert counts(client, admin).get('failed') == 1
    new_id = client.post(f'/admin/api/jobs/{old_id}/retry', headers=admin).json['job_id']
    wait_for_state(new_id, 'succeeded')

    old = client.get(f'/admin/api/jobs/{old_id}', headers=admin).json
    assert (old['state'], old['retried_as']) == ('retried', new_id)
    assert client.get(f'/admin/api/jobs/{new_id}', headers=admin).json['retried_from'] == old_id
    assert old_id not in listed(client, admin, state='failed')
    assert listed(client, admin, state='retried') == [old_id]
    assert old_id in listed(client, admin, state='ended')
    assert counts(client, admin).get('failed', 0) == 0 and counts(client, admin)['retried'] == 1

    page = client.get(f'/admin/jobs/{old_id}', headers=admin).get_data(as_text=True)
    assert f'Retried as <a href="/admin/jobs/{new_id}">{new_id}</a>' in page
    assert 'Retry</button>' not in page       # the new job carries on: retry that one
    page = client.get(f'/admin/jobs/{new_id}', headers=admin).get_data(as_text=True)
    assert f'A retry of <a href="/admin/jobs/{old_id}">{old_id}</a>' in page
    page = client.get('/admin/jobs?state=retried', headers=admin).get_data(as_text=True)
    assert f'data-retried-as="{new_id}"' in page and tab_count(page, 'retried') == 1


def test_after_a_bulk_retry_the_failed_tab_counts_none(client, admin, app, consumer):
    failed = [failed_job(f'bulk-marker-{n}') for n in range(3)]
    page = client.get('/admin/jobs', headers=admin).get_data(as_text=True)
    assert tab_count(page, 'failed') == 3
    response = client.post('/admin/api/jobs/retry', headers=admin, json={'state': 'failed'})
    assert response.json['count'] == 3
    page = client.get('/admin/jobs', headers=admin).get_data(as_text=True)
    assert tab_count(page, 'failed') == 0 and tab_count(page, 'ended') == 3
    assert {job(i).state for i in failed} == {'retried'}
    new_ids = {job(i).retried_as for i in failed}
    assert {Job.get(Job.job_id == n).parent_id for n in new_ids} == set(failed)


def test_a_bulk_retry_over_the_ended_tab_leaves_its_retried_jobs_alone(client, admin, app):
    record('j-retried', 'retried', retried_as='j-new')
    record('j-new', 'succeeded', parent_id='j-retried')
    response = client.post('/admin/api/jobs/retry', headers=admin, json={'state': 'ended'})
    assert response.status_code == 200 and response.json['count'] == 0
    refused = client.post('/admin/api/jobs/retry', headers=admin, json={'state': 'retried'})
    assert refused.status_code == 400 and refused.json['field'] == 'state'
    assert job('j-retried').state == 'retried'


# ---------------------------------------------------------------- run now

def test_run_now_moves_a_scheduled_job_to_the_queue_and_it_runs(client, admin, app, consumer,
                                                                queue_backend):
    scheduled = succeed.schedule(args=('later',), delay=3600).id
    assert wait_for_state(scheduled, 'scheduled')
    response = client.post(f'/admin/api/jobs/{scheduled}/run', headers=admin)
    assert response.status_code == 200, response.json
    assert wait_for_state(scheduled, 'succeeded').attempts == 1
    assert calls['succeed'] == ['later'] and huey.storage.schedule_size() == 0
    again = client.post(f'/admin/api/jobs/{scheduled}/run', headers=admin)
    assert again.status_code == 409 and 'this one is succeeded' in again.json['error']


def test_run_now_rewrites_a_job_with_a_time_still_in_the_queue(client, admin, app, settings,
                                                               queue_backend):
    """A job enqueued with a time waits in the queue until a consumer puts it in the
    schedule: with no consumer running, run now rewrites it there, and the first
    consumer to start runs it at once rather than in an hour."""
    from collab.jobs.runner import ConsumerRunner
    scheduled = succeed.schedule(args=('soon',), delay=3600).id
    huey.ledger.flush()
    assert job(scheduled).state == 'scheduled' and huey.storage.schedule_size() == 0
    response = client.post(f'/admin/api/jobs/{scheduled}/run', headers=admin)
    assert response.status_code == 200, response.json
    assert huey.storage.queue_size() == 1 and huey.storage.schedule_size() == 0
    runner = ConsumerRunner(settings, embedded=True)
    runner.start()
    try:
        assert wait_for_state(scheduled, 'succeeded', timeout=10).attempts == 1
        assert huey.storage.schedule_size() == 0
    finally:
        runner.stop()


def test_run_now_takes_a_retrying_job_out_of_its_wait(client, admin, app, consumer,
                                                     queue_backend, form_admin):
    task = flaky.s('run-now-retry', 1)
    task.retry_delay = 3600          # would wait an hour for its second attempt
    huey.enqueue(task)
    assert wait_for_state(task.id, 'retrying').attempts == 1
    cookie_client, token = form_admin
    page = cookie_client.get(f'/admin/jobs/{task.id}').get_data(as_text=True)
    assert 'Run now</button>' in page and 'Revoke</button>' in page
    response = cookie_client.post(f'/admin/jobs/{task.id}/run', data={'csrf_token': token},
                                  follow_redirects=True)
    assert f'Moved job {task.id}' in response.get_data(as_text=True)
    done = wait_for_state(task.id, 'succeeded')
    assert done.attempts == 2 and len(calls['run-now-retry']) == 2


def test_run_now_refuses_a_job_that_is_not_waiting(client, admin, app):
    queued = succeed(1).id
    huey.ledger.flush()
    response = client.post(f'/admin/api/jobs/{queued}/run', headers=admin)
    assert response.status_code == 409 and 'this one is queued' in response.json['error']
    assert client.post('/admin/api/jobs/nope/run', headers=admin).status_code == 404


# ---------------------------------------------------------------- delete matching

def test_delete_matching_deletes_the_ended_jobs_the_filter_finds_and_no_others(
        client, admin, app):
    for n in range(3):
        record(f'export-{n}', 'failed', args=['export', n], error='disk full')
    record('export-queued', 'queued', args=['export'])
    record('import-0', 'failed', args=['import'])
    record('export-old', 'succeeded', args=['export'], enqueued_at=datetime(2020, 1, 1))
    JobAttempt.create(job_id='export-0', outcome='failed', error='disk full')
    assert counts(client, admin, q='export', since='2025-01-01T00:00') == {'failed': 3,
                                                                        'queued': 1}
    response = client.post('/admin/api/jobs/delete', headers=admin,
                           json={'q': 'export', 'since': '2025-01-01T00:00'})
    assert response.status_code == 200 and response.json['count'] == 3
    assert response.json['message'] == 'Deleted the records of 3 jobs.'
    left = {j.job_id for j in Job.select()}
    assert left == {'export-queued', 'import-0', 'export-old'}
    assert not JobAttempt.select().where(JobAttempt.job_id == 'export-0').exists()
    assert counts(client, admin) == {'failed': 1, 'queued': 1, 'succeeded': 1}


def test_delete_matching_refuses_waiting_states_and_the_form_keeps_the_filter(
        client, admin, app, form_admin):
    refused = client.post('/admin/api/jobs/delete', headers=admin, json={'state': 'queued'})
    assert refused.status_code == 400 and refused.json['field'] == 'state'
    record('a', 'succeeded', task='tests.sample_tasks.add')
    record('b', 'succeeded')
    cookie_client, token = form_admin
    response = cookie_client.post('/admin/jobs/bulk/delete', data={
        'csrf_token': token, 'state': 'succeeded', 'task': 'tests.sample_tasks.add'})
    assert response.headers['Location'] == '/admin/jobs?state=succeeded&task=tests.sample_tasks.add'
    page = cookie_client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Deleted the records of 1 job.' in page
    assert [j.job_id for j in Job.select()] == ['b']


def test_delete_all_failed_deletes_every_failed_job_whatever_the_page_shows(
        client, admin, app, form_admin):
    for n in range(4):
        record(f'f-{n}', 'failed', task=f'tests.sample_tasks.t{n % 2}')
    record('ok', 'succeeded')
    record('gone', 'revoked')
    cookie_client, token = form_admin
    page = cookie_client.get('/admin/jobs?task=tests.sample_tasks.t0').get_data(as_text=True)
    # The button names every failed job, not only the task shown.
    assert 'data-confirm="Delete 4 matching jobs? This cannot be undone."' in page
    assert 'Delete all failed (4)' in page
    response = cookie_client.post('/admin/jobs/bulk/delete', data={
        'csrf_token': token, 'state': 'failed'}, follow_redirects=True)
    assert 'Deleted the records of 4 jobs.' in response.get_data(as_text=True)
    assert sorted(j.job_id for j in Job.select()) == ['gone', 'ok']
    page = cookie_client.get('/admin/jobs').get_data(as_text=True)
    assert re.search(r'<button type="submit" class="danger" disabled>Delete all failed \(0\)', page)


# ---------------------------------------------------------------- the buttons' counts

def test_bulk_buttons_name_how_many_jobs_they_touch_and_are_disabled_at_none(client, admin, app):
    for n in range(2):
        record(f'f-{n}', 'failed', args=['nightly'])
    record('f-other', 'failed', args=['weekly'])
    record('w-0', 'queued', args=['nightly'])
    page = client.get('/admin/jobs?q=nightly', headers=admin).get_data(as_text=True)
    assert 'data-confirm="Retry 2 matching jobs?"' in page
    assert 'Retry all matching failed (2)</button>' in page
    assert 'data-confirm="Revoke 1 matching job?"' in page
    page = client.get('/admin/jobs?state=scheduled', headers=admin).get_data(as_text=True)
    assert re.search(r'class="danger" disabled>Revoke all matching \(0\)</button>', page)
    assert 'Retry all matching' not in page     # nothing in this tab can be retried

