"""The admin JSON over the job ledger: admins only, filters, pagination, detail.

Every test runs on SQLite and on PostgreSQL.
"""
import re
from datetime import datetime, timedelta

import pytest
from huey import group

from collab.jobs.models import Job
from collab.jobs.instance import huey
from tests.sample_tasks import add, always_fail, succeed, total
from tests.support import sign_up, sign_up_member, wait_until

pytestmark = pytest.mark.usefixtures('db_backend')

ISO_MS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
JOB_FIELDS = {'id', 'task', 'state', 'args', 'attempts', 'max_attempts', 'enqueued_at',
              'scheduled_for', 'started_at', 'finished_at', 'duration_ms', 'error',
              'parent_id', 'group_id', 'consumer'}
TIME_FIELDS = ('enqueued_at', 'scheduled_for', 'started_at', 'finished_at')
ENDPOINTS = ['/admin/api/jobs', '/admin/api/jobs/{job_id}', '/admin/api/dead-letters']


@pytest.fixture
def admin(client):
    return sign_up(client, 'root@example.com', admin=True).headers


@pytest.fixture
def user(client):
    return sign_up_member(client, 'bob@example.com').headers


@pytest.fixture
def api(app):
    """A client without a session cookie: each request says who it is with a bearer token."""
    return app.test_client()


def add_jobs(states, task='tests.sample_tasks.succeed', start=None):
    """Ledger rows as the ledger writes them, oldest first; returns their ids."""
    start = start or datetime(2025, 3, 1, 12, 0, 0, 123456)
    rows = [{'job_id': f'{task}-{state}-{n}-{id(states)}', 'task': task, 'state': state,
             'args': {'args': [n]}, 'attempts': 1, 'max_attempts': 4,
             'enqueued_at': start + timedelta(seconds=n)}
            for n, state in enumerate(states)]
    Job.insert_many(rows).execute()
    return [row['job_id'] for row in rows]


