"""Resetting a forgotten password by email (through aiosmtpd on loopback), and changing
it on the account page."""
from datetime import timedelta

import pytest

from collab.fields import utcnow
from collab.models import PasswordReset
from collab.users import token_hash
from tests.support import PASSWORD, page_csrf_token, sign_in, sign_up, wait_for_jobs_idle
from tests.support.mail import link_in

BASE_URL = 'https://collab.example.com'
NEW = 'a brand new password'


@pytest.fixture
def settings(request, make_settings, smtp_server):
    database = {}
    if 'db_backend' in request.fixturenames and request.getfixturevalue('db_backend') == 'postgres':
        database['DATABASE_URL'] = request.getfixturevalue('postgres_url')
    return make_settings(SMTP_URL=smtp_server.url(), MAIL_FROM='collab@example.com',
                         BASE_URL=BASE_URL, **database)


def ask(client, email):
    """Asked by someone signed out (a fresh client: no session cookie, no CSRF token)."""
    return client.application.test_client().post('/api/auth/password-reset',
                                                  json={'email': email})


def reset_token(smtp_server, email, count=1):
    entries = smtp_server.wait_for(email, count=count)
    link = link_in(entries[-1])
    assert link.startswith(f'{BASE_URL}/reset-password/')
    return link.rsplit('/', 1)[1]


def confirm(client, token, password=NEW):
    return client.application.test_client().post('/api/auth/password-reset/confirm',
                       json={'token': token, 'password': password})


def test_a_reset_link_is_mailed_and_sets_a_new_password_once(db_backend, client, consumer,
                                                             smtp_server):
    ann = sign_up(client, 'ann@example.com', 'Ann')
    answer = ask(client, 'Ann@Example.com')
    assert answer.status_code == 202 and answer.json['ok'] is True
    [entry] = smtp_server.wait_for('ann@example.com')
    assert entry['message']['Subject'] == 'Reset your Collab password'
    token = reset_token(smtp_server, 'ann@example.com')
    # Only the token's hash is stored.
    assert PasswordReset.get(PasswordReset.token_hash == token_hash(token)).used_at is None
    assert not PasswordReset.select().where(PasswordReset.token_hash == token).exists()

    assert confirm(client, token).status_code == 200
    # Every sign-in of the account has ended: its token and the cookie's session.
    assert client.get('/api/me', headers=ann.headers).status_code == 401
    assert client.get('/api/me').status_code == 401
    assert sign_in(client, 'ann@example.com', NEW).user['email'] == 'ann@example.com'
    again = confirm(client, token, 'yet another password')
    assert again.status_code == 410 and 'not valid' in again.json['error']
    sign_in(client, 'ann@example.com', NEW)


def test_the_answer_is_the_same_whether_or_not_the_email_has_an_account(
        client, consumer, smtp_server):
    sign_up(client, 'ann@example.com', 'Ann')
    known, unknown = ask(client, 'ann@example.com'), ask(client, 'nobody@example.com')
    assert (known.status_code, known.json) == (unknown.status_code, unknown.json)
    smtp_server.wait_for('ann@example.com')
    wait_for_jobs_idle()
    assert [m['to'] for m in smtp_server.messages] == [['ann@example.com']]


def test_a_link_is_dead_after_an_hour(client, consumer, smtp_server):
    sign_up(client, 'ann@example.com', 'Ann')
    ask(client, 'ann@example.com')
    token = reset_token(smtp_server, 'ann@example.com')
    row = PasswordReset.get(PasswordReset.token_hash == token_hash(token))
    assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)
    # An hour later: the row says when it expires, so move that moment to the past.
    PasswordReset.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    assert confirm(client, token).status_code == 410
    assert client.get(f'/reset-password/{token}').status_code == 410
    sign_in(client, 'ann@example.com', PASSWORD)   # the old password still works


def test_a_too_short_password_keeps_the_link_usable(client, consumer, smtp_server):
    sign_up(client, 'ann@example.com', 'Ann')
    ask(client, 'ann@example.com')
    token = reset_token(smtp_server, 'ann@example.com')
    short = confirm(client, token, 'short')
    assert short.status_code == 400 and short.json['field'] == 'password'
    assert confirm(client, token).status_code == 200


