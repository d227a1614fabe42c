"""Admin actions on jobs — retry, revoke, delete, in bulk too — over JSON and forms,
with their authorization and CSRF checks, against a real consumer where it runs."""
import pytest

from collab.jobs.models import Job, JobAttempt
from collab.jobs.instance import huey
from tests.sample_tasks import always_fail, calls, flaky, succeed
from tests.support import job, page_csrf_token, sign_up, wait_for_state, wait_until

ADMIN_EMAIL, PASSWORD = 'root@example.com', 'correct horse'


def fails_once_then_succeeds(key):
    """A failed job whose retry succeeds: flaky fails its first run, here with no retries."""
    task = flaky.s(key, 1)
    task.retries = 0
    huey.enqueue(task)
    return task.id


@pytest.fixture
def admin(client):
    return sign_up(client, ADMIN_EMAIL, password=PASSWORD, admin=True).headers


@pytest.fixture
def browser_admin(app, admin):
    """A second client signed in with a session cookie, as a browser is; and its CSRF token."""
    client = app.test_client()
    response = client.post('/login', data={'email': ADMIN_EMAIL, 'password': PASSWORD,
                                           'csrf_token': page_csrf_token(client)})
    assert response.status_code == 302
    with client.session_transaction() as session:
        token = session['csrf']
    return client, token


# ---------------------------------------------------------------- authorization and CSRF

ACTIONS = [('/admin/api/jobs/{id}/retry', None), ('/admin/api/jobs/{id}/revoke', None),
           ('/admin/api/jobs/{id}/delete', None), ('/admin/api/jobs/retry', {}),
           ('/admin/api/jobs/revoke', {}), ('/admin/jobs/{id}/retry', None),
           ('/admin/jobs/{id}/revoke', None), ('/admin/jobs/{id}/delete', None),
           ('/admin/jobs/bulk/retry', None), ('/admin/jobs/bulk/revoke', None),
           ('/admin/api/schedule/tests.sample_tasks.never_due/run', None),
           ('/admin/api/schedule/tests.sample_tasks.never_due/pause', None),
           ('/admin/api/schedule/tests.sample_tasks.never_due/resume', None),
           ('/admin/schedule/tests.sample_tasks.never_due/run', None),
           ('/admin/schedule/tests.sample_tasks.never_due/pause', None),
           ('/admin/schedule/tests.sample_tasks.never_due/resume', None)]


@pytest.mark.parametrize('path, body', ACTIONS)
def test_every_action_refuses_anonymous_members_and_missing_csrf(app, client, admin, browser_admin,
                                                                 path, body):
    path = path.format(id=succeed(1).id)
    huey.ledger.flush()
    anonymous = app.test_client().post(path, json=body)
    assert anonymous.status_code in (302, 401)
    member = sign_up(app.test_client(), 'member@example.com').headers
    assert client.post(path, json=body, headers=member).status_code == 403
    cookie_client, token = browser_admin
    assert cookie_client.post(path, json=body).status_code == 403
    assert cookie_client.post(path, json=body, headers={'X-CSRF-Token': 'wrong'}).status_code == 403
    allowed = cookie_client.post(path, json=body, headers={'X-CSRF-Token': token})
    assert allowed.status_code in (200, 303, 409), allowed.data


# ---------------------------------------------------------------- retry

def test_retrying_a_failed_job_runs_it_again_with_fresh_retries_and_succeeds(
        client, admin, app, consumer):
    failed_id = fails_once_then_succeeds('retry-once')
    failed = wait_for_state(failed_id, 'failed')
    assert failed.max_attempts == 1
    response = client.post(f'/admin/api/jobs/{failed_id}/retry', headers=admin)
    assert response.status_code == 200 and response.json['ok'] is True
    new_id = response.json['job_id']
    assert new_id != failed_id and 'Retried' in response.json['message']
    retried = wait_for_state(new_id, 'succeeded')
    assert retried.task == failed.task and retried.args == failed.args
    assert retried.max_attempts == 4 and retried.parent_id == failed_id
    assert len(calls['retry-once']) == 2


def test_retry_through_the_form_shows_the_new_job_with_a_message(app, browser_admin, consumer):
    cookie_client, token = browser_admin
    failed_id = fails_once_then_succeeds('retry-form')
    wait_for_state(failed_id, 'failed')
    response = cookie_client.post(f'/admin/jobs/{failed_id}/retry', data={'csrf_token': token})
    assert response.status_code == 303
    page = cookie_client.get(response.headers['Location']).get_data(as_text=True)
    assert 'role="status"' in page and 'Retried tests.sample_tasks.flaky as job' in page
    new_id = response.headers['Location'].rsplit('/', 1)[1]
    assert wait_for_state(new_id, 'succeeded').parent_id == failed_id