def get_jobs(api, headers, **params):
    response = api.get('/admin/api/jobs', query_string=params, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def wait_for_state(job_id, *states, timeout=20):
    def reached():
        huey.ledger.flush()
        row = Job.get_or_none(Job.job_id == job_id)
        return row if row is not None and row.state in states else None
    return wait_until(reached, timeout, message=f'job {job_id} to reach {states}')


def assert_error(response, status, field=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json and response.json['error']
    if field is not None:
        assert response.json['field'] == field


# ------------------------------------------------------------------ who may look

@pytest.mark.parametrize('endpoint', ENDPOINTS)
def test_anonymous_requests_are_unauthorised(api, endpoint):
    [job_id] = add_jobs(['queued'])
    response = api.get(endpoint.format(job_id=job_id))
    assert_error(response, 401)
    assert job_id not in response.get_data(as_text=True)


@pytest.mark.parametrize('endpoint', ENDPOINTS)
def test_non_admins_are_forbidden(api, user, endpoint):
    [job_id] = add_jobs(['queued'])
    response = api.get(endpoint.format(job_id=job_id), headers=user)
    assert_error(response, 403)
    assert job_id not in response.get_data(as_text=True)


@pytest.mark.parametrize('endpoint', ENDPOINTS)
def test_admins_may_look(api, admin, endpoint):
    [job_id] = add_jobs(['queued'])
    response = api.get(endpoint.format(job_id=job_id), headers=admin)
    assert response.status_code == 200 and response.is_json


# ------------------------------------------------------------------ the list

def test_jobs_are_listed_newest_first(api, admin):
    ids = add_jobs(['queued', 'running', 'failed'])
    listed = get_jobs(api, admin)
    assert [j['id'] for j in listed['jobs']] == ids[::-1]
    assert listed['next_cursor'] is None


def test_the_state_filter_lists_only_that_state(api, admin):
    ids = add_jobs(['failed', 'succeeded', 'failed', 'queued'])
    listed = get_jobs(api, admin, state='failed')['jobs']
    assert [j['id'] for j in listed] == [ids[2], ids[0]]
    assert {j['state'] for j in listed} == {'failed'}


def test_the_task_filter_lists_only_that_task(api, admin):
    add_jobs(['queued', 'failed'], task='tests.sample_tasks.succeed')
    wanted = add_jobs(['queued', 'failed'], task='activity.log_activity')
    listed = get_jobs(api, admin, task='activity.log_activity')['jobs']
    assert [j['id'] for j in listed] == wanted[::-1]
    assert get_jobs(api, admin, task='no.such.task')['jobs'] == []


def test_state_and_task_filters_combine(api, admin):
    add_jobs(['failed', 'queued'], task='tests.sample_tasks.succeed')
    wanted = add_jobs(['failed', 'queued'], task='activity.log_activity')
    listed = get_jobs(api, admin, task='activity.log_activity', state='failed')['jobs']
    assert [j['id'] for j in listed] == [wanted[0]]


def test_limit_and_cursor_page_through_every_job_once(api, admin):
    ids = add_jobs(['queued', 'failed', 'succeeded'] * 4)   # 12 jobs
    seen, cursor, pages = [], None, 0
    while True:
        params = {'limit': 5} if cursor is None else {'limit': 5, 'cursor': cursor}
        page = get_jobs(api, admin, **params)
        assert len(page['jobs']) <= 5
        seen += [j['id'] for j in page['jobs']]
        pages += 1
        cursor = page['next_cursor']
        if cursor is None:
            break
    assert pages == 3
    assert seen == ids[::-1] and len(set(seen)) == 12


def test_pages_of_a_filter_stay_within_the_filter(api, admin):
    ids = add_jobs(['failed', 'queued'] * 5)
    failed = [job_id for job_id, state in zip(ids, ['failed', 'queued'] * 5) if state == 'failed']
    first = get_jobs(api, admin, state='failed', limit=3)
    second = get_jobs(api, admin, state='failed', limit=3, cursor=first['next_cursor'])
    assert [j['id'] for j in first['jobs'] + second['jobs']] == failed[::-1]
    assert second['next_cursor'] is None


def test_a_full_last_page_has_no_next_cursor(api, admin):
    add_jobs(['queued'] * 4)
    first = get_jobs(api, admin, limit=2)
    second = get_jobs(api, admin, limit=2, cursor=first['next_cursor'])
    assert len(second['jobs']) == 2 and second['next_cursor'] is None


def test_jobs_enqueued_after_the_first_page_do_not_shift_later_pages(api, admin):
    ids = add_jobs(['queued'] * 4)
    first = get_jobs(api, admin, limit=2)
    add_jobs(['queued'] * 3, start=datetime(2025, 3, 2))
    second = get_jobs(api, admin, limit=2, cursor=first['next_cursor'])
    assert [j['id'] for j in first['jobs'] + second['jobs']] == ids[::-1]


@pytest.mark.parametrize('params, field', [
    ({'state': 'exploded'}, 'state'),
    ({'state': 'QUEUED'}, 'state'),
    ({'limit': '0'}, 'limit'),
    ({'limit': '-5'}, 'limit'),
    ({'limit': 'ten'}, 'limit'),
    ({'limit': '1000000'}, 'limit'),
    ({'cursor': 'abc'}, 'cursor'),
])
def test_bad_filters_are_a_400_naming_the_field(api, admin, params, field):
    add_jobs(['queued'])
    response = api.get('/admin/api/jobs', query_string=params, headers=admin)
    assert_error(response, 400, field)


def test_a_job_in_the_json_has_every_field_with_iso_utc_millisecond_times(api, admin):
    moment = datetime(2025, 3, 1, 12, 0, 0, 987654)
    Job.create(job_id='full-job', task='tests.sample_tasks.add', state='failed',
               args={'args': [1, 2]}, attempts=4, max_attempts=4, enqueued_at=moment,
               scheduled_for=moment + timedelta(seconds=1),
               started_at=moment + timedelta(seconds=2), finished_at=moment + timedelta(seconds=3),
               duration_ms=12.5, error='ValueError: no', parent_id='its-parent',
               group_id='its-group', group_kind='group', consumer='host:1:abc')
    [job] = get_jobs(api, admin)['jobs']
    assert JOB_FIELDS <= set(job)
    assert job['enqueued_at'] == '2025-03-01T12:00:00.987Z'
    assert all(ISO_MS.match(job[name]) for name in TIME_FIELDS), job
    assert (job['id'], job['task'], job['state'], job['args']) == (
        'full-job', 'tests.sample_tasks.add', 'failed', [1, 2])
    assert (job['attempts'], job['max_attempts'], job['duration_ms'], job['error']) == (
        4, 4, 12.5, 'ValueError: no')
    assert (job['parent_id'], job['group_id'], job['consumer']) == (
        'its-parent', 'its-group', 'host:1:abc')


def test_a_recorded_job_lists_with_real_times(app, api, admin):
    result = succeed(3)
    huey.ledger.flush()
    [job] = get_jobs(api, admin, task='tests.sample_tasks.succeed')['jobs']
    assert job['id'] == result.id and job['state'] == 'queued' and job['args'] == [3]
    assert ISO_MS.match(job['enqueued_at'])
    enqueued = datetime.strptime(job['enqueued_at'], '%Y-%m-%dT%H:%M:%S.%fZ')
    assert abs(datetime.utcnow() - enqueued) < timedelta(seconds=30)
    assert job['started_at'] is None and job['finished_at'] is None


# ------------------------------------------------------------------ the detail

def test_an_unknown_job_is_not_found(api, admin):
    assert_error(api.get('/admin/api/jobs/no-such-job', headers=admin), 404)


def test_the_detail_logs_every_attempt_with_its_error(api, admin, consumer):
    result = always_fail('detail')
    wait_for_state(result.id, 'failed')
    response = api.get(f'/admin/api/jobs/{result.id}', headers=admin)
    assert response.status_code == 200
    detail = response.json
    assert JOB_FIELDS <= set(detail)
    assert (detail['state'], detail['attempts'], detail['max_attempts']) == ('failed', 4, 4)
    log = detail['attempts_log']
    assert [a['n'] for a in log] == [1, 2, 3, 4]
    for attempt in log:
        assert attempt['error'].startswith('ValueError: always fails')
        assert 'Traceback' in attempt['traceback']
        assert ISO_MS.match(attempt['started_at']) and ISO_MS.match(attempt['finished_at'])
        assert attempt['finished_at'] >= attempt['started_at']
    assert all(ISO_MS.match(detail[name]) for name in ('enqueued_at', 'started_at',
                                                       'finished_at'))


def test_the_detail_of_a_pipeline_stage_shows_the_other_stage(api, admin, consumer):
    head, tail = huey.enqueue(add.s(1, 2).then(add, 10))
    wait_for_state(tail.id, 'succeeded')
    head_detail = api.get(f'/admin/api/jobs/{head.id}', headers=admin).json
    tail_detail = api.get(f'/admin/api/jobs/{tail.id}', headers=admin).json
    assert [j['id'] for j in head_detail['related']] == [tail.id]
    assert [j['id'] for j in tail_detail['related']] == [head.id]
    assert tail_detail['parent_id'] == head.id
    assert head_detail['attempts_log'][0]['error'] is None


def test_the_detail_of_a_chord_callback_shows_its_members(api, admin, consumer):
    result = huey.enqueue(group([add.s(1, 1), add.s(2, 2)]).then(total))
    wait_for_state(result.callback.id, 'succeeded')
    detail = api.get(f'/admin/api/jobs/{result.callback.id}', headers=admin).json
    members = {r.id for r in result.results}
    assert members <= {j['id'] for j in detail['related']}
    assert detail['group_id'] and all(
        j['group_id'] == detail['group_id'] for j in detail['related'] if j['id'] in members)


def test_an_unrelated_job_has_no_related_jobs(api, admin):
    [job_id] = add_jobs(['queued'])
    add_jobs(['queued', 'failed'])
    detail = api.get(f'/admin/api/jobs/{job_id}', headers=admin).json
    assert detail['related'] == [] and detail['attempts_log'] == []


# ------------------------------------------------------------------ dead letters

def test_a_refused_message_is_listed_as_a_dead_letter(api, admin, consumer):
    assert api.get('/admin/api/dead-letters', headers=admin).json['dead_letters'] == []
    huey.storage.enqueue(b'not a signed message')

    def listed():
        huey.ledger.flush()
        return api.get('/admin/api/dead-letters', headers=admin).json['dead_letters']
    [letter] = wait_until(listed, timeout=10, message='the dead letter')
    assert letter['size'] == len(b'not a signed message')
    assert letter['error'] and letter['source'] == 'queue'
    assert ISO_MS.match(letter['received_at'])


@pytest.mark.parametrize('limit', ['0', 'many', '100000'])
def test_dead_letters_reject_a_bad_limit(api, admin, limit):
    assert_error(api.get('/admin/api/dead-letters', query_string={'limit': limit},
                         headers=admin), 400, 'limit')
