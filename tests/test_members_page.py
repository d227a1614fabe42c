"""The members page (roles, removal, leaving, transfer of ownership, pending invites), the
invite link's page for someone signed out, and `next=` on sign-in and sign-up. No SMTP
server is set up here: the pages say so and show links to copy."""
import re

import pytest

from collab.models import Member
from tests.support import PASSWORD, page_csrf_token, sign_in, sign_up

def as_user(client, email):
    """Sign this client's cookie in as `email`; the pages' CSRF token."""
    sign_in(client, email)
    return page_csrf_token(client)


def role_of(team, headers):
    return Member.get((Member.workspace == team.ws_id)
                      & (Member.user == team.user_id(headers))).role


def post(client, path, csrf, **data):
    return client.post(path, data={'csrf_token': csrf, **data}, follow_redirects=True)


def link_invite(client, team, uses=5):
    return client.post(f'/api/workspaces/{team.ws_id}/invites',
                       json={'link': True, 'max_uses': uses}, headers=team.ann).json


# ------------------------------------------------------------------ the members page

def test_the_owner_sees_every_member_with_roles_and_the_actions_an_owner_has(client, team):
    as_user(client, 'ann@example.com')
    page = client.get(f'/w/{team.ws_id}/members').text
    assert 'Ann' in page and 'Bob' in page and 'Eve' not in page
    bob_row = page[page.index(f'data-user-id="{team.user_id(team.bob)}"'):]
    bob_row = bob_row[:bob_row.index('</tr>')]
    for label in ('Make admin', 'Make owner', 'Transfer ownership', 'Remove'):
        assert label in bob_row
    assert 'data-confirm="Remove Bob from Garden club?"' in bob_row
    assert 'Pending invites' in page


def test_a_member_sees_no_management_and_cannot_post_it(client, team):
    csrf = as_user(client, 'bob@example.com')
    page = client.get(f'/w/{team.ws_id}/members').text
    assert 'Leave' in page
    for label in ('Make admin', 'Remove', 'Transfer ownership', 'Pending invites'):
        assert label not in page
    ann_id = team.user_id(team.ann)
    refused = post(client, f'/w/{team.ws_id}/members/{ann_id}/role', csrf, role='member')
    assert 'does not allow that' in refused.text
    assert role_of(team, team.ann) == 'owner'
    post(client, f'/w/{team.ws_id}/members/{ann_id}/remove', csrf)
    assert role_of(team, team.ann) == 'owner'


def test_a_stranger_gets_403(client, team):
    as_user(client, 'eve@example.com')
    assert client.get(f'/w/{team.ws_id}/members').status_code == 403


def test_an_admin_manages_members_but_not_owners(client, team):
    bob_id, ann_id = team.user_id(team.bob), team.user_id(team.ann)
    csrf = as_user(client, 'ann@example.com')
    post(client, f'/w/{team.ws_id}/members/{bob_id}/role', csrf, role='admin')
    assert role_of(team, team.bob) == 'admin'
    csrf = as_user(client, 'bob@example.com')
    page = client.get(f'/w/{team.ws_id}/members').text
    ann_row = page[page.index(f'data-user-id="{ann_id}"'):]
    ann_row = ann_row[:ann_row.index('</tr>')]
    assert 'Remove' not in ann_row and 'Make' not in ann_row
    for role in ('member', 'admin'):
        post(client, f'/w/{team.ws_id}/members/{ann_id}/role', csrf, role=role)
    post(client, f'/w/{team.ws_id}/members/{ann_id}/remove', csrf)
    assert role_of(team, team.ann) == 'owner'


def test_the_owner_transfers_ownership_and_becomes_an_admin(client, team):
    csrf = as_user(client, 'ann@example.com')
    page = post(client, f'/w/{team.ws_id}/members/{team.user_id(team.bob)}/transfer', csrf)
    assert 'Bob now owns Garden club; you are an admin.' in page.text
    assert (role_of(team, team.bob), role_of(team, team.ann)) == ('owner', 'admin')


def test_the_owner_removes_a_member(client, team):
    csrf = as_user(client, 'ann@example.com')
    page = post(client, f'/w/{team.ws_id}/members/{team.user_id(team.bob)}/remove', csrf)
    assert 'Bob was removed from Garden club.' in page.text
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.bob).status_code == 403


def test_a_member_leaves_but_the_last_owner_cannot(client, team):
    csrf = as_user(client, 'bob@example.com')
    left = post(client, f'/w/{team.ws_id}/leave', csrf)
    assert 'You left Garden club.' in left.text
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.bob).status_code == 403
    csrf = as_user(client, 'ann@example.com')
    refused = post(client, f'/w/{team.ws_id}/leave', csrf)
    assert 'at least one owner' in refused.text
    assert role_of(team, team.ann) == 'owner'


