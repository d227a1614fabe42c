"""SIGNUP: open, invite (the default) or closed, the first account of an empty server,
and what the register page shows."""
from datetime import timedelta

import pytest

from collab.fields import utcnow
from collab.models import Invite, Member, User
from collab.settings import Settings, SettingsError
from tests.support import http_json, page_csrf_token, register, sign_up
from tests.support.threads import all_at_once

NEEDS_INVITE = 'sign-up on this server needs an invite'
CLOSED = 'sign-up is closed on this server'


def sign_up_body(email, invite=None):
    body = {'email': email, 'name': email.split('@')[0], 'password': 'correct horse'}
    return {**body, 'invite': invite} if invite else body


def try_register(client, email, invite=None):
    return client.post('/api/auth/register', json=sign_up_body(email, invite))


def invite_token(client, owner, body):
    workspace = client.post('/api/workspaces', json={'name': 'Garden club'},
                            headers=owner.headers).json
    response = client.post(f"/api/workspaces/{workspace['id']}/invites", json=body,
                           headers=owner.headers)
    assert response.status_code == 201, response.json
    return response.json['token'], workspace['id']


def members_of(workspace_id):
    return sorted(m.user.email for m in Member.select().where(Member.workspace == workspace_id))


# ---------------------------------------------------------------- the setting

def test_invite_is_the_default_policy(tmp_path):
    settings = Settings.from_mapping({'DATA_DIR': str(tmp_path), 'SECRET_KEY': 'k' * 40})
    assert settings.signup == 'invite'


def test_an_unknown_policy_is_a_settings_error_naming_signup(tmp_path):
    with pytest.raises(SettingsError) as error:
        Settings.from_mapping({'DATA_DIR': str(tmp_path), 'SECRET_KEY': 'k' * 40,
                               'SIGNUP': 'sometimes'})
    assert str(error.value) == ("SIGNUP: must be one of open, invite, closed, "
                                "got 'sometimes'")


# ---------------------------------------------------------------- invite (the default)

@pytest.mark.env(SIGNUP='invite')
def test_the_first_sign_up_of_an_empty_server_is_let_in_as_its_admin(client):
    first = try_register(client, 'root@example.com')
    assert first.status_code == 201 and first.json['is_admin'] is True
    refused = try_register(client, 'ann@example.com')
    assert refused.status_code == 403
    assert NEEDS_INVITE in refused.json['error'] and refused.json['field'] == 'invite'
    assert [u.email for u in User.select()] == ['root@example.com']


@pytest.mark.env(SIGNUP='invite')
def test_a_link_invite_lets_people_sign_up_as_often_as_it_may_be_used(client):
    root = sign_up(client, 'root@example.com')
    token, workspace_id = invite_token(client, root, {'link': True, 'max_uses': 2})
    for email in ('ann@example.com', 'bob@example.com'):
        joined = try_register(client, email, token)
        assert joined.status_code == 201 and joined.json['is_admin'] is False
    spent = try_register(client, 'eve@example.com', token)
    assert spent.status_code == 403 and 'used up' in spent.json['error']
    assert members_of(workspace_id) == ['ann@example.com', 'bob@example.com',
                                        'root@example.com']
    assert not User.select().where(User.email == 'eve@example.com').exists()


@pytest.mark.env(SIGNUP='invite')
def test_an_email_invite_signs_up_only_its_own_email(client):
    root = sign_up(client, 'root@example.com')
    token, workspace_id = invite_token(client, root, {'email': 'carol@example.com'})
    other = try_register(client, 'mallory@example.com', token)
    assert other.status_code == 403 and other.json['error'] == (
        'this invite is for another email address: sign up with the address it was sent to')
    assert try_register(client, 'Carol@Example.com', token).status_code == 201
    assert members_of(workspace_id) == ['carol@example.com', 'root@example.com']


@pytest.mark.env(SIGNUP='invite')
def test_unknown_and_expired_invites_are_refused_with_the_reason(client):
    root = sign_up(client, 'root@example.com')
    token, _ = invite_token(client, root, {'link': True, 'max_uses': 5})
    unknown = try_register(client, 'ann@example.com', 'not-a-token')
    assert unknown.status_code == 403 and 'not valid' in unknown.json['error']
    Invite.update(expires_at=utcnow() - timedelta(minutes=1)).execute()
    expired = try_register(client, 'ann@example.com', token)
    assert expired.status_code == 403 and 'expired' in expired.json['error']
    assert User.select().count() == 1


@pytest.mark.env(SIGNUP='invite')
def test_two_first_sign_ups_at_once_make_exactly_one_admin(server, db_backend):
    emails = [f'first{n}@example.com' for n in range(6)]
    answers = all_at_once([lambda e=e: http_json(server.url, 'POST', '/api/auth/register',
                                                 sign_up_body(e)) for e in emails])
    statuses = [status for status, _ in answers]
    assert sorted(statuses) == [201] + [403] * 5
    assert [u.is_admin for u in User.select()] == [True]


# ---------------------------------------------------------------- closed and open

@pytest.mark.env(SIGNUP='closed')
def test_a_closed_server_takes_only_its_first_account(client):
    root = sign_up(client, 'root@example.com')
    assert root.user['is_admin'] is True
    token, _ = invite_token(client, root, {'link': True, 'max_uses': 5})
    for invite in (None, token):
        refused = try_register(client, 'ann@example.com', invite)
        assert refused.status_code == 403 and CLOSED in refused.json['error']
    assert User.select().count() == 1


@pytest.mark.env(SIGNUP='open')
def test_an_open_server_lets_anyone_sign_up_and_makes_its_first_account_the_admin(client):
    assert [register(client, email)['is_admin']
            for email in ('root@example.com', 'ann@example.com', 'bob@example.com')] \
        == [True, False, False]


# ---------------------------------------------------------------- the register page

def post_page(client, data, path='/register'):
    form = {'name': 'Ann', 'email': 'ann@example.com', 'password': 'correct horse',
            'csrf_token': page_csrf_token(client), **data}
    return client.post(path, data=form, headers={'Referer': path})


@pytest.mark.env(SIGNUP='invite')
def test_the_register_page_says_an_invite_is_needed(app, client):
    sign_up(app.test_client(), 'root@example.com')
    page = client.get('/register')
    assert page.status_code == 403 and NEEDS_INVITE in page.text
    assert '<form' not in page.text.split('<h1>')[1]
    refused = post_page(client, {})
    assert refused.status_code == 302
    assert NEEDS_INVITE in client.get(refused.headers['Location']).text
    assert User.select().count() == 1


@pytest.mark.env(SIGNUP='invite')
def test_the_register_page_with_an_invite_signs_up_into_its_workspace(app, client):
    root = sign_up(app.test_client(), 'root@example.com')
    token, workspace_id = invite_token(app.test_client(), root, {'link': True, 'max_uses': 1})
    page = client.get(f'/register?invite={token}')
    assert page.status_code == 200 and f'name="invite" value="{token}"' in page.text
    joined = post_page(client, {'invite': token}, path=f'/register?invite={token}')
    assert joined.status_code == 302 and joined.headers['Location'] == f'/w/{workspace_id}'
    assert members_of(workspace_id) == ['ann@example.com', 'root@example.com']
    used = app.test_client().get(f'/register?invite={token}')
    assert used.status_code == 403 and 'used up' in used.text


@pytest.mark.env(SIGNUP='closed')
def test_the_register_page_of_a_closed_server_says_so(app, client):
    sign_up(app.test_client(), 'root@example.com')
    page = client.get('/register')
    assert page.status_code == 403 and CLOSED in page.text
