"""Auth: register, log in and out, bearer tokens, /api/me, CSRF, the first admin.

Every test runs on SQLite and on PostgreSQL.
"""
import dataclasses
import json
from urllib.parse import urljoin, urlparse

import pytest

from collab.app import create_app
from collab.db import close_connection
from collab.models import ApiToken, User
from tests.support import page_csrf_token, register as register_user, sign_in, sign_up

pytestmark = pytest.mark.usefixtures('db_backend')

ANN = {'email': 'ann@example.com', 'name': 'Ann', 'password': 'correct horse'}


def register(client, **changes):
    return client.post('/api/auth/register', json={**ANN, **changes})


def bearer(token):
    return {'Authorization': f'Bearer {token}'}


def assert_error(response, status, field=None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)
    assert isinstance(response.json['error'], str) and response.json['error']
    if field is not None:
        assert response.json['field'] == field


# ------------------------------------------------------------------ register

def test_register_creates_a_user(client):
    register(client, email='root@example.com')   # the first account: made the admin
    response = register(client)
    assert response.status_code == 201
    user = response.json
    assert (user['email'], user['name'], user['is_admin']) == ('ann@example.com', 'Ann', False)
    assert 'password' not in json.dumps(user) and 'password_hash' not in user
    assert User.get_by_id(user['id']).email == 'ann@example.com'


def test_register_normalises_the_email(client):
    response = register(client, email='  Ann@Example.COM ')
    assert response.status_code == 201 and response.json['email'] == 'ann@example.com'


def test_register_with_a_taken_email_is_a_conflict(client):
    register(client)
    assert_error(register(client, email='ANN@example.com', name='Other'), 409, 'email')
    assert User.select().count() == 1


@pytest.mark.parametrize('changes, field', [
    ({'email': 'not-an-email'}, 'email'),
    ({'email': 'two@@example.com'}, 'email'),
    ({'email': 42}, 'email'),
    ({'email': None}, 'email'),
    ({'name': ''}, 'name'),
    ({'name': '   '}, 'name'),
    ({'name': 'n' * 101}, 'name'),
    ({'name': ['Ann']}, 'name'),
    ({'name': None}, 'name'),
    ({'password': 'short'}, 'password'),
    ({'password': 12345678}, 'password'),
    ({'password': None}, 'password'),
    ({'password': 'p' * 2000}, 'password'),
])
def test_register_rejects_bad_input_naming_the_field(client, changes, field):
    body = {k: v for k, v in {**ANN, **changes}.items() if v is not None}
    assert_error(client.post('/api/auth/register', json=body), 400, field)
    assert User.select().count() == 0


@pytest.mark.parametrize('data, content_type', [
    ('{"email": ', 'application/json'),
    ('["ann@example.com", "Ann", "correct horse"]', 'application/json'),
    ('', 'application/json'),
])
def test_register_rejects_a_body_that_is_not_a_json_object(client, data, content_type):
    assert_error(client.post('/api/auth/register', data=data, content_type=content_type), 400)


@pytest.mark.parametrize('path', ['/api/auth/register', '/api/auth/login'])
def test_json_routes_refuse_other_content_types(client, path):
    # A cross-site HTML form can post text/plain but never application/json.
    body = '{"email": "ann@example.com", "name": "Ann", "password": "correct horse"}'
    assert_error(client.post(path, data=body, content_type='text/plain'), 415)


def test_register_rejects_a_huge_body(client):
    body = {**ANN, 'name': 'x' * (4 * 1024 * 1024)}
    response = client.post('/api/auth/register', json=body)
    assert_error(response, 413)
    assert User.select().count() == 0


# ------------------------------------------------------------------ login, tokens, logout

def test_login_returns_a_token_and_starts_a_session(app, client):
    register(client)
    response = client.post('/api/auth/login', json={'email': ANN['email'],
                                                    'password': ANN['password']})
    assert response.status_code == 200
    assert response.json['user']['email'] == 'ann@example.com'
    assert response.json['token']
    # The session cookie alone identifies the user now.
    assert client.get('/api/me').json['email'] == 'ann@example.com'
    # And the token alone does, from a client without the cookie.
    fresh = app.test_client()
    assert fresh.get('/api/me', headers=bearer(response.json['token'])).status_code == 200


