"""Workspace roles: owner, admin and member, what each may do, and that a workspace
always keeps an owner."""
import io

from collab import fulltext
from collab.db import is_sqlite
from collab.models import DocumentVersion, Member
from tests.support import bearer_token, http_json, wait_until
from tests.support.threads import all_at_once


def members_url(team, user_id=None):
    url = f'/api/workspaces/{team.ws_id}/members'
    return f'{url}/{user_id}' if user_id is not None else url


def set_role(client, team, headers, user_id, role):
    return client.patch(members_url(team, user_id), json={'role': role}, headers=headers)


def roles(client, team):
    rows = client.get(members_url(team), headers=team.ann).json['members']
    return {m['name']: m['role'] for m in rows}


def upload(client, team, headers, name='notes.txt'):
    response = client.post(f'/api/workspaces/{team.ws_id}/files', headers=headers,
                           data={'file': (io.BytesIO(b'seed list'), name)})
    assert response.status_code == 201, response.json
    return response.json


def post(client, channel, headers, body='hello'):
    response = client.post(f"/api/channels/{channel['id']}/messages", json={'body': body},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_a_member_deletes_only_what_they_made_and_an_admin_deletes_anything(client, team):
    anns, bobs = team.document('Ann plan'), team.document('Bob plan', headers=team.bob)
    refused = client.delete(f"/api/documents/{anns['id']}", headers=team.bob)
    assert refused.status_code == 403
    assert 'owner or admin' in refused.json['error'] and 'member' in refused.json['error']
    assert client.get(f"/api/documents/{anns['id']}", headers=team.ann).status_code == 200
    assert client.delete(f"/api/documents/{bobs['id']}", headers=team.bob).status_code == 200

    assert set_role(client, team, team.ann, team.user_id(team.bob), 'admin').status_code == 200
    assert client.delete(f"/api/documents/{anns['id']}", headers=team.bob).status_code == 200
    assert client.get(f"/api/documents/{anns['id']}", headers=team.ann).status_code == 404


def test_messages_are_deleted_by_their_author_or_an_owner(client, team):
    channel = team.channel()
    anns, bobs, bobs_other = (post(client, channel, team.ann, 'from Ann'),
                              post(client, channel, team.bob, 'from Bob'),
                              post(client, channel, team.bob, 'Bob again'))
    refused = client.delete(f"/api/messages/{anns['id']}", headers=team.bob)
    assert refused.status_code == 403 and 'owner or admin' in refused.json['error']
    assert client.delete(f"/api/messages/{bobs['id']}", headers=team.eve).status_code == 403
    assert client.delete(f"/api/messages/{bobs['id']}", headers=team.bob).status_code == 200
    assert client.delete(f"/api/messages/{bobs_other['id']}", headers=team.ann).status_code == 200
    assert client.delete('/api/messages/987654', headers=team.ann).status_code == 404
    left = client.get(f"/api/channels/{channel['id']}/messages", headers=team.bob).json
    assert [m['body'] for m in left['messages']] == ['from Ann']


def test_deleting_a_file_removes_its_stored_bytes(client, team, settings):
    from collab.models import File
    anns = upload(client, team, team.ann)
    stored = settings.data_dir / 'files' / File.get_by_id(anns['id']).stored_name
    assert stored.is_file()
    refused = client.delete(f"/api/files/{anns['id']}", headers=team.bob)
    assert refused.status_code == 403 and stored.is_file()
    bobs = upload(client, team, team.bob)
    assert client.delete(f"/api/files/{bobs['id']}", headers=team.bob).status_code == 200
    assert client.delete(f"/api/files/{anns['id']}", headers=team.ann).status_code == 200
    assert not stored.exists()
    assert client.get(f"/api/files/{anns['id']}", headers=team.ann).status_code == 404
    assert list((settings.data_dir / 'files').iterdir()) == []


def test_only_owners_and_admins_export_and_deleting_an_export_removes_its_zip(
        client, team, settings, consumer):
    refused = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.bob)
    assert refused.status_code == 403 and 'start exports' in refused.json['error']
    export_id = client.post(f'/api/workspaces/{team.ws_id}/exports',
                            headers=team.ann).json['export_id']
    wait_until(lambda: client.get(f'/api/exports/{export_id}', headers=team.ann).json['state']
               == 'ready', timeout=20, message='the export to be ready')
    zips = list((settings.data_dir / 'exports').glob('*.zip'))
    assert len(zips) == 1
    assert client.delete(f'/api/exports/{export_id}', headers=team.bob).status_code == 403
    assert zips[0].is_file()
    assert client.delete(f'/api/exports/{export_id}', headers=team.ann).status_code == 200
    assert not zips[0].exists()
    assert client.get(f'/api/exports/{export_id}', headers=team.ann).status_code == 404


def test_deleting_a_document_removes_its_versions_and_search_entry_at_once(client, team):
    doc = team.document('Tulips', 'Bulbs go in before frost')
    client.put(f"/api/documents/{doc['id']}", json={'content': 'Bulbs, then frost'},
               headers=team.ann)
    fulltext.index_document(doc['id'])   # what the save's pipeline does (no consumer here)
    search = f'/api/workspaces/{team.ws_id}/search?q=bulbs'
    assert client.get(search, headers=team.ann).json['results'] != []
    assert client.delete(f"/api/documents/{doc['id']}", headers=team.ann).status_code == 200
    assert client.get(search, headers=team.ann).json['results'] == []
    assert DocumentVersion.select().where(DocumentVersion.document == doc['id']).count() == 0
    if is_sqlite():
        assert fulltext.DocumentIndex.select().where(
            fulltext.DocumentIndex.rowid == doc['id']).count() == 0


