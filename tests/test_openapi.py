"""The API description (collab/api/openapi.py, the admin's in collab/api/openapi_admin.py)
is kept in step with the app: every JSON route of the URL map is described, with the
same methods and path parameters, and nothing is described that the app does not have."""
import re
import sqlite3
import threading

import jsonschema_rs

from collab.api import openapi_admin
from collab.api.openapi import document
from collab.db import database
from collab.jobs.instance import huey
from collab.jobs.models import DeadLetter, Job
from tests.job_log_tasks import chatty, count_up
from tests.sample_tasks import add, always_fail
from tests.support import sign_in, sign_up, wait_for_state, wait_until

METHODS = {'GET', 'POST', 'PUT', 'PATCH', 'DELETE'}
JSON_PREFIXES = ('/api/', '/admin/api/')


def app_operations(app):
    """{(method, path)} of every /api/ and /admin/api/ rule, the path in OpenAPI's
    {name} form."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(JSON_PREFIXES):
            path = re.sub(r'<(?:[^:>]+:)?(\w+)>', r'{\1}', rule.rule)
            found |= {(method.lower(), path) for method in rule.methods & METHODS}
    return found


def described_operations(description):
    return {(method, path) for path, item in description['paths'].items() for method in item}


def test_every_json_route_is_described_and_nothing_else(app):
    in_app, described = app_operations(app), described_operations(document())
    assert any(path.startswith('/admin/api/') for _, path in in_app)
    assert in_app - described == set(), 'routes missing from collab/api/openapi.py'
    assert described - in_app == set(), 'described routes the app does not have'


def test_path_parameters_are_declared_as_the_rule_names_them(app):
    for path, item in document()['paths'].items():
        names = set(re.findall(r'{(\w+)}', path))
        for method, operation in item.items():
            declared = {p['name'] for p in operation.get('parameters', []) if p['in'] == 'path'}
            assert declared == names, f'{method} {path}'


def test_links_name_operations_and_parameters_that_exist():
    description = document()
    operations = {op['operationId']: op for item in description['paths'].values()
                  for op in item.values()}
    assert len(operations) == len(described_operations(description)), 'operationIds are unique'
    links = [link for op in operations.values() for response in op['responses'].values()
             for link in response.get('links', {}).values()]
    assert len(links) >= 10
    for link in links:
        target = operations[link['operationId']]
        names = {p['name'] for p in target.get('parameters', [])}
        assert set(link['parameters']) <= names, link


def test_every_reference_resolves():
    description = document()
    refs = re.findall(r"'\$ref': '#/components/(\w+)/(\w+)'", repr(description))
    assert refs
    for section, name in refs:
        assert name in description['components'][section], (section, name)


def test_the_description_is_public_and_cacheable(client):
    response = client.get('/api/openapi.json')
    assert response.status_code == 200
    assert response.get_json()['openapi'] == '3.1.0'
    assert response.get_json()['paths'].keys() == document()['paths'].keys()
    assert 'max-age' in response.headers['Cache-Control']
    assert 'public' in response.headers['Cache-Control']


# ------------------------------------------------------------------ the admin's operations

# Values for the admin's path parameters that name nothing: each operation reaches its
# view (to a 404 or a harmless 200) without changing anything.
NOTHING = {'job_id': 'no-such-job', 'task': 'no.such.task', 'action': 'pause',
           'user_id': 999_999}


def admin_operations():
    return [(method, path, operation) for path, item in document()['paths'].items()
            if path.startswith('/admin/api/') for method, operation in item.items()]


def send(client, method, path, operation, headers):
    body = {} if 'requestBody' in operation else None
    return client.open(path.format(**NOTHING), method=method.upper(), json=body,
                       headers=headers)


def test_every_admin_operation_is_for_admins_only_as_described(app):
    anonymous, api, cookie = app.test_client(), app.test_client(), app.test_client()
    root = sign_up(api, 'root@example.com', admin=True).headers   # first: the first is an admin
    bob_token = sign_up(api, 'bob@example.com').headers
    bob = sign_in(cookie, 'bob@example.com')
    assert not bob.user['is_admin']
    bob_cookie = {'X-CSRF-Token': bob.csrf}
    operations = admin_operations()
    assert len(operations) >= 18
    for method, path, operation in operations:
        where = (method, path)
        assert {'401', '403'} <= operation['responses'].keys(), where
        assert operation['security'] == [{'bearer': ['admin']}, {'cookie': ['admin']}], where
        response = send(anonymous, method, path, operation, {})
        assert (response.status_code, response.get_json()['error']) == (
            401, 'authentication required'), where
        for client, headers in [(api, bob_token), (cookie, bob_cookie)]:
            response = send(client, method, path, operation, headers)
            assert (response.status_code, response.get_json()['error']) == (
                403, 'administrators only'), where
        answered = send(api, method, path, operation, root).status_code
        assert answered not in (401, 403) and str(answered) in operation['responses'], (
            where, answered)


def test_the_admin_limits_described_are_the_admin_code_s_own():
    from collab.admin import filters, queries, users
    assert openapi_admin.MAX_LIMIT == queries.MAX_LIMIT == users.MAX_LIMIT
    assert openapi_admin.MAX_QUERY == filters.MAX_QUERY
    assert openapi_admin.MAX_USER_QUERY == users.MAX_QUERY
    assert set(openapi_admin.TABS) == set(filters.TAB_STATES)


def answer_validator(description, operation_id):
    """A JSON Schema validator for the operation's 200 answer, formats checked too."""
    operation = next(op for item in description['paths'].values() for op in item.values()
                     if op['operationId'] == operation_id)
    schema = operation['responses']['200']['content']['application/json']['schema']
    return jsonschema_rs.validator_for({**schema, 'components': description['components']},
                                       validate_formats=True)


