"""The admin's users page and its JSON: every account with its live sessions and
tokens, searchable by email and paged; and an administrator's password reset, which
ends every session, token and socket of the user and hands out a temporary password
once. Admins only; the page's reset is CSRF-checked."""
import json
import time

import pytest
import websocket

from collab.models import ApiToken, LoginSession
from tests.support import (PASSWORD, Listener, ThreadedServer, close_code, page_csrf_token,
                           sign_in, sign_up)

ROOT = 'root@example.com'


@pytest.fixture
def root(client):
    """A site administrator signed in on `client` (cookie) and with a bearer token."""
    return sign_up(client, ROOT, 'Root', admin=True)


@pytest.fixture
def ann(app):
    """A user signed in twice: a browser session (her client's cookie) and a named token."""
    browser = app.test_client()
    account = sign_up(browser, 'ann@example.com', 'Ann')
    script_token = account.call('POST', '/api/me/tokens', {'name': 'backup script'})['token']
    account.browser, account.script_token = browser, script_token
    return account


def users_json(app, admin, **query):
    response = app.test_client().get('/admin/api/users', query_string=query, headers=admin.headers)
    assert response.status_code == 200, response.json
    return response.json


def reset(app, admin, user_id):
    return app.test_client().post(f'/admin/api/users/{user_id}/reset-password',
                                  headers=admin.headers)


def bearer(token):
    return {'Authorization': f'Bearer {token}'}


def signed_in(app, client=None, token=None):
    """Whether a cookie (a client) or a bearer token still signs its user in."""
    if client is not None:
        return client.get('/api/me').status_code == 200
    return app.test_client().get('/api/me', headers=bearer(token)).status_code == 200


# ---------------------------------------------------------------- the list

@pytest.mark.usefixtures('db_backend')
def test_the_list_shows_each_user_with_live_sessions_and_tokens(app, root, ann):
    rows = {row['email']: row for row in users_json(app, root)['users']}
    assert set(rows) == {ROOT, 'ann@example.com'}
    mine = rows['ann@example.com']
    # Sign-in through the API gives a session and a token; she made one more token.
    assert (mine['name'], mine['is_admin'], mine['sessions'], mine['tokens']) == ('Ann', False, 1, 2)
    assert mine['created_at'] and mine['last_sign_in_at'] >= mine['created_at']
    assert rows[ROOT]['is_admin'] is True
    assert 'password_hash' not in mine


def test_expired_sessions_and_tokens_are_not_counted(app, root, ann):
    LoginSession.update(expires_at=LoginSession.created_at).where(
        LoginSession.user == ann.id).execute()
    ApiToken.update(expires_at=ApiToken.created_at).where(ApiToken.user == ann.id).execute()
    row = users_json(app, root, q='ann')['users'][0]
    assert (row['sessions'], row['tokens'], row['last_sign_in_at']) == (0, 0, None)


def test_the_list_is_paged_newest_first(app, root, ann):
    sign_up(app.test_client(), 'bob@example.com')
    first = users_json(app, root, limit=2)
    assert [u['email'] for u in first['users']] == ['bob@example.com', 'ann@example.com']
    rest = users_json(app, root, limit=2, cursor=first['next_cursor'])
    assert [u['email'] for u in rest['users']] == [ROOT]
    assert rest['next_cursor'] is None


@pytest.mark.usefixtures('db_backend')
def test_search_matches_part_of_the_email_in_any_case_and_wildcards_literally(app, root, ann):
    sign_up(app.test_client(), 'bob_smith@example.com')
    assert [u['email'] for u in users_json(app, root, q='ANN@')['users']] == ['ann@example.com']
    assert [u['email'] for u in users_json(app, root, q='_')['users']] == ['bob_smith@example.com']
    assert users_json(app, root, q='%')['users'] == []


def test_bad_list_arguments_get_a_clear_json_error(app, root):
    for query, field in (({'limit': 0}, 'limit'), ({'cursor': 'x'}, 'cursor'),
                         ({'q': 'a' * 255}, 'q')):
        response = app.test_client().get('/admin/api/users', query_string=query,
                                         headers=root.headers)
        assert response.status_code == 400 and response.json['field'] == field


def test_the_page_lists_and_searches_and_is_in_the_navigation(app, client, root, ann):
    page = client.get('/admin/users')
    assert page.status_code == 200
    assert 'ann@example.com' in page.text and ROOT in page.text
    # The reset asks first (admin_confirm.js), and is not offered on the admin's own row.
    assert page.text.count('data-confirm="Reset the password of ') == 1
    assert 'data-confirm="Reset the password of ann@example.com?' in page.text
    assert 'href="/admin/users" aria-current="page">Users' in page.text
    assert 'href="/admin/users"' in client.get('/admin/schedule').text   # on every admin page
    found = client.get('/admin/users?q=ann')
    assert 'ann@example.com' in found.text and ROOT not in found.text


# ---------------------------------------------------------------- the reset

