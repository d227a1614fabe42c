"""Throttles that hold under concurrency and do not lock the victim out: sign-in per
address, the account's doubling delay, sign-ups per address, invites per user.

The sign-in tests send real requests from different loopback addresses
(127.0.0.x) to the app behind a threaded server, on SQLite and PostgreSQL.
"""
import http.client
import json
import time
from urllib.parse import urlparse

import pytest

from collab import ratelimit
from collab.ratelimit import RateLimitWindow
from collab.security import (ACCOUNT_FREE_TRIES, INVITES_PER_HOUR, LOGIN_TRIES_PER_MINUTE,
                             SIGNUPS_PER_HOUR)
from tests.support import PASSWORD, page_csrf_token, register, sign_up
from tests.support.threads import all_at_once

ANN = 'ann@example.com'


@pytest.fixture
def one_window():
    """Sign-in tries are counted per clock minute: start early in one, so that
    a test's tries are not split across two."""
    left = 60 - time.time() % 60
    if left < 8:
        time.sleep(left + 0.1)


@pytest.fixture
def one_hour():
    """Sign-ups and invites are counted per clock hour: not in its last seconds."""
    left = 3600 - time.time() % 3600
    if left < 20:
        time.sleep(left + 0.1)


def login_from(server, address, password, email=ANN):
    """(status, headers, JSON) of POST /api/auth/login sent from `address`."""
    url = urlparse(server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60,
                                            source_address=(address, 0))
    try:
        connection.request('POST', '/api/auth/login',
                           json.dumps({'email': email, 'password': password}),
                           {'Content-Type': 'application/json'})
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read() or b'null')
    finally:
        connection.close()


# ---------------------------------------------------------------- sign-in

def test_sixty_concurrent_wrong_passwords_are_checked_at_most_the_limit(
        one_window, client, server, db_backend):
    register(client, ANN)
    answers = all_at_once([lambda: login_from(server, '127.0.0.2', f'guess {n}')
                           for n in range(60)])
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [401] * LOGIN_TRIES_PER_MINUTE + [429] * (60 - LOGIN_TRIES_PER_MINUTE)
    for status, headers, body in answers:
        if status == 429:
            assert 1 <= int(headers['Retry-After']) <= 60
            assert body['error'].startswith('too many failed sign-in attempts from this address')


def test_a_correct_password_from_another_address_signs_in_during_an_attack(
        one_window, client, server, db_backend):
    register(client, ANN)
    attack = [lambda n=n: login_from(server, '127.0.0.2', f'guess {n}') for n in range(40)]
    answers = all_at_once(attack + [lambda: login_from(server, '127.0.0.3', PASSWORD)])
    victim_status, _, victim = answers[-1]
    assert victim_status == 200 and victim['user']['email'] == ANN
    assert [status for status, _, _ in answers[:-1]].count(429) == 40 - LOGIN_TRIES_PER_MINUTE
    # The attacker's address is stopped, even with the right password.
    assert login_from(server, '127.0.0.2', PASSWORD)[0] == 429
    assert login_from(server, '127.0.0.3', PASSWORD)[0] == 200


def account_delay(email=ANN, tries=ACCOUNT_FREE_TRIES + 5, opens_in=0):
    """Leave the account as an attack spread over many addresses leaves it: `tries`
    failures in a row, and the next try allowed in `opens_in` seconds."""
    RateLimitWindow.create(key=f'delay:login-account:{email}', hits=tries,
                           window_start=int(time.time()) + opens_in)


def test_concurrent_guesses_from_many_addresses_pass_the_accounts_delay_once(
        client, server, db_backend):
    register(client, ANN)
    account_delay(opens_in=0)   # its turn has come: one try, then a minute's wait
    answers = all_at_once([lambda n=n: login_from(server, f'127.0.1.{n + 10}', f'guess {n}')
                           for n in range(40)])
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [401] + [429] * 39
    waits = {int(headers['Retry-After']) for status, headers, _ in answers if status == 429}
    assert min(waits) >= 60 - 5 and max(waits) <= 64


def test_free_tries_pass_at_once_however_many_addresses_send_them(client, server):
    register(client, ANN)
    answers = all_at_once([lambda n=n: login_from(server, f'127.0.1.{n + 10}', f'guess {n}')
                           for n in range(ACCOUNT_FREE_TRIES)])
    assert [status for status, _, _ in answers] == [401] * ACCOUNT_FREE_TRIES


def test_a_free_try_passes_after_a_concurrent_one_that_read_a_later_second(app):
    account_delay(tries=ACCOUNT_FREE_TRIES - 2, opens_in=1)
    assert ratelimit.delay_gate(f'login-account:{ANN}', ACCOUNT_FREE_TRIES, 4) == 0


