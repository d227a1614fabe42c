"""NUL characters in input are a clear 400, on SQLite and on PostgreSQL (which cannot
store or even compare text holding one) — found by the API fuzzing."""
import pytest

from tests.support import page_csrf_token


def test_nul_in_a_json_field_is_a_400_naming_the_field(world, db_backend):
    owner, one = world.actors['owner'], world.one
    for url, body, field in [
            ('/api/workspaces', {'name': 'a\x00b'}, 'name'),
            (f"/api/workspaces/{one['ws']}/documents", {'title': 't', 'content': 'a\x00'}, 'content'),
            (f"/api/channels/{one['channel']}/messages", {'body': '\x00'}, 'body'),
            ('/api/auth/register', {'email': 'x\x00@example.com', 'name': 'n',
                                    'password': 'correct horse'}, 'email'),
            ('/api/auth/login', {'email': 'x\x00@example.com', 'password': 'p'}, 'email')]:
        response = owner.api('POST', url, json=body)
        assert response.status_code == 400, (url, response.json)
        assert response.json['field'] == field and 'NUL' in response.json['error']


def test_nul_in_a_form_field_is_a_message_not_a_500(world, db_backend):
    owner = world.actors['owner']
    response = owner.client.post('/workspaces', data={'name': 'a\x00', 'csrf_token': owner.csrf})
    assert response.status_code == 302
    visitor = world.app.test_client()
    form = {'email': 'a\x00@example.com', 'password': 'x', 'csrf_token': page_csrf_token(visitor)}
    assert visitor.post('/login', data=form).status_code == 401


def test_nul_in_the_url_is_a_400(world, db_backend):
    admin, owner = world.actors['admin'], world.actors['owner']
    for actor, url in [(admin, '/admin/api/jobs?q=a%00b'), (admin, '/admin/api/jobs?task=%00'),
                       (admin, '/admin/api/jobs/a%00b'), (owner, '/api/invites/a%00b/accept')]:
        method = 'POST' if url.endswith('accept') else 'GET'
        assert actor.api(method, url).status_code == 400, url


@pytest.mark.parametrize('db_backend', ['postgres'], indirect=True)
def test_nul_in_an_admin_bulk_filter_is_a_400(world, db_backend):
    response = world.actors['admin'].api('POST', '/admin/api/jobs/retry', json={'task': 'x\x00'})
    assert response.status_code == 400
