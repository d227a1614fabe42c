"""Files on the workspace page and in the API: empty uploads refused, the list with
its uploader and date, deletes by the uploader or a manager only; and an export's
state told live to the members' sockets."""
import io
import re

from collab.models import Export, File
from tests.support import Listener, bearer_token, sign_in_page, wait_for_jobs_idle

PAGE_FORM_REFUSAL = b'choose a file to upload'


def csrf(client):
    return client.get('/api/auth/csrf').json['csrf_token']


def nothing_stored(settings):
    stored = settings.data_dir / 'files'
    return File.select().count() == 0 and (not stored.exists() or not any(stored.iterdir()))


def upload(client, team, headers, name='seeds.txt', body=b'tomato, basil'):
    response = client.post(f'/api/workspaces/{team.ws_id}/files', headers=headers,
                           data={'file': (io.BytesIO(body), name)})
    assert response.status_code == 201, response.json
    return response.json


def test_an_empty_file_field_is_refused_with_400_and_nothing_stored(client, team, settings):
    # What a browser sends when nothing was chosen: the field, no file name, no bytes.
    response = client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                           data={'file': (io.BytesIO(b''), '')})
    assert response.status_code == 400
    assert response.json['field'] == 'file' and 'file is required' in response.json['error']
    assert nothing_stored(settings)


def test_a_multipart_upload_without_a_file_field_is_refused_with_400(client, team, settings):
    response = client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                           data={'other': 'value'})
    assert response.status_code == 400 and response.json['field'] == 'file'
    assert nothing_stored(settings)


def test_the_page_form_refuses_an_empty_choice_with_a_message(client, team, settings):
    sign_in_page(client, 'bob@example.com')
    page_url = f'/w/{team.ws_id}'
    for data in ({'file': (io.BytesIO(b''), '')}, {}):   # empty field, and no field at all
        response = client.post(f'{page_url}/files', data={**data, 'csrf_token': csrf(client)},
                               headers={'Referer': page_url}, follow_redirects=True)
        assert response.status_code == 200 and PAGE_FORM_REFUSAL in response.data
        assert b'role="alert"' in response.data
    assert nothing_stored(settings)


def test_the_page_form_uploads_without_javascript_and_says_so(client, team):
    sign_in_page(client, 'bob@example.com')
    response = client.post(f'/w/{team.ws_id}/files', follow_redirects=True,
                           data={'file': (io.BytesIO(b'12345'), 'notes.txt'),
                                 'csrf_token': csrf(client)})
    assert response.status_code == 200
    assert 'Uploaded “notes.txt” (5 bytes).' in response.get_data(as_text=True)
    assert File.get().name == 'notes.txt'


def test_the_api_list_names_the_uploader_and_the_date(client, team):
    made = upload(client, team, team.bob)
    assert made['uploaded_by_name'] == 'Bob'
    listed = client.get(f'/api/workspaces/{team.ws_id}/files', headers=team.ann).json['files']
    assert [(f['id'], f['uploaded_by_name'], f['uploaded_by']) for f in listed] == [
        (made['id'], 'Bob', team.user_id(team.bob))]
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', listed[0]['created_at'])


def test_the_page_list_shows_uploader_and_date(client, team):
    made = upload(client, team, team.bob)
    sign_in_page(client, 'ann@example.com')
    page = client.get(f'/w/{team.ws_id}').get_data(as_text=True)
    item = re.search(rf'<li data-file-id="{made["id"]}">(.*?)</li>', page, re.S).group(1)
    day = made['created_at'][:10]
    assert 'seeds.txt' in item and '13 bytes · Bob · ' in item
    assert f'<time datetime="{made["created_at"][:19]}Z">{day} ' in item


def test_the_uploader_deletes_their_file_and_its_bytes(client, team, settings):
    made = upload(client, team, team.bob)
    response = client.delete(f"/api/files/{made['id']}", headers=team.bob)
    assert response.status_code == 200 and response.json == {'deleted': made['id']}
    assert nothing_stored(settings)


def test_an_owner_deletes_a_members_file(client, team, settings):
    made = upload(client, team, team.bob)
    assert client.delete(f"/api/files/{made['id']}", headers=team.ann).status_code == 200
    assert nothing_stored(settings)


def test_another_member_may_not_delete_a_file(client, team):
    made = upload(client, team, team.ann)
    response = client.delete(f"/api/files/{made['id']}", headers=team.bob)
    assert response.status_code == 403 and 'your role is member' in response.json['error']
    assert client.delete(f"/api/files/{made['id']}", headers=team.eve).status_code == 403
    assert File.get_by_id(made['id']).name == 'seeds.txt'


def test_the_page_offers_delete_only_to_who_may_and_refuses_the_others(client, team):
    mine = upload(client, team, team.bob, 'mine.txt')
    theirs = upload(client, team, team.ann, 'theirs.txt')
    sign_in_page(client, 'bob@example.com')
    page = client.get(f'/w/{team.ws_id}').get_data(as_text=True)
    assert f'href="/f/{mine["id"]}/delete"' in page
    assert f'href="/f/{theirs["id"]}/delete"' not in page
    confirm = client.get(f"/f/{mine['id']}/delete").get_data(as_text=True)
    assert 'Delete “mine.txt”?' in confirm and f'action="/f/{mine["id"]}/delete"' in confirm
    assert client.get(f"/f/{theirs['id']}/delete").status_code == 403
    refused = client.post(f"/f/{theirs['id']}/delete", data={'csrf_token': csrf(client)},
                          headers={'Referer': f'/w/{team.ws_id}'}, follow_redirects=True)
    assert 'can delete it; your role is member' in refused.get_data(as_text=True)
    assert File.get_or_none(File.id == theirs['id']) is not None
    deleted = client.post(f"/f/{mine['id']}/delete", data={'csrf_token': csrf(client)},
                          follow_redirects=True)
    assert 'Deleted “mine.txt”.' in deleted.get_data(as_text=True)
    assert File.get_or_none(File.id == mine['id']) is None


def test_the_page_delete_needs_the_csrf_token(client, team):
    made = upload(client, team, team.bob)
    sign_in_page(client, 'bob@example.com')
    assert client.post(f"/f/{made['id']}/delete").status_code == 403
    assert File.get_or_none(File.id == made['id']) is not None


def test_every_member_socket_hears_the_export_go_running_then_ready(server, team, consumer):
    bob = Listener(server.url, bearer_token(team.bob))   # a member, not the requester
    wait_for_jobs_idle()
    started = team.client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann)
    assert started.status_code == 202
    export_id = started.json['export_id']

    def state(name):
        return lambda m: (m['type'] == 'export.state' and m['export_id'] == export_id
                          and m['export']['state'] == name)
    bob.wait_for(state('running'), 'the export running')
    ready = bob.wait_for(state('ready'), 'the export ready')
    assert ready['workspace_id'] == team.ws_id
    assert ready['export']['download_url'] == f'/api/exports/{export_id}/download'
    # Sent after the commit: what the API answers now is what the event said.
    assert Export.get_by_id(export_id).state == 'ready'
    bob.close()
