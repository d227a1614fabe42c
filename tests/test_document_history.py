"""A document's history: each version's author, any version in full, restoring one as a
new version (recording who restored it); deleting a document, by the roles that may."""
import pytest

from collab.models import Activity
from tests.support import page_client, page_csrf_token, wait_for_jobs_idle, wait_until


def put(client, doc_id, headers, content):
    answer = client.put(f'/api/documents/{doc_id}', json={'content': content}, headers=headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def versions(client, doc_id, headers):
    return client.get(f'/api/documents/{doc_id}/versions', headers=headers).json['versions']


def test_the_history_names_the_author_of_each_version(client, team):
    doc = team.document('Plan', 'by Ann')
    put(client, doc['id'], team.bob, 'by Bob')
    listed = versions(client, doc['id'], team.ann)
    assert [(v['version'], v['author_name']) for v in listed] == [(2, 'Bob'), (1, 'Ann')]
    assert listed[0]['author_id'] == team.user_id(team.bob)
    assert all(v['restored_from'] is None for v in listed)
    one = client.get(f"/api/documents/{doc['id']}/versions/1", headers=team.bob).json
    assert one['content'] == 'by Ann' and one['author_name'] == 'Ann'


def test_restoring_a_version_makes_a_new_version_by_who_restored_it(client, team):
    doc = team.document('Plan', 'first text')
    put(client, doc['id'], team.ann, 'second text')
    client.patch(f"/api/documents/{doc['id']}", json={'title': 'Renamed'}, headers=team.ann)

    restored = client.post(f"/api/documents/{doc['id']}/versions/1/restore", headers=team.bob)
    assert restored.status_code == 200
    assert restored.json['version'] == 4
    assert restored.json['content'] == 'first text' and restored.json['title'] == 'Plan'
    assert restored.json['updated_by'] == team.user_id(team.bob)
    newest = versions(client, doc['id'], team.ann)[0]
    assert newest['version'] == 4 and newest['restored_from'] == 1
    assert newest['author_name'] == 'Bob'
    assert [v['version'] for v in versions(client, doc['id'], team.ann)] == [4, 3, 2, 1]


def test_restoring_is_logged_and_the_version_jobs_still_describe_it(client, team, consumer):
    doc = team.document('Plan', 'a\nb')
    put(client, doc['id'], team.ann, 'a\nb\nc')
    wait_for_jobs_idle()
    client.post(f"/api/documents/{doc['id']}/versions/1/restore", headers=team.bob)

    def described():
        return {v['version']: (v['lines_added'], v['lines_removed'])
                for v in versions(client, doc['id'], team.ann)}
    wait_until(lambda: described().get(3) == (0, 1), timeout=15,
               message='the restore described as one line removed')
    wait_for_jobs_idle()
    logged = Activity.get(Activity.action == 'document.restored')
    assert logged.user_id == team.user_id(team.bob)
    assert logged.metadata == {'title': 'Plan', 'version': 3, 'restored_from': 1}


def test_restoring_or_viewing_a_version_not_kept_is_a_404(client, team):
    doc = team.document()
    assert client.post(f"/api/documents/{doc['id']}/versions/9/restore",
                       headers=team.ann).status_code == 404
    assert client.get(f"/api/documents/{doc['id']}/versions/9", headers=team.ann).status_code == 404
    assert client.get(f"/api/documents/{doc['id']}", headers=team.ann).json['version'] == 1


def test_only_members_view_or_restore_versions(client, team):
    doc = team.document()
    assert client.post(f"/api/documents/{doc['id']}/versions/1/restore",
                       headers=team.eve).status_code == 403
    assert client.get(f"/api/documents/{doc['id']}/versions/1", headers=team.eve).status_code == 403


def test_a_version_page_shows_it_in_full_rendered_and_restores_it(app, team):
    doc = team.document('Plan', '## Seeds\n\n- tomatoes\n- <b onclick="x()">basil</b>')
    ann = page_client(app, 'ann@example.com')
    ann.post(f"/d/{doc['id']}", data={'title': 'Plan', 'content': 'later', 'base_version': '1',
                                      'csrf_token': page_csrf_token(ann)})
    bob = page_client(app, 'bob@example.com')
    page = bob.get(f"/d/{doc['id']}/v/1").data.decode()
    assert '<h2>Seeds</h2>' in page and '<li><b>basil</b></li>' in page
    assert '<b onclick' not in page   # only the escaped source shows it
    assert '&lt;b onclick=&#34;x()&#34;&gt;basil' in page
    assert 'Saved by Ann' in page and 'Restore version 1' in page

    history = bob.get(f"/d/{doc['id']}").data.decode()
    assert 'Version 2\n  by Ann' in history and f"/d/{doc['id']}/v/1" in history

    restored = bob.post(f"/d/{doc['id']}/v/1/restore",
                        data={'csrf_token': page_csrf_token(bob)}, follow_redirects=True)
    page = restored.data.decode()
    assert 'Restored version 1 as version 3.' in page
    assert 'Version 3\n  by Bob (restored version 1)' in page
    assert bob.get(f"/d/{doc['id']}/v/99").status_code == 404


# ------------------------------------------------------------------ deleting

def make_admin(client, team, headers):
    """Eve joins Ann's workspace and is made an admin of it."""
    token = client.post(f'/api/workspaces/{team.ws_id}/invites',
                        json={'email': 'eve@example.com'}, headers=team.ann).json['token']
    client.post(f'/api/invites/{token}/accept', headers=headers)
    answer = client.patch(f'/api/workspaces/{team.ws_id}/members/{team.user_id(headers)}',
                          json={'role': 'admin'}, headers=team.ann)
    assert answer.status_code == 200, answer.json


@pytest.mark.parametrize('who', ['author', 'owner', 'admin'])
def test_the_author_an_owner_or_an_admin_deletes_a_document(client, team, who):
    make_admin(client, team, team.eve)
    doc = team.document('Bob\'s notes', 'x', headers=team.bob)
    headers = {'author': team.bob, 'owner': team.ann, 'admin': team.eve}[who]
    answer = client.delete(f"/api/documents/{doc['id']}", headers=headers)
    assert answer.status_code == 200 and answer.json == {'deleted': doc['id']}
    assert client.get(f"/api/documents/{doc['id']}", headers=team.ann).status_code == 404


def test_a_member_who_did_not_write_it_or_a_stranger_cannot_delete(client, team):
    doc = team.document('Ann\'s plan', 'x')
    refused = client.delete(f"/api/documents/{doc['id']}", headers=team.bob)
    assert refused.status_code == 403 and 'your role is member' in refused.json['error']
    assert client.delete(f"/api/documents/{doc['id']}", headers=team.eve).status_code == 403
    assert client.get(f"/api/documents/{doc['id']}", headers=team.ann).status_code == 200


def test_the_page_deletes_after_a_confirmation_for_those_who_may(app, team):
    doc = team.document('Ann\'s plan', 'x')
    bob = page_client(app, 'bob@example.com')
    assert 'id="delete-document"' not in bob.get(f"/d/{doc['id']}").data.decode()
    assert bob.get(f"/d/{doc['id']}/delete").status_code == 403
    refused = bob.post(f"/d/{doc['id']}/delete", data={'csrf_token': page_csrf_token(bob)},
                       headers={'Referer': f"/d/{doc['id']}"}, follow_redirects=True)
    assert 'can delete it; your role is member' in refused.data.decode()
    assert app.test_client().get(f"/api/documents/{doc['id']}",
                                 headers=team.ann).status_code == 200

    ann = page_client(app, 'ann@example.com')
    assert 'id="delete-document"' in ann.get(f"/d/{doc['id']}").data.decode()
    confirm = ann.get(f"/d/{doc['id']}/delete").data.decode()
    assert 'Delete “Ann&#39;s plan”?' in confirm and 'Delete the document' in confirm
    deleted = ann.post(f"/d/{doc['id']}/delete", data={'csrf_token': page_csrf_token(ann)})
    assert deleted.status_code == 302 and deleted.headers['Location'] == f'/w/{team.ws_id}'
    assert 'Deleted “Ann&#39;s plan”.' in ann.get(f'/w/{team.ws_id}').data.decode()
    assert ann.get(f"/d/{doc['id']}").status_code == 404