def test_the_accounts_delay_spares_addresses_it_signed_in_from(client, server):
    register(client, ANN)
    assert login_from(server, '127.0.0.5', PASSWORD)[0] == 200   # Ann's usual address
    account_delay(opens_in=600)
    status, headers, body = login_from(server, '127.0.2.1', 'one more guess')
    assert status == 429 and int(headers['Retry-After']) in (599, 600)
    assert body['error'] == ('too many failed sign-in attempts on this account; '
                             f"try again in {headers['Retry-After']} seconds")
    assert login_from(server, '127.0.2.2', PASSWORD)[0] == 429   # a new address waits its turn
    assert login_from(server, '127.0.0.5', PASSWORD)[0] == 200   # spared: signed in here before
    # That success did not end the attacker's delay.
    assert login_from(server, '127.0.2.3', 'guess again')[0] == 429


def test_the_accounts_delay_doubles_with_each_try_past_the_free_ones(app):
    def wait_set_by_one_try():
        """Open the gate, try once, and say how long the next try must wait."""
        RateLimitWindow.update(window_start=int(time.time())).where(
            RateLimitWindow.key == 'delay:acct').execute()
        before = int(time.time())
        assert ratelimit.delay_gate('acct', 2, 4) == 0
        return RateLimitWindow.get_by_id('delay:acct').window_start - before

    assert [ratelimit.delay_gate('acct', 2, 4) for _ in range(2)] == [0, 0]
    waits = [wait_set_by_one_try() for _ in range(6)]
    assert [w in (expected, expected + 1) for w, expected in zip(waits, (2, 4, 8, 16, 16, 16))]\
        == [True] * 6, waits
    assert ratelimit.delay_gate('acct', 2, 4) >= 15   # closed until then
    ratelimit.forget_delay('acct')
    assert ratelimit.delay_gate('acct', 2, 4) == 0


def test_the_login_page_answers_429_with_retry_after(one_window, client):
    form = {'email': 'x@example.com', 'password': 'nope', 'csrf_token': page_csrf_token(client)}
    for _ in range(LOGIN_TRIES_PER_MINUTE):
        assert client.post('/login', data=form).status_code == 401
    refused = client.post('/login', data=form)
    assert refused.status_code == 429 and 1 <= int(refused.headers['Retry-After']) <= 60


# ---------------------------------------------------------------- sign-up and invites

def signup_from(client, address, n):
    return client.post('/api/auth/register', environ_base={'REMOTE_ADDR': address},
                       json={'email': f'user{n}@example.com', 'name': f'User {n}',
                             'password': PASSWORD})


def test_sign_ups_are_throttled_per_address(one_hour, client):
    for n in range(SIGNUPS_PER_HOUR):
        assert signup_from(client, '192.0.2.1', n).status_code == 201
    refused = signup_from(client, '192.0.2.1', 'x')
    assert refused.status_code == 429 and int(refused.headers['Retry-After']) <= 3600
    assert refused.json['error'].startswith('too many sign-ups from this address')
    assert signup_from(client, '192.0.2.2', 'y').status_code == 201


def create_link(client, workspace_id, headers):
    return client.post(f'/api/workspaces/{workspace_id}/invites',
                       json={'link': True, 'max_uses': 1}, headers=headers)


def test_invites_are_throttled_per_inviting_user(one_hour, client):
    ann, bob = sign_up(client, ANN), sign_up(client, 'bob@example.com')
    spaces = [client.post('/api/workspaces', json={'name': name}, headers=who.headers).json['id']
              for name, who in (('Ann', ann), ('Bob', bob))]
    for _ in range(INVITES_PER_HOUR):
        assert create_link(client, spaces[0], ann.headers).status_code == 201
    refused = create_link(client, spaces[0], ann.headers)
    assert refused.status_code == 429 and 'Retry-After' in refused.headers
    assert refused.json['error'].startswith('too many invites created')
    assert create_link(client, spaces[1], bob.headers).status_code == 201


# ---------------------------------------------------------------- housekeeping

def test_marks_are_kept_for_their_days_and_passed_delays_go_after_an_hour(app):
    now = int(time.time())
    RateLimitWindow.insert_many([
        {'key': 'mark:recent', 'hits': 0, 'window_start': now - 86400},
        {'key': 'mark:old', 'hits': 0, 'window_start': now - (ratelimit.MARK_DAYS + 1) * 86400},
        {'key': 'delay:passed', 'hits': 30, 'window_start': now - 7200},
        {'key': 'delay:pending', 'hits': 30, 'window_start': now + 600}]).execute()
    assert ratelimit.forget_before(now) == 2
    assert sorted(w.key for w in RateLimitWindow.select()) == ['delay:pending', 'mark:recent']