def test_retrying_a_job_that_has_not_failed_is_refused_with_a_visible_error(app, client, admin,
                                                                             browser_admin):
    queued = succeed(1).id
    huey.ledger.flush()
    response = client.post(f'/admin/api/jobs/{queued}/retry', headers=admin)
    assert response.status_code == 409 and 'this one is queued' in response.json['error']
    cookie_client, token = browser_admin
    page = cookie_client.post(f'/admin/jobs/{queued}/retry', data={'csrf_token': token},
                              follow_redirects=True).get_data(as_text=True)
    assert 'role="alert"' in page and 'this one is queued' in page


def test_bulk_retry_retries_only_the_failed_jobs_matching_the_filter(client, admin, app, consumer):
    flaky_ids = [fails_once_then_succeeds(f'bulk-{n}') for n in range(2)]
    other = always_fail.s('not-this-one')
    other.retries = 0
    huey.enqueue(other)
    for job_id in [*flaky_ids, other.id]:
        wait_for_state(job_id, 'failed')
    response = client.post('/admin/api/jobs/retry', headers=admin,
                           json={'state': 'failed', 'task': 'tests.sample_tasks.flaky'})
    assert response.status_code == 200 and response.json['count'] == 2
    children = wait_until(lambda: list(Job.select().where(Job.parent_id.in_(flaky_ids))),
                          message='the retried jobs')
    for child in children:
        wait_for_state(child.job_id, 'succeeded')
    assert not Job.select().where(Job.parent_id == other.id).exists()
    assert len(calls['not-this-one']) == 1


def test_bulk_retry_through_the_form_keeps_the_filter(app, browser_admin):
    cookie_client, token = browser_admin
    response = cookie_client.post('/admin/jobs/bulk/retry', data={
        'csrf_token': token, 'state': 'failed', 'task': 'tests.sample_tasks.flaky'})
    assert response.status_code == 303
    assert response.headers['Location'] == '/admin/jobs?state=failed&task=tests.sample_tasks.flaky'
    page = cookie_client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Retried 0 jobs.' in page


# ---------------------------------------------------------------- revoke and delete

def test_a_revoked_queued_job_shows_revoked_and_never_runs(client, admin, app, settings):
    queued = succeed('never').id
    assert job(queued).state == 'queued'
    response = client.post(f'/admin/api/jobs/{queued}/revoke', headers=admin)
    assert response.status_code == 200 and job(queued).state == 'revoked'
    from collab.jobs.runner import ConsumerRunner
    runner = ConsumerRunner(settings, embedded=True, workers=1)
    runner.start()
    try:
        marker = succeed('after').id
        wait_for_state(marker, 'succeeded')
    finally:
        runner.stop()
    assert calls['succeed'] == ['after'] and job(queued).state == 'revoked'


def test_a_scheduled_job_can_be_revoked_but_a_finished_one_cannot(client, admin, app):
    scheduled = succeed.schedule(args=(1,), delay=3600).id
    assert job(scheduled).state == 'scheduled'
    assert client.post(f'/admin/api/jobs/{scheduled}/revoke', headers=admin).status_code == 200
    again = client.post(f'/admin/api/jobs/{scheduled}/revoke', headers=admin)
    assert again.status_code == 409 and 'this one is revoked' in again.json['error']


def test_bulk_revoke_over_a_filter(client, admin, app):
    waiting = [succeed(n).id for n in range(3)]
    kept = flaky.s('kept', 0)
    huey.enqueue(kept)
    huey.ledger.flush()
    response = client.post('/admin/api/jobs/revoke', headers=admin,
                           json={'state': 'queued', 'task': 'tests.sample_tasks.succeed'})
    assert response.json['count'] == 3
    assert {job(i).state for i in waiting} == {'revoked'} and job(kept.id).state == 'queued'


def test_bulk_revoke_refuses_states_that_cannot_be_revoked(client, admin, app):
    response = client.post('/admin/api/jobs/revoke', headers=admin, json={'state': 'succeeded'})
    assert response.status_code == 400 and response.json['field'] == 'state'


def test_deleting_a_record_removes_the_job_and_its_attempts(client, admin, app, consumer,
                                                            browser_admin):
    failed_id = fails_once_then_succeeds('delete-me')
    wait_for_state(failed_id, 'failed')
    cookie_client, token = browser_admin
    response = cookie_client.post(f'/admin/jobs/{failed_id}/delete', data={'csrf_token': token},
                                  follow_redirects=True)
    assert f'Deleted the record of job {failed_id}.' in response.get_data(as_text=True)
    assert job(failed_id) is None
    assert not JobAttempt.select().where(JobAttempt.job_id == failed_id).exists()


def test_a_waiting_job_cannot_be_deleted(client, admin, app):
    queued = succeed(1).id
    huey.ledger.flush()
    response = client.delete(f'/admin/api/jobs/{queued}', headers=admin)
    assert response.status_code == 409 and 'revoke it first' in response.json['error']