def test_only_owners_and_admins_invite_change_roles_and_remove_members(client, team):
    bob, eve = team.user_id(team.bob), team.user_id(team.eve)
    link = client.post(f'/api/workspaces/{team.ws_id}/invites', json={'link': True,
                       'max_uses': 5}, headers=team.ann).json['token']
    assert client.post(f'/api/invites/{link}/accept', headers=team.eve).status_code == 200
    for response, action in (
            (client.post(f'/api/workspaces/{team.ws_id}/invites',
                         json={'email': 'zoe@example.com'}, headers=team.bob), 'invite people'),
            (set_role(client, team, team.bob, eve, 'admin'), 'change roles'),
            (client.delete(members_url(team, eve), headers=team.bob), 'remove members')):
        assert response.status_code == 403, response.json
        assert response.json['error'] == (f'only an owner or admin of this workspace can '
                                          f'{action}; your role is member')
    assert roles(client, team) == {'Ann': 'owner', 'Bob': 'member', 'Eve': 'member'}

    assert set_role(client, team, team.ann, bob, 'admin').json == {'user_id': bob,
                                                                   'role': 'admin'}
    assert set_role(client, team, team.bob, eve, 'admin').status_code == 200
    assert set_role(client, team, team.bob, eve, 'member').status_code == 200
    assert client.delete(members_url(team, eve), headers=team.bob).status_code == 200
    assert roles(client, team) == {'Ann': 'owner', 'Bob': 'admin'}
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.eve).status_code == 403


def test_an_admin_can_neither_make_an_owner_nor_change_or_remove_one(client, team):
    ann, bob = team.user_id(team.ann), team.user_id(team.bob)
    set_role(client, team, team.ann, bob, 'admin')
    for response in (set_role(client, team, team.bob, bob, 'owner'),
                     set_role(client, team, team.bob, ann, 'admin'),
                     client.delete(members_url(team, ann), headers=team.bob)):
        assert response.status_code == 403, response.json
        assert 'only an owner' in response.json['error']
    assert roles(client, team) == {'Ann': 'owner', 'Bob': 'admin'}


def test_the_last_owner_can_neither_leave_nor_be_demoted(client, team):
    ann = team.user_id(team.ann)
    for response in (client.delete(members_url(team, ann), headers=team.ann),
                     set_role(client, team, team.ann, ann, 'admin')):
        assert response.status_code == 409
        assert response.json['error'] == ('a workspace must keep at least one owner: '
                                          'make another member owner first')
    assert roles(client, team) == {'Ann': 'owner', 'Bob': 'member'}


def test_an_owner_transfers_ownership_then_steps_down_and_leaves(client, team):
    ann, bob = team.user_id(team.ann), team.user_id(team.bob)
    assert set_role(client, team, team.ann, bob, 'owner').status_code == 200
    assert set_role(client, team, team.ann, ann, 'member').status_code == 200
    workspace = client.get(f'/api/workspaces/{team.ws_id}', headers=team.bob).json
    assert workspace['owner_id'] == bob and workspace['role'] == 'owner'
    assert roles(client, team) == {'Ann': 'member', 'Bob': 'owner'}
    refused = client.post(f'/api/workspaces/{team.ws_id}/invites', json={'email': 'z@example.com'},
                          headers=team.ann)
    assert refused.status_code == 403
    left = client.delete(members_url(team, ann), headers=team.ann)
    assert left.status_code == 200 and left.json == {'removed': ann, 'workspace_id': team.ws_id}
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.ann).status_code == 403
    assert client.delete(members_url(team, bob), headers=team.bob).status_code == 409


def test_a_member_leaves_by_deleting_themselves(client, team):
    bob = team.user_id(team.bob)
    assert client.delete(members_url(team, bob), headers=team.bob).status_code == 200
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.bob).status_code == 403
    assert roles(client, team) == {'Ann': 'owner'}


def test_bad_role_changes_are_clear_4xx(client, team):
    bob, eve = team.user_id(team.bob), team.user_id(team.eve)
    for body in ({'role': 'king'}, {'role': 5}, {}):
        response = client.patch(members_url(team, bob), json=body, headers=team.ann)
        assert response.status_code == 400 and response.json['field'] == 'role', body
    assert set_role(client, team, team.ann, eve, 'admin').status_code == 404   # not a member
    assert set_role(client, team, team.eve, bob, 'admin').status_code == 403   # a stranger
    assert client.patch(f'/api/workspaces/987654/members/{bob}', json={'role': 'admin'},
                        headers=team.ann).status_code == 404
    assert roles(client, team) == {'Ann': 'owner', 'Bob': 'member'}


def test_two_owners_stepping_down_at_once_leave_one_owner(server, client, team, db_backend):
    """Each checks that another owner remains; done at the same moment, only one may
    succeed. (Run on PostgreSQL too, where a row lock does what SQLite's write lock does.)"""
    ann, bob = team.user_id(team.ann), team.user_id(team.bob)
    set_role(client, team, team.ann, bob, 'owner')
    tokens = {ann: bearer_token(team.ann), bob: bearer_token(team.bob)}
    answers = all_at_once([lambda u=u: http_json(server.url, 'DELETE', members_url(team, u),
                                                 token=tokens[u]) for u in tokens])
    statuses = [status for status, _ in answers]
    assert sorted(statuses) == [200, 409]
    owners = Member.select().where((Member.workspace == team.ws_id)
                                   & (Member.role == Member.OWNER)).count()
    assert owners == 1
