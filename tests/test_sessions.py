"""Sessions recorded on the server: signing out ends one for good, a password change
(by the user, or an administrator's reset) ends every other one and every token.

The HTTP tests run on SQLite and on PostgreSQL; the socket tests over a real
WebSocket to the app behind a real HTTP server.
"""
import json
import time

import pytest
import websocket

from collab.login_sessions import find
from collab.models import LoginSession
from collab.users import create_or_promote_admin
from tests.support import (PASSWORD, ThreadedServer, close_code, page_csrf_token, sign_in,
                           sign_up)

NEW_PASSWORD = 'battery staple'


def cookie_value(client):
    return client.get_cookie('collab_session').value


def replay(app, value):
    """A new client carrying a copy of a session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie('collab_session', value)
    return thief


def csrf_headers(client):
    return {'X-CSRF-Token': page_csrf_token(client)}


def session_key(client):
    with client.session_transaction() as session:
        return session.get('sid')


def channel_of(account):
    workspace = account.call('POST', '/api/workspaces', {'name': 'Garden club'})
    return account.call('POST', f"/api/workspaces/{workspace['id']}/channels", {'name': 'general'})


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, headers=None):
    return client.post('/api/me/password', json={'current': current, 'new': new},
                       headers=headers if headers is not None else csrf_headers(client))


# ------------------------------------------------------------------ signing out

@pytest.mark.usefixtures('db_backend')
def test_a_cookie_replayed_after_logout_gets_401_and_cannot_post(app, client):
    ann = sign_up(client, name='Ann')
    channel = channel_of(ann)
    stolen, csrf = cookie_value(client), page_csrf_token(client)
    assert replay(app, stolen).get('/api/me').status_code == 200   # the copy works while signed in

    assert client.post('/api/auth/logout', headers={'X-CSRF-Token': csrf}).status_code == 200
    thief = replay(app, stolen)
    assert thief.get('/api/me').status_code == 401
    posted = thief.post(f"/api/channels/{channel['id']}/messages", json={'body': 'hi'},
                        headers={'X-CSRF-Token': csrf})
    assert posted.status_code == 401
    assert ann.call('GET', f"/api/channels/{channel['id']}/messages")['messages'] == []


def test_the_sign_out_button_ends_the_session_for_good(app, client):
    sign_up(client, name='Ann')
    stolen = cookie_value(client)
    response = client.post('/logout', data={'csrf_token': page_csrf_token(client)})
    assert response.status_code == 302
    assert replay(app, stolen).get('/api/me').status_code == 401
    assert LoginSession.select().count() == 0


def test_signing_in_again_ends_the_cookies_earlier_session(app, client):
    sign_up(client, name='Ann')
    earlier = cookie_value(client)
    sign_in(client)
    assert replay(app, earlier).get('/api/me').status_code == 401
    assert client.get('/api/me').status_code == 200
    assert LoginSession.select().count() == 1


def test_only_a_hash_of_the_session_key_is_stored(client):
    sign_up(client, name='Ann')
    key = session_key(client)
    [row] = LoginSession.select()
    assert key and row.key_hash != key and key not in row.key_hash
    assert find(key).id == row.id


def test_a_cookie_from_before_sessions_were_recorded_signs_in_no_one(app, client):
    ann = sign_up(client, name='Ann')
    old = app.test_client()
    with old.session_transaction() as session:   # what such a cookie held: the user id only
        session['user_id'] = ann.id
    assert old.get('/api/me').status_code == 401
    with old.session_transaction() as session:
        assert 'user_id' not in session   # cleared, not kept around


# ------------------------------------------------------------------ a password change

@pytest.mark.usefixtures('db_backend')
def test_a_password_change_ends_every_other_session_and_every_token(app, client):
    ann = sign_up(client, name='Ann')
    other_browser = app.test_client()
    other = sign_in(other_browser)
    assert change_password(client).json == {'ok': True}

    assert client.get('/api/me').status_code == 200            # this browser stays signed in
    assert other_browser.get('/api/me').status_code == 401
    for token in (ann.token, other.token):
        assert app.test_client().get('/api/me', headers={
            'Authorization': f'Bearer {token}'}).status_code == 401
    assert app.test_client().post('/api/auth/login', json={
        'email': ann.email, 'password': PASSWORD}).status_code == 401
    sign_in(app.test_client(), password=NEW_PASSWORD)


def test_a_password_change_over_a_token_ends_that_token_too(app, client):
    ann = sign_up(client, name='Ann')
    api = app.test_client()
    assert change_password(api, headers=ann.headers).status_code == 200
    assert api.get('/api/me', headers=ann.headers).status_code == 401
    assert client.get('/api/me').status_code == 401   # the session of the sign-in, too


@pytest.mark.parametrize('body, status, field', [
    ({'current': 'wrong horse', 'new': NEW_PASSWORD}, 403, 'current'),
    ({'new': NEW_PASSWORD}, 400, 'current'),
    ({'current': 7, 'new': NEW_PASSWORD}, 400, 'current'),
    ({'current': PASSWORD, 'new': 'short'}, 400, 'new'),
    ({'current': PASSWORD}, 400, 'new'),
    ({'current': PASSWORD, 'new': 'p' * 2000}, 400, 'new'),
])
def test_a_password_change_with_bad_input_changes_nothing(app, client, body, status, field):
    ann = sign_up(client, name='Ann')
    other_browser = app.test_client()
    sign_in(other_browser)
    response = client.post('/api/me/password', json=body, headers=csrf_headers(client))
    assert response.status_code == status and response.json['field'] == field, response.json
    assert other_browser.get('/api/me').status_code == 200
    assert app.test_client().get('/api/me', headers=ann.headers).status_code == 200
    sign_in(app.test_client())   # the old password still works


def test_a_password_change_needs_the_csrf_token_and_a_sign_in(app, client):
    sign_up(client, name='Ann')
    assert change_password(client, headers={}).status_code == 403
    assert change_password(app.test_client(), headers={}).status_code == 401
    sign_in(app.test_client())


def test_guessing_the_current_password_is_throttled_like_a_sign_in(client):
    sign_up(client, name='Ann')
    headers = csrf_headers(client)
    answers = [change_password(client, current=f'guess {n:04}', headers=headers).status_code
               for n in range(12)]
    assert answers[0] == 403 and answers[-1] == 429, answers


def test_the_password_page_changes_the_password(app, client):
    ann = sign_up(client, name='Ann')
    other_browser = app.test_client()
    sign_in(other_browser)
    page = client.get('/account/password')
    assert page.status_code == 200 and 'name="current"' in page.get_data(as_text=True)
    form = {'current': PASSWORD, 'new': NEW_PASSWORD, 'repeat': NEW_PASSWORD,
            'csrf_token': page_csrf_token(client)}
    response = client.post('/account/password', data=form, follow_redirects=True)
    assert 'Password changed' in response.get_data(as_text=True)
    assert client.get('/api/me').status_code == 200
    assert other_browser.get('/api/me').status_code == 401
    assert app.test_client().get('/api/me', headers=ann.headers).status_code == 401


@pytest.mark.parametrize('changes, message', [
    ({'current': 'wrong horse'}, 'current password is wrong'),
    ({'repeat': 'battery staplee'}, 'two new passwords differ'),
    ({'new': 'short', 'repeat': 'short'}, 'at least 8 characters'),
])
def test_the_password_page_explains_a_refusal(app, client, changes, message):
    sign_up(client, name='Ann')
    form = {'current': PASSWORD, 'new': NEW_PASSWORD, 'repeat': NEW_PASSWORD,
            'csrf_token': page_csrf_token(client), **changes}
    response = client.post('/account/password', data=form, follow_redirects=True,
                           headers={'Referer': 'http://localhost/account/password'})
    assert message in response.get_data(as_text=True)
    sign_in(app.test_client())   # unchanged


def test_the_password_page_sends_a_visitor_to_sign_in(client):
    response = client.get('/account/password')
    assert response.status_code == 302 and '/login' in response.headers['Location']


# ------------------------------------------------------------------ an administrator's reset

@pytest.mark.usefixtures('db_backend')
def test_create_admin_on_an_existing_user_ends_every_session_and_token(app, client):
    ann = sign_up(client, name='Ann')
    create_or_promote_admin(ann.email, NEW_PASSWORD)   # what `run.py create-admin` does
    assert client.get('/api/me').status_code == 401
    assert app.test_client().get('/api/me', headers=ann.headers).status_code == 401
    assert sign_in(app.test_client(), password=NEW_PASSWORD).user['is_admin'] is True


# ------------------------------------------------------------------ sockets

@pytest.fixture
def server(app):
    running = ThreadedServer(app).start()
    yield running
    running.stop()


def session_socket(server, client):
    url = server.url.replace('http://', 'ws://') + '/ws'
    ws = websocket.create_connection(url, timeout=10, origin=server.url,
                                     cookie=f'collab_session={cookie_value(client)}')
    assert json.loads(ws.recv())['type'] == 'hello'
    return ws


def test_a_session_socket_closes_with_4401_when_its_session_signs_out(server, client):
    sign_up(client, name='Ann')
    ws = session_socket(server, client)
    started = time.monotonic()
    assert client.post('/api/auth/logout', headers=csrf_headers(client)).status_code == 200
    assert close_code(ws) == 4401
    assert time.monotonic() - started < 5


def test_a_session_socket_closes_when_a_password_change_elsewhere_ends_it(app, server, client):
    sign_up(client, name='Ann')
    ws = session_socket(server, client)
    elsewhere = app.test_client()
    sign_in(elsewhere)
    ws.send(json.dumps({'type': 'ping'}))
    assert json.loads(ws.recv())['type'] == 'pong'

    started = time.monotonic()
    assert change_password(elsewhere).status_code == 200
    assert close_code(ws) == 4401
    assert time.monotonic() - started < 5