def test_a_wrong_token_is_refused(client):
    assert confirm(client, 'no-such-token').status_code == 410
    assert client.post('/api/auth/password-reset/confirm',
                       json={'password': NEW}).status_code == 400


def test_reset_requests_are_throttled_per_email(client):
    for _ in range(3):
        assert ask(client, 'ann@example.com').status_code == 202
    throttled = ask(client, 'ann@example.com')
    assert throttled.status_code == 429 and int(throttled.headers['Retry-After']) > 0
    assert ask(client, 'bob@example.com').status_code == 202   # another email still may


def test_a_newer_reset_link_leaves_older_ones_usable_until_one_is_used(
        client, consumer, smtp_server):
    sign_up(client, 'ann@example.com', 'Ann')
    ask(client, 'ann@example.com')
    first = reset_token(smtp_server, 'ann@example.com')
    ask(client, 'ann@example.com')
    second = reset_token(smtp_server, 'ann@example.com', count=2)
    assert confirm(client, second).status_code == 200
    assert confirm(client, first, 'some other password').status_code == 410


# ------------------------------------------------------------------ the pages

def test_the_sign_in_page_links_to_forgot_password_and_the_pages_reset_it(
        client, consumer, smtp_server):
    sign_up(client, 'ann@example.com', 'Ann')
    login = client.get('/login').text
    assert 'href="/forgot-password"' in login
    page = client.post('/forgot-password', data={'email': 'ann@example.com',
                                                  'csrf_token': page_csrf_token(client)})
    assert page.status_code == 200 and 'if an account has this email' in page.text
    token = reset_token(smtp_server, 'ann@example.com')
    form = client.get(f'/reset-password/{token}')
    assert form.status_code == 200 and 'name="new"' in form.text
    differ = client.post(f'/reset-password/{token}', data={
        'new': NEW, 'repeat': 'something else', 'csrf_token': page_csrf_token(client)})
    assert differ.status_code == 400 and 'differ' in differ.text
    done = client.post(f'/reset-password/{token}', data={
        'new': NEW, 'repeat': NEW, 'csrf_token': page_csrf_token(client)})
    assert done.status_code == 302 and done.headers['Location'].endswith('/login')
    assert 'Your password is set' in client.get('/login').text
    signed_in = client.post('/login', data={'email': 'ann@example.com', 'password': NEW,
                                            'csrf_token': page_csrf_token(client)})
    assert signed_in.status_code == 302
    used = client.get(f'/reset-password/{token}')
    assert used.status_code == 410 and 'not valid' in used.text


def test_the_forgot_form_needs_the_csrf_token(client, consumer, smtp_server):
    client.get('/forgot-password')
    refused = client.post('/forgot-password', data={'email': 'ann@example.com'})
    assert refused.status_code == 403
    wait_for_jobs_idle()
    assert smtp_server.messages == []


# ------------------------------------------------------------------ the account page

def test_the_account_page_changes_the_password_with_the_current_one(client):
    ann = sign_up(client, 'ann@example.com', 'Ann')
    page = client.get('/account')
    assert page.status_code == 200 and 'ann@example.com' in page.text
    assert 'href="/account/password"' in page.text
    csrf = page_csrf_token(client)
    wrong = client.post('/account/password', data={
        'current': 'not my password', 'new': NEW, 'repeat': NEW, 'csrf_token': csrf},
        follow_redirects=True)
    assert 'the current password is wrong' in wrong.text
    sign_in(client, 'ann@example.com', PASSWORD)   # unchanged
    changed = client.post('/account/password', data={
        'current': PASSWORD, 'new': NEW, 'repeat': NEW, 'csrf_token': page_csrf_token(client)},
        follow_redirects=True)
    assert 'Password changed' in changed.text
    assert client.get('/api/me', headers=ann.headers).status_code == 401
    sign_in(client, 'ann@example.com', NEW)