def test_login_with_a_wrong_password_is_refused(client):
    register(client)
    response = client.post('/api/auth/login', json={'email': ANN['email'], 'password': 'wrong horse'})
    assert_error(response, 401)
    assert 'token' not in response.json
    assert_error(client.get('/api/me'), 401)


def test_login_with_an_unknown_email_is_refused_the_same_way(client):
    register(client)
    unknown = client.post('/api/auth/login', json={'email': 'bob@example.com', 'password': 'x' * 10})
    wrong = client.post('/api/auth/login', json={'email': ANN['email'], 'password': 'x' * 10})
    assert_error(unknown, 401)
    assert unknown.json == wrong.json


@pytest.mark.parametrize('body, field', [
    ({'email': 'ann@example.com'}, 'password'),
    ({'email': 'ann@example.com', 'password': 123456789}, 'password'),
    ({'password': 'correct horse'}, 'email'),
])
def test_login_rejects_missing_or_mistyped_fields(client, body, field):
    assert_error(client.post('/api/auth/login', json=body), 400, field)


def test_requests_without_credentials_are_unauthorised(client):
    assert_error(client.get('/api/me'), 401)
    assert_error(client.patch('/api/me', json={'name': 'X'}), 401)


def test_an_unknown_bearer_token_is_unauthorised(client):
    assert_error(client.get('/api/me', headers=bearer('made-up-token')), 401)


def test_logout_revokes_the_bearer_token(app, client):
    token = sign_up(client, name='Ann').token
    other = sign_in(client).token
    api = app.test_client()
    assert api.post('/api/auth/logout', headers=bearer(token)).status_code == 200
    assert_error(api.get('/api/me', headers=bearer(token)), 401)
    # Only that token: the user's other tokens still work.
    assert api.get('/api/me', headers=bearer(other)).status_code == 200


def test_logout_ends_the_cookie_session(client):
    sign_up(client, name='Ann')
    csrf = client.get('/api/auth/csrf').json['csrf_token']
    assert client.post('/api/auth/logout', headers={'X-CSRF-Token': csrf}).status_code == 200
    assert_error(client.get('/api/me'), 401)


def test_passwords_and_tokens_are_stored_hashed(app, client):
    del app.config['PASSWORD_HASH_METHOD']   # the server's own, not the suite's quick one
    token = sign_up(client, name='Ann').token
    user = User.get(User.email == ANN['email'])
    assert ANN['password'] not in user.password_hash
    assert user.password_hash.split(':')[0] == 'scrypt'
    stored = [row.token_hash for row in ApiToken.select()]
    assert stored and token not in stored


# ------------------------------------------------------------------ /api/me

def test_me_shows_the_current_user(app, client):
    headers = sign_up(client, name='Ann').headers
    me = app.test_client().get('/api/me', headers=headers).json
    assert (me['email'], me['name'], me['push']) == ('ann@example.com', 'Ann', True)


def test_patch_me_changes_the_name_and_push(app, client):
    headers = sign_up(client).headers
    api = app.test_client()
    response = api.patch('/api/me', json={'name': '  Ann B.  ', 'push': False}, headers=headers)
    assert response.status_code == 200
    assert (response.json['name'], response.json['push']) == ('Ann B.', False)
    user = User.get(User.email == ANN['email'])
    assert (user.name, user.push_enabled) == ('Ann B.', False)
    assert api.patch('/api/me', json={'push': True}, headers=headers).json['push'] is True


@pytest.mark.parametrize('body, field', [
    ({'name': ''}, 'name'),
    ({'name': 'n' * 101}, 'name'),
    ({'name': 7}, 'name'),
    ({'push': 'no'}, 'push'),
    ({'push': 0}, 'push'),
    ({}, None),
])
def test_patch_me_rejects_bad_input(app, client, body, field):
    headers = sign_up(client, name='Ann').headers
    assert_error(app.test_client().patch('/api/me', json=body, headers=headers), 400, field)
    user = User.get(User.email == ANN['email'])
    assert (user.name, user.push_enabled) == ('Ann', True)


# ------------------------------------------------------------------ CSRF

def test_a_cookie_authenticated_write_without_csrf_token_is_forbidden(client):
    sign_up(client, name='Ann')
    assert_error(client.patch('/api/me', json={'name': 'Mallory'}), 403)
    assert_error(client.patch('/api/me', json={'name': 'Mallory'},
                              headers={'X-CSRF-Token': 'guessed'}), 403)
    assert User.get(User.email == ANN['email']).name == 'Ann'