def test_the_admin_answers_are_as_described_with_every_part_present(client, consumer):
    """The fuzzing's world has no job logs or pipelines. Here a real consumer runs jobs
    that log, report progress, fail (attempts with tracebacks) and form a pipeline
    (graph edges, related jobs), beside a dead letter; every admin read's answer is
    valid by its described schema."""
    root = sign_up(client, 'root@example.com', admin=True).headers
    first, second = huey.enqueue(add.s(1, 2).then(add, 10))
    ids = [chatty('zebracorn').id, count_up(5, 'counting').id, first.id, second.id]
    failing = always_fail('described').id
    huey.storage.enqueue(b'garbage without a signature')
    for job_id in ids:
        wait_for_state(job_id, 'succeeded')
    wait_for_state(failing, 'failed')
    wait_until(lambda: DeadLetter.select().exists(), timeout=10, message='a dead letter')
    huey.ledger.flush()
    description = document()

    def valid(operation_id, path):
        response = client.get(path, headers=root)
        assert response.status_code == 200, (path, response.get_json())
        errors = [str(e) for e in answer_validator(description, operation_id)
                  .iter_errors(response.get_json())]
        assert errors == [], (path, errors[:5])
        return response.get_json()

    listed = valid('admin_list_jobs', '/admin/api/jobs?limit=100')['jobs']
    assert {*ids, failing} <= {job['id'] for job in listed}
    details = [valid('admin_get_job', f'/admin/api/jobs/{job_id}') for job_id in [*ids, failing]]
    graphs = [valid('admin_job_graph', f'/admin/api/jobs/{job_id}/graph') for job_id in ids]
    attempts = [a for d in details for a in d['attempts_log']]
    assert any(a['logs'] for a in attempts) and any(a['traceback'] for a in attempts)
    assert any(d['progress'] for d in details) and any(d['related'] for d in details)
    assert any(g['edges'] for g in graphs)
    assert valid('admin_dead_letters', '/admin/api/dead-letters')['dead_letters']
    assert valid('admin_counts', '/admin/api/counts')['counts']['succeeded'] >= 4
    assert valid('admin_counts', '/admin/api/counts?q=zebracorn')['counts'] == {'succeeded': 1}
    assert valid('admin_stats', '/admin/api/stats')['tasks']
    assert valid('admin_schedule', '/admin/api/schedule')['schedule']
    assert valid('admin_list_users', '/admin/api/users')['users'][0]['email'] == 'root@example.com'


# ------------------------------------------------------------------ what the fuzzing found

def test_an_id_too_large_for_the_database_is_a_404_for_every_method(client, team):
    """It was a 405 for a method whose path has a GET rule too (werkzeug checked int(max=)
    only after the method), which the description does not say."""
    too_large = 2**63
    for method, path in [('POST', f'/api/channels/{too_large}/messages'),
                         ('PUT', f'/api/documents/{too_large}'),
                         ('DELETE', f'/api/documents/{too_large}'),
                         ('GET', f'/api/documents/{too_large}')]:
        response = client.open(path, method=method, json={'body': 'x', 'content': 'x'},
                               headers=team.ann)
        assert response.status_code == 404, (method, path, response.status_code)
        assert 'error' in response.get_json()
    assert client.get(f'/api/documents/{2**63 - 1}', headers=team.ann).status_code == 404
    document = team.document()
    assert client.get(f"/api/documents/{document['id']}", headers=team.ann).status_code == 200


def test_a_name_that_lower_case_makes_too_long_is_a_400(client, team):
    """'İ' lower-cased is two characters: 80 of them made a channel name of 160, past
    the column's 80 (a 500 on PostgreSQL, which enforces it)."""
    response = client.post(f'/api/workspaces/{team.ws_id}/channels', json={'name': 'İ' * 80},
                           headers=team.ann)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()['field'] == 'name'
    assert client.post(f'/api/workspaces/{team.ws_id}/channels', json={'name': 'İ' * 40},
                       headers=team.ann).status_code == 201


def test_an_email_that_lower_case_makes_too_long_is_a_400(client):
    email = 'ann@' + 'İ' * 240 + '.org'   # 248 characters; 488 in lower case
    response = client.post('/api/auth/register', json={'email': email, 'name': 'Ann',
                                                       'password': 'correct horse'})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()['field'] == 'email'


def test_a_bulk_delete_waits_for_a_write_committed_meanwhile(app):
    """Its batch read the matching jobs, then deleted them, in one deferred SQLite
    transaction: a write another connection (the consumer's ledger writer) committed in
    between left the read's snapshot stale, and the delete failed at once with
    "database is locked", a 500."""
    api = app.test_client()
    root = sign_up(api, 'root@example.com', admin=True).headers
    # The token's use is noted now: the request below writes nothing before the view.
    api.get('/admin/api/counts', headers=root)
    Job.insert(job_id='ended', task='tests.sample_tasks.succeed', state='succeeded').execute()
    writer = sqlite3.connect(database.obj.database, isolation_level=None,
                             check_same_thread=False)
    writer.execute('BEGIN IMMEDIATE')
    writer.execute("INSERT INTO job (job_id, task, state, enqueued_at) "
                   "VALUES ('waiting', 'tests.sample_tasks.succeed', 'queued', '2025-01-01')")
    commit = threading.Timer(0.3, writer.execute, ['COMMIT'])
    commit.start()
    response = api.post('/admin/api/jobs/delete', json={}, headers=root)
    commit.join()
    writer.close()
    assert response.status_code == 200, response.get_json()
    assert response.get_json()['count'] == 1
    assert [job.job_id for job in Job.select()] == ['waiting']