def test_member_forms_need_the_csrf_token(client, team):
    as_user(client, 'ann@example.com')
    refused = client.post(f'/w/{team.ws_id}/members/{team.user_id(team.bob)}/remove')
    assert refused.status_code == 403
    assert role_of(team, team.bob) == 'member'


# ------------------------------------------------------------------ pending invites

def test_owners_see_pending_invites_with_links_to_copy_and_revoke_them(client, team):
    made = link_invite(client, team)
    csrf = as_user(client, 'ann@example.com')
    page = client.get(f'/w/{team.ws_id}/members').text
    assert 'Email is not set up on this server' in page
    assert f'value="{made["invite_url"]}"' in page and 'data-copy=' in page
    listed = client.get(f'/api/workspaces/{team.ws_id}/invites', headers=team.ann).json
    assert [i['invite_url'] for i in listed['invites']] == [made['invite_url']]
    revoked = post(client, f'/w/{team.ws_id}/invites/{made["id"]}/revoke', csrf)
    assert 'Invite revoked' in revoked.text and made['invite_url'] not in revoked.text
    accept = client.post(f"/api/invites/{made['token']}/accept", headers=team.eve)
    assert accept.status_code == 404


def test_an_invite_made_on_the_page_shows_its_link_when_email_is_not_set_up(client, team):
    csrf = as_user(client, 'ann@example.com')
    page = post(client, f'/w/{team.ws_id}/members/invites', csrf, email='Zoe@Example.com')
    assert 'Email is not set up on this server: copy the invite link for zoe@example.com' \
        in page.text
    [link] = re.findall(r'value="(http://[^"]+/invites/[^"]+)"', page.text)
    made = post(client, f'/w/{team.ws_id}/members/invites', csrf, kind='link', max_uses='3')
    assert 'Link for anyone signed in (0/3 used)' in made.text
    answer = client.post('/api/invites/' + link.rsplit('/', 1)[1] + '/accept',
                         headers=team.eve)
    assert answer.status_code == 403   # an email invite is for zoe@example.com only


def test_an_admin_may_revoke_only_invites_of_their_own_workspace(client, team):
    made = link_invite(client, team)
    other = client.post('/api/workspaces', json={'name': 'Eve club'}, headers=team.eve).json
    csrf = as_user(client, 'eve@example.com')
    post(client, f"/w/{other['id']}/invites/{made['id']}/revoke", csrf)
    listed = client.get(f'/api/workspaces/{team.ws_id}/invites', headers=team.ann).json
    assert [i['id'] for i in listed['invites']] == [made['id']]


def test_the_api_creates_an_invite_that_is_not_emailed_without_smtp(client, team):
    made = client.post(f'/api/workspaces/{team.ws_id}/invites',
                       json={'email': 'zoe@example.com'}, headers=team.ann).json
    assert made['emailed'] is False and made['invite_url'].endswith(made['token'])


def test_without_smtp_no_reset_can_be_asked_for_and_the_page_says_so(app):
    visitor = app.test_client()
    answer = visitor.post('/api/auth/password-reset', json={'email': 'ann@example.com'})
    assert answer.status_code == 409 and 'email is not set up' in answer.json['error']
    page = visitor.get('/forgot-password').text
    assert 'Email is not set up on this server' in page and 'name="email"' not in page


# ------------------------------------------------------------------ the invite link, signed out

def test_an_invite_link_shows_the_workspace_and_inviter_to_someone_signed_out(app, client,
                                                                             team):
    made = link_invite(client, team)
    visitor = app.test_client()
    page = visitor.get(f"/invites/{made['token']}")
    assert page.status_code == 200
    assert 'Garden club' in page.text and '<strong id="invite-inviter">Ann</strong>' in page.text
    path = f"/invites/{made['token']}"
    assert f'href="/register?next={path}"' in page.text.replace('%2F', '/')
    assert f'href="/login?next={path}"' in page.text.replace('%2F', '/')
    preview = visitor.get(f"/api/invites/{made['token']}/preview").json
    assert preview == {'workspace_id': team.ws_id, 'workspace': 'Garden club',
                       'invited_by': 'Ann', 'email': None,
                       'expires_at': made['expires_at'], 'usable': True}
    assert visitor.get('/invites/nonsense').status_code == 404
    assert visitor.get('/api/invites/nonsense/preview').status_code == 404
    # The preview's path leaves DELETE /api/invites/<id> answering 404 for a bad id, not 405.
    assert client.delete('/api/invites/0', headers=team.ann).status_code == 404