@pytest.mark.usefixtures('db_backend')
def test_a_reset_ends_every_session_and_token_and_the_temporary_password_signs_in(
        app, client, root, ann):
    response = reset(app, root, ann.id)
    assert response.status_code == 200, response.json
    assert response.headers['Cache-Control'] == 'no-store'
    temporary = response.json['temporary_password']
    assert len(temporary) >= 16

    assert ann.browser.get('/api/me').status_code == 401        # the old cookie
    for token in (ann.token, ann.script_token):                  # every old token
        assert app.test_client().get('/api/me', headers=bearer(token)).status_code == 401
    assert LoginSession.select().where(LoginSession.user == ann.id).count() == 0
    assert app.test_client().post('/api/auth/login', json={
        'email': ann.email, 'password': PASSWORD}).status_code == 401
    assert sign_in(app.test_client(), ann.email, temporary).id == ann.id
    assert signed_in(app, client) and signed_in(app, token=root.token)   # the admin's own


def test_a_reset_from_the_page_shows_the_password_once_and_ends_the_sign_ins(
        app, client, root, ann):
    response = client.post(f'/admin/users/{ann.id}/reset-password',
                           data={'csrf_token': root.csrf})
    assert response.status_code == 200
    assert response.headers['Cache-Control'] == 'no-store'
    assert response.mimetype == 'text/html'
    text = response.text
    marker = 'data-temporary-password>'
    temporary = text[text.index(marker) + len(marker):].split('<', 1)[0]
    assert sign_in(app.test_client(), ann.email, temporary).id == ann.id
    assert not signed_in(app, ann.browser) and not signed_in(app, token=ann.script_token)
    assert temporary not in client.get('/admin/users').text
    with client.session_transaction() as session:   # not flashed into the cookie either
        assert temporary not in json.dumps(dict(session))


def test_a_reset_of_an_unknown_user_is_a_404(app, client, root):
    assert reset(app, root, 987654).status_code == 404
    page = client.post('/admin/users/987654/reset-password', data={'csrf_token': root.csrf})
    assert page.status_code == 404 and 'no such user' in page.text


def test_an_admin_does_not_reset_their_own_password_here(app, client, root):
    response = reset(app, root, root.id)
    assert response.status_code == 409 and 'password page' in response.json['error']
    assert signed_in(app, client) and signed_in(app, token=root.token)


# ---------------------------------------------------------------- who may

def test_non_admins_and_anonymous_visitors_are_refused_and_nothing_ends(app, root, ann):
    bob = sign_up(app.test_client(), 'bob@example.com')
    for path in ('/admin/api/users', '/admin/users'):
        assert app.test_client().get(path, headers=bob.headers).status_code == 403
    assert reset(app, bob, ann.id).status_code == 403
    assert app.test_client().post(f'/admin/users/{ann.id}/reset-password',
                                  headers=bob.headers).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get('/admin/api/users').status_code == 401
    assert anonymous.post(f'/admin/api/users/{ann.id}/reset-password').status_code == 401
    page = anonymous.get('/admin/users')
    assert page.status_code == 302 and page.location.startswith('/login')
    assert signed_in(app, ann.browser) and signed_in(app, token=ann.script_token)


def test_the_page_reset_needs_the_csrf_token(app, client, root, ann):
    path = f'/admin/users/{ann.id}/reset-password'
    assert client.post(path).status_code == 403
    assert client.post(path, data={'csrf_token': 'forged'}).status_code == 403
    assert client.post(path, headers={'X-CSRF-Token': 'forged'}).status_code == 403
    assert client.post(f'/admin/api/users/{ann.id}/reset-password').status_code == 403
    assert signed_in(app, ann.browser) and signed_in(app, token=ann.script_token)
    assert client.post(path, headers={'X-CSRF-Token': page_csrf_token(client)}).status_code == 200
    assert not signed_in(app, ann.browser)


# ---------------------------------------------------------------- sockets

def test_a_reset_closes_the_users_sockets_with_4401(app, root, ann):
    server = ThreadedServer(app).start()
    try:
        url = server.url.replace('http://', 'ws://') + '/ws'
        by_token = websocket.create_connection(f'{url}?token={ann.script_token}', timeout=10,
                                               origin=server.url)
        by_cookie = websocket.create_connection(
            url, timeout=10, origin=server.url,
            cookie=f"collab_session={ann.browser.get_cookie('collab_session').value}")
        for ws in (by_token, by_cookie):
            assert json.loads(ws.recv())['type'] == 'hello'
        bystander = Listener(server.url, root.token, origin=server.url)

        started = time.monotonic()
        assert reset(app, root, ann.id).status_code == 200
        assert close_code(by_token) == 4401 and close_code(by_cookie) == 4401
        assert time.monotonic() - started < 5
        bystander.send({'type': 'ping'})
        bystander.wait_for(lambda m: m['type'] == 'pong', 'the admin socket to stay open')
        bystander.close()
    finally:
        server.stop()