def test_a_cookie_authenticated_write_with_the_csrf_token_is_allowed(client):
    sign_up(client, name='Ann')
    token = client.get('/api/auth/csrf').json['csrf_token']
    response = client.patch('/api/me', json={'name': 'Ann B.'}, headers={'X-CSRF-Token': token})
    assert response.status_code == 200
    assert User.get(User.email == ANN['email']).name == 'Ann B.'


def test_bearer_authenticated_writes_need_no_csrf_token(app, client):
    headers = sign_up(client).headers
    response = app.test_client().patch('/api/me', json={'name': 'Script'}, headers=headers)
    assert response.status_code == 200 and response.json['name'] == 'Script'


# ------------------------------------------------------------------ the first admin

@pytest.mark.env(ADMIN_EMAIL='Boss@Example.com', ADMIN_PASSWORD='boss password')
def test_admin_email_and_password_create_the_admin_on_first_start(app, client):
    admin = User.get(User.email == 'boss@example.com')
    assert admin.is_admin
    login = client.post('/api/auth/login', json={'email': 'boss@example.com',
                                                 'password': 'boss password'})
    assert login.status_code == 200 and login.json['user']['is_admin'] is True


@pytest.mark.env(ADMIN_EMAIL='boss@example.com', ADMIN_PASSWORD='boss password')
def test_the_admin_bootstrap_does_nothing_once_an_admin_exists(app, settings):
    close_connection()
    create_app(dataclasses.replace(settings, admin_email='other@example.com',
                                   admin_password='other password'))
    assert User.get_or_none(User.email == 'other@example.com') is None
    assert [u.email for u in User.select().where(User.is_admin == True)] == ['boss@example.com']  # noqa: E712


@pytest.mark.env(ADMIN_EMAIL='boss@example.com', ADMIN_PASSWORD='boss password')
def test_the_admin_bootstrap_does_not_reset_a_changed_password_on_restart(app, settings):
    from werkzeug.security import generate_password_hash
    User.update(password_hash=generate_password_hash('changed password')).execute()
    close_connection()
    restarted = create_app(settings).test_client()
    assert restarted.post('/api/auth/login', json={
        'email': 'boss@example.com', 'password': 'changed password'}).status_code == 200


@pytest.mark.env(ADMIN_EMAIL='boss@example.com')
def test_no_admin_is_created_without_both_variables(app):
    assert User.select().count() == 0


# ------------------------------------------------------------------ the sign-in page

def test_the_login_page_signs_in_and_follows_a_local_next(client):
    register_user(client, name='Ann')
    assert client.get('/login').status_code == 200
    response = client.post('/login?next=/api/me', data={'email': 'ANN@example.com',
                                                        'password': ANN['password'],
                                                        'csrf_token': page_csrf_token(client)})
    assert response.status_code == 302
    assert response.headers['Location'].endswith('/api/me')
    assert client.get('/api/me').json['email'] == 'ann@example.com'


@pytest.mark.parametrize('target', ['https://evil.example/steal', '//evil.example/steal',
                                    'javascript:alert(1)', r'/\evil.example'])
def test_the_login_page_refuses_an_off_site_next(client, target):
    register_user(client, name='Ann')
    response = client.post('/login', query_string={'next': target},
                           data={'email': ANN['email'], 'password': ANN['password'],
                                 'csrf_token': page_csrf_token(client)})
    assert response.status_code == 302
    # Where a browser goes: the same host, never evil.example or a script.
    assert '\\' not in response.headers['Location']   # browsers read '/\\' as '//'
    landing = urljoin('http://localhost/login', response.headers['Location'])
    assert urlparse(landing).scheme == 'http' and urlparse(landing).netloc == 'localhost'


def test_the_login_page_shows_an_error_for_wrong_credentials(client):
    register_user(client, name='Ann')
    response = client.post('/login', data={'email': ANN['email'], 'password': 'wrong horse',
                                           'csrf_token': page_csrf_token(client)})
    assert response.status_code == 401
    assert 'Wrong email or password' in response.get_data(as_text=True)
    assert_error(client.get('/api/me'), 401)
