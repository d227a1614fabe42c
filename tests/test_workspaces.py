"""Workspaces: create, list, show; only members see one; creation logs activity.

Every test runs on SQLite and on PostgreSQL.
"""
import pytest

from collab.jobs.models import Job, OutboxMessage
from collab.models import Activity, Member, User, Workspace
from collab.jobs.instance import huey
from tests.support import sign_up, wait_until

pytestmark = pytest.mark.usefixtures('db_backend')

ANN, BOB = 'ann@example.com', 'bob@example.com'


@pytest.fixture
def ann(client):
    return sign_up(client, ANN).headers


@pytest.fixture
def bob(client):
    return sign_up(client, BOB).headers


def create(client, headers, name='Team'):
    return client.post('/api/workspaces', json={'name': name}, headers=headers)


def activity_jobs():
    huey.ledger.flush()
    return list(Job.select().where(Job.task == 'activity.log_activity').order_by(Job.seq))


def assert_error(response, status, field=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json and response.json['error']
    if field is not None:
        assert response.json['field'] == field


# ------------------------------------------------------------------ create

def test_create_makes_the_creator_its_owner(client, ann):
    response = create(client, ann, '  Launch  ')
    assert response.status_code == 201
    workspace = response.json
    assert (workspace['name'], workspace['role']) == ('Launch', 'owner')
    user = User.get(User.email == ANN)
    assert workspace['owner_id'] == user.id
    member = Member.get(Member.workspace == workspace['id'])
    assert (member.user_id, member.role) == (user.id, 'owner')


def test_create_enqueues_log_activity_recorded_in_the_ledger(client, ann):
    workspace = create(client, ann, 'Launch').json
    user = User.get(User.email == ANN)
    [job] = activity_jobs()
    assert job.state == 'queued'
    assert job.to_dict()['args'] == [workspace['id'], user.id, 'workspace.created',
                                     'workspace', workspace['id'], {'name': 'Launch'}]
    assert job.max_attempts == 4 and job.attempts == 0


def test_creation_activity_appears_once_a_consumer_runs_it(client, ann, consumer):
    workspace = create(client, ann, 'Launch').json
    [job] = activity_jobs()

    def logged():
        huey.ledger.flush()
        return Activity.get_or_none(Activity.workspace == workspace['id'])
    entry = wait_until(logged, timeout=10, message='the activity entry')
    assert (entry.action, entry.target_type, entry.target_id) == (
        'workspace.created', 'workspace', workspace['id'])
    assert entry.user_id == User.get(User.email == ANN).id
    assert entry.metadata == {'name': 'Launch'}
    wait_until(lambda: activity_jobs()[0].state == 'succeeded', timeout=10,
               message='the job to be recorded as succeeded')
    assert activity_jobs()[0].job_id == job.job_id


@pytest.mark.parametrize('body, field', [
    ({}, 'name'),
    ({'name': ''}, 'name'),
    ({'name': '    '}, 'name'),
    ({'name': 'n' * 101}, 'name'),
    ({'name': 42}, 'name'),
    ({'name': ['Team']}, 'name'),
    ({'name': None}, 'name'),
])
def test_create_rejects_a_bad_name(client, ann, body, field):
    assert_error(client.post('/api/workspaces', json=body, headers=ann), 400, field)
    assert Workspace.select().count() == 0 and activity_jobs() == []


@pytest.mark.parametrize('data', ['name=Team', '["Team"]', '{"name": "Team"'])
def test_create_rejects_a_body_that_is_not_a_json_object(client, ann, data):
    response = client.post('/api/workspaces', data=data, content_type='application/json',
                           headers=ann)
    assert_error(response, 400)
    assert Workspace.select().count() == 0


def test_create_rejects_a_huge_body(client, ann):
    assert_error(create(client, ann, 'x' * (4 * 1024 * 1024)), 413)
    assert Workspace.select().count() == 0


def test_create_needs_a_signed_in_user(client):
    assert_error(create(client, {}), 401)
    assert Workspace.select().count() == 0


def test_create_with_the_session_cookie_needs_the_csrf_token(client):
    sign_up(client, ANN, 'Ann')
    assert_error(create(client, {}), 403)
    assert Workspace.select().count() == 0 and activity_jobs() == []
    token = client.get('/api/auth/csrf').json['csrf_token']
    assert create(client, {'X-CSRF-Token': token}).status_code == 201


# ------------------------------------------------------------------ list and show

def test_list_shows_only_my_workspaces(client, ann, bob):
    mine = [create(client, ann, name).json['id'] for name in ('One', 'Two')]
    create(client, bob, 'Theirs')
    response = client.get('/api/workspaces', headers=ann)
    assert response.status_code == 200
    listed = response.json['workspaces']
    assert [w['id'] for w in listed] == mine
    assert [(w['name'], w['role']) for w in listed] == [('One', 'owner'), ('Two', 'owner')]


def test_list_is_empty_for_a_new_user(client, ann, bob):
    create(client, bob, 'Theirs')
    assert client.get('/api/workspaces', headers=ann).json == {'workspaces': []}


def test_list_needs_a_signed_in_user(client):
    assert_error(client.get('/api/workspaces'), 401)


def test_a_member_sees_the_workspace(client, ann):
    workspace = create(client, ann, 'Launch').json
    response = client.get(f'/api/workspaces/{workspace["id"]}', headers=ann)
    assert response.status_code == 200
    assert response.json == workspace


def test_a_non_member_is_forbidden(client, ann, bob):
    workspace = create(client, ann, 'Private').json
    response = client.get(f'/api/workspaces/{workspace["id"]}', headers=bob)
    assert_error(response, 403)
    assert 'Private' not in response.get_data(as_text=True)


def test_a_missing_workspace_is_not_found(client, ann):
    workspace = create(client, ann).json
    assert_error(client.get(f'/api/workspaces/{workspace["id"] + 1000}', headers=ann), 404)


@pytest.mark.parametrize('bad_id', ['abc', '-1', '1.5', '99999999999999999999999'])
def test_a_malformed_workspace_id_is_not_found(client, ann, bad_id):
    assert_error(client.get(f'/api/workspaces/{bad_id}', headers=ann), 404)


def test_showing_a_workspace_needs_a_signed_in_user(app, client, ann):
    workspace = create(client, ann).json
    anonymous = app.test_client()
    assert_error(anonymous.get(f'/api/workspaces/{workspace["id"]}'), 401)


# ------------------------------------------------------------------ the queue is down

@pytest.mark.parametrize('queue_backend', ['redis'])
def test_create_while_the_queue_is_down_keeps_the_workspace_and_its_job_together(
        client, ann, queue_backend, redis_server, consumer):
    """The job is accepted in the workspace's own transaction (the outbox): never a 500,
    never a workspace without its activity job, and the job runs once Redis is back."""
    redis_server.stop()
    try:
        response = create(client, ann, 'Outage')
        assert response.status_code == 201, response.get_data(as_text=True)
        workspace = response.json
        assert Workspace.get_by_id(workspace['id']).name == 'Outage'
        assert OutboxMessage.select().count() == 1
        [job] = activity_jobs()
        assert job.state == 'queued' and job.to_dict()['args'][0] == workspace['id']
    finally:
        redis_server.start()

    def logged():
        return Activity.get_or_none(Activity.workspace == workspace['id'])
    wait_until(logged, timeout=30, message='the held job to run once Redis is back')
    wait_until(lambda: activity_jobs()[0].state == 'succeeded', timeout=10,
               message='the job to be recorded as succeeded')
    assert OutboxMessage.select().count() == 0
    assert Activity.select().count() == 1


@pytest.mark.parametrize('queue_backend', ['redis'])
def test_create_is_never_a_500_while_the_queue_is_down(client, ann, queue_backend,
                                                       redis_server):
    redis_server.stop()
    try:
        responses = [create(client, ann, f'Team {n}') for n in range(3)]
    finally:
        redis_server.start()
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert Workspace.select().count() == len(activity_jobs()) == 3