def test_sign_up_from_an_invite_comes_back_to_it_and_joining_works(app, client, team):
    made = link_invite(client, team)
    path = f"/invites/{made['token']}"
    visitor = app.test_client()
    form = visitor.get(f'/register?next={path}')
    assert f'name="next" value="{path}"' in form.text
    assert 'href="/login?next=' in form.text   # and back to sign-in, keeping next
    created = visitor.post(f'/register?next={path}', data={
        'name': 'Zoe', 'email': 'zoe@example.com', 'password': PASSWORD, 'next': path,
        'csrf_token': page_csrf_token(visitor)})
    assert created.status_code == 302 and created.headers['Location'] == path
    page = visitor.get(path).text
    assert 'Join Garden club' in page
    joined = visitor.post(path, data={'csrf_token': page_csrf_token(visitor)})
    assert joined.headers['Location'] == f'/w/{team.ws_id}'
    assert 'You are a member of this workspace' in visitor.get(path).text


def test_sign_in_from_an_invite_comes_back_to_it(app, client, team):
    made = link_invite(client, team)
    path = f"/invites/{made['token']}"
    visitor = app.test_client()
    form = visitor.get(f'/login?next={path}').text
    assert f'/register?next={path}' in form.replace('%2F', '/')
    signed_in = visitor.post(f'/login?next={path}', data={
        'email': 'eve@example.com', 'password': PASSWORD, 'csrf_token': page_csrf_token(visitor)})
    assert signed_in.headers['Location'] == path
    visitor.post(path, data={'csrf_token': page_csrf_token(visitor)})
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.eve).status_code == 200


def test_joining_signed_out_sends_to_sign_in_first(app, client, team):
    made = link_invite(client, team)
    answer = app.test_client().post(f"/invites/{made['token']}")
    assert answer.status_code == 302
    assert answer.headers['Location'] == f"/login?next=/invites/{made['token']}"


@pytest.mark.env(SIGNUP='invite')
def test_with_signup_by_invite_the_link_signs_up_joins_and_comes_back(app, client):
    ann = sign_up(client, 'ann@example.com', 'Ann')   # the first account may always
    workspace = ann.call('POST', '/api/workspaces', {'name': 'Garden club'})
    made = ann.call('POST', f"/api/workspaces/{workspace['id']}/invites",
                    {'link': True, 'max_uses': 2})
    path = f"/invites/{made['token']}"
    visitor = app.test_client()
    form = visitor.get(f'/register?next={path}')
    assert form.status_code == 200 and f'name="invite" value="{made["token"]}"' in form.text
    created = visitor.post(f'/register?next={path}', data={
        'name': 'Zoe', 'email': 'zoe@example.com', 'password': PASSWORD, 'next': path,
        'invite': made['token'], 'csrf_token': page_csrf_token(visitor)})
    assert created.headers['Location'] == path
    assert 'You are a member of this workspace' in visitor.get(path).text
    # Without an invite, sign-up stays closed.
    assert app.test_client().get('/register?next=/somewhere').status_code == 403


# ------------------------------------------------------------------ next= stays on this site

EVIL = ['//evil.example', 'https://evil.example/', '/\\evil.example', '\\\\evil.example',
        '/\t/evil.example', 'javascript:alert(1)', 'evil.example', '/%0a/x\n', '///evil.example',
        '/\\/evil.example', 'http:/evil.example']


@pytest.mark.parametrize('target', EVIL)
def test_sign_in_never_follows_next_off_this_site(app, client, team, target):
    visitor = app.test_client()
    answer = visitor.post('/login', query_string={'next': target}, data={
        'email': 'eve@example.com', 'password': PASSWORD, 'csrf_token': page_csrf_token(visitor)})
    assert answer.status_code == 302 and answer.headers['Location'] == '/'
    form = visitor.get('/login', query_string={'next': target}).text
    assert 'evil' not in form


@pytest.mark.parametrize('target', EVIL)
def test_sign_up_never_follows_next_off_this_site(app, target):
    visitor = app.test_client()
    answer = visitor.post('/register', query_string={'next': target}, data={
        'name': 'Zoe', 'email': 'zoe@example.com', 'password': PASSWORD, 'next': target,
        'csrf_token': page_csrf_token(visitor)})
    assert answer.status_code == 302 and answer.headers['Location'] == '/'


def test_sign_in_follows_a_local_next(app, client, team):
    visitor = app.test_client()
    answer = visitor.post('/login?next=/w/1%3Fx%3D1', data={
        'email': 'eve@example.com', 'password': PASSWORD, 'csrf_token': page_csrf_token(visitor)})
    assert answer.headers['Location'] == '/w/1?x=1'


def test_sign_in_and_sign_up_link_to_each_other(app):
    visitor = app.test_client()
    assert 'href="/register"' in visitor.get('/login').text
    assert 'href="/login"' in visitor.get('/register').text
