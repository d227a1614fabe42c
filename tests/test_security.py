"""HTTP hardening: throttled sign-in, security headers, session cookie flags."""
import time

import pytest

from collab.security import LOGIN_TRIES_PER_MINUTE
from tests.support import page_csrf_token, register


def login(client, email, password):
    return client.post('/api/auth/login', json={'email': email, 'password': password})


@pytest.fixture
def one_window():
    """Sign-in tries are counted per clock minute: start early in one, so that
    a test's tries are not split across two."""
    left = 60 - time.time() % 60
    if left < 5:
        time.sleep(left + 0.1)


def test_sign_in_is_refused_after_too_many_failures_for_an_account(one_window, client):
    register(client, 'ann@example.com', 'Ann', 'correct horse')
    for _ in range(LOGIN_TRIES_PER_MINUTE):
        assert login(client, 'ann@example.com', 'wrong guess').status_code == 401
    response = login(client, 'ann@example.com', 'correct horse')
    assert response.status_code == 429
    assert 'try again in' in response.json['error']


def test_failures_from_one_address_throttle_every_account_it_tries(one_window, client):
    register(client, 'bob@example.com', 'Bob', 'correct horse')
    for n in range(LOGIN_TRIES_PER_MINUTE):
        login(client, f'nobody{n}@example.com', 'guess')
    assert login(client, 'bob@example.com', 'correct horse').status_code == 429


def test_successful_sign_ins_are_not_counted(client):
    register(client, 'cat@example.com', 'Cat', 'correct horse')
    for _ in range(LOGIN_TRIES_PER_MINUTE + 2):
        assert login(client, 'cat@example.com', 'correct horse').status_code == 200


def test_the_login_page_shows_the_throttle_message(client):
    form = {'email': 'x@example.com', 'password': 'nope', 'csrf_token': page_csrf_token(client)}
    for _ in range(LOGIN_TRIES_PER_MINUTE):
        client.post('/login', data=form)
    response = client.post('/login', data=form)
    assert response.status_code == 429
    assert b'too many failed sign-in attempts' in response.data


def test_pages_carry_security_headers(client):
    response = client.get('/login')
    csp = response.headers['Content-Security-Policy']
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split('script-src')[1].split(';')[0]
    assert response.headers['X-Content-Type-Options'] == 'nosniff'
    assert response.headers['X-Frame-Options'] == 'DENY'


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    register(client, name='Ann')
    login(client, 'ann@example.com', 'correct horse')
    cookie = client.get_cookie('collab_session')
    assert cookie.http_only and cookie.same_site == 'Lax' and not cookie.secure


def test_the_session_cookie_is_secure_over_https(app, client):
    register(client, name='Ann')
    https = app.test_client()
    https.post('/api/auth/login', json={'email': 'ann@example.com', 'password': 'correct horse'},
               base_url='https://localhost')
    assert https.get_cookie('collab_session', domain='localhost').secure
