"""Invites: an email invite only for that email, link invites with a number of uses,
the pending list, revoking, and the migration that brought link invites."""
from datetime import timedelta

from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from collab.db import database, is_sqlite
from collab.fields import utcnow
from collab.models import Invite, Member
from collab.schema import SchemaVersion, apply_migrations
from tests.support import http_json, sign_up
from tests.support.threads import all_at_once


def invite(client, team, body, headers=None):
    response = client.post(f'/api/workspaces/{team.ws_id}/invites', json=body,
                           headers=headers or team.ann)
    assert response.status_code == 201, response.json
    return response.json


def accept(client, token, headers):
    return client.post(f'/api/invites/{token}/accept', headers=headers)


def member_names(client, team):
    rows = client.get(f'/api/workspaces/{team.ws_id}/members', headers=team.ann).json['members']
    return [m['name'] for m in rows]


def test_an_email_invite_is_accepted_only_by_the_account_with_that_email(client, team):
    sent = invite(client, team, {'email': 'Carol@Example.com'})
    refused = accept(client, sent['token'], team.eve)
    assert refused.status_code == 403
    assert refused.json['error'] == ('this invite is for another email address: sign in with '
                                     'the invited account to accept it')
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.eve).status_code == 403
    carol = sign_up(client, 'carol@example.com', 'Carol').headers
    accepted = accept(client, sent['token'], carol)
    assert accepted.status_code == 200 and accepted.json['role'] == 'member'
    assert member_names(client, team) == ['Ann', 'Bob', 'Carol']
    assert accept(client, sent['token'], carol).status_code == 410


def test_a_link_invite_admits_anyone_signed_in_until_its_uses_run_out(client, team):
    link = invite(client, team, {'link': True, 'max_uses': 2})
    assert (link['link'], link['email'], link['max_uses'], link['uses']) == (True, None, 2, 0)
    assert accept(client, link['token'], team.bob).status_code == 200   # already in: no use
    carol = sign_up(client, 'carol@example.com', 'Carol').headers
    dave = sign_up(client, 'dave@example.com', 'Dave').headers
    assert accept(client, link['token'], team.eve).status_code == 200
    assert accept(client, link['token'], carol).status_code == 200
    spent = accept(client, link['token'], dave)
    assert spent.status_code == 410 and 'as many times as it allows' in spent.json['error']
    assert member_names(client, team) == ['Ann', 'Bob', 'Eve', 'Carol']
    assert Invite.get_by_id(link['id']).uses == 2


def test_an_expired_link_invite_is_refused(client, team):
    link = invite(client, team, {'link': True, 'max_uses': 5})
    Invite.update(expires_at=utcnow() - timedelta(minutes=1)).where(
        Invite.id == link['id']).execute()
    refused = accept(client, link['token'], team.eve)
    assert refused.status_code == 410 and 'expired' in refused.json['error']


def test_concurrent_accepts_never_use_a_link_more_than_max_uses(server, client, team, db_backend):
    link = invite(client, team, {'link': True, 'max_uses': 3})
    guests = [sign_up(client, f'guest{n}@example.com', f'Guest {n}').token for n in range(8)]
    answers = all_at_once([lambda t=t: http_json(server.url, 'POST',
                                                 f"/api/invites/{link['token']}/accept", token=t)
                           for t in guests])
    statuses = [status for status, _ in answers]
    assert sorted(statuses) == [200] * 3 + [410] * 5
    assert Invite.get_by_id(link['id']).uses == 3
    assert Member.select().where(Member.workspace == team.ws_id).count() == 2 + 3


def test_owners_and_admins_list_and_revoke_pending_invites(client, team):
    email = invite(client, team, {'email': 'carol@example.com'})
    link = invite(client, team, {'link': True, 'max_uses': 4})
    url = f'/api/workspaces/{team.ws_id}/invites'
    listed = client.get(url, headers=team.ann).json['invites']
    # Bob's accepted invite is not pending; tokens are never listed again.
    assert [(i['id'], i['email'], i['link'], i['uses']) for i in listed] == [
        (link['id'], None, True, 0), (email['id'], 'carol@example.com', False, 0)]
    assert all('token' not in i for i in listed)
    refused = client.get(url, headers=team.bob)
    assert refused.status_code == 403 and 'see invites' in refused.json['error']
    assert client.get(url, headers=team.eve).status_code == 403

    assert client.delete(f"/api/invites/{link['id']}", headers=team.bob).status_code == 403
    assert client.delete(f"/api/invites/{link['id']}", headers=team.eve).status_code == 403
    revoked = client.delete(f"/api/invites/{link['id']}", headers=team.ann)
    assert revoked.status_code == 200 and revoked.json == {'revoked': link['id']}
    assert accept(client, link['token'], team.eve).status_code == 404
    assert client.delete(f"/api/invites/{link['id']}", headers=team.ann).status_code == 404
    assert [i['id'] for i in client.get(url, headers=team.ann).json['invites']] == [email['id']]


def test_an_admin_invites_and_a_member_may_not(client, team):
    bob = team.user_id(team.bob)
    refused = client.post(f'/api/workspaces/{team.ws_id}/invites',
                          json={'link': True, 'max_uses': 2}, headers=team.bob)
    assert refused.status_code == 403 and 'owner or admin' in refused.json['error']
    client.patch(f'/api/workspaces/{team.ws_id}/members/{bob}', json={'role': 'admin'},
                 headers=team.ann)
    invite(client, team, {'link': True, 'max_uses': 2}, headers=team.bob)


def test_bad_link_invites_are_a_clear_400(client, team):
    url = f'/api/workspaces/{team.ws_id}/invites'
    for body, field in (({'link': True}, 'max_uses'), ({'link': True, 'max_uses': 0}, 'max_uses'),
                        ({'link': True, 'max_uses': 1001}, 'max_uses'),
                        ({'link': True, 'max_uses': '3'}, 'max_uses'),
                        ({'link': True, 'max_uses': True}, 'max_uses'),
                        ({'link': True, 'max_uses': 2.5}, 'max_uses'),
                        ({'link': 'yes', 'max_uses': 2}, 'link'),
                        ({'link': True, 'max_uses': 2, 'email': 'a@example.com'}, 'email'),
                        ({'link': False}, 'email')):
        response = client.post(url, json=body, headers=team.ann)
        assert response.status_code == 400 and response.json['field'] == field, (body,
                                                                                response.json)
    assert Invite.select().count() == 1   # Bob's, from the team's setup


def before_link_invites():
    """Turn the invite table back into the one before migration 3: no use counts, and
    an email on every invite."""
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    migrate(migrator.drop_column('invite', 'uses'), migrator.drop_column('invite', 'max_uses'),
            migrator.add_not_null('invite', 'email'))
    SchemaVersion.delete().where(SchemaVersion.version == 3).execute()


def test_an_invite_accepted_before_the_upgrade_stays_used(client, team, db_backend):
    pending = invite(client, team, {'email': 'carol@example.com'})
    before_link_invites()
    apply_migrations()
    assert {i.id: (i.uses, i.max_uses) for i in Invite.select()} == {
        pending['id'] - 1: (1, 1), pending['id']: (0, 1)}
    assert accept(client, pending['token'], team.eve).status_code == 403
    carol = sign_up(client, 'carol@example.com', 'Carol').headers
    assert accept(client, pending['token'], carol).status_code == 200
    assert invite(client, team, {'link': True, 'max_uses': 2})['email'] is None
