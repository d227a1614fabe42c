"""Invites, members, channels, files, notifications and exports through the HTTP API."""
import io
import zipfile
from datetime import timedelta

from collab.fields import utcnow
from collab.models import Export, File, Invite
from tests.support import wait_for_jobs_idle, wait_until


def test_an_invite_makes_its_holder_a_member_once(client, team):
    invite = client.post(f'/api/workspaces/{team.ws_id}/invites',
                         json={'email': 'Eve@Example.com'}, headers=team.ann)
    assert invite.status_code == 201 and invite.json['email'] == 'eve@example.com'
    assert client.get(f'/api/workspaces/{team.ws_id}', headers=team.eve).status_code == 403
    accept = client.post(f"/api/invites/{invite.json['token']}/accept", headers=team.eve)
    assert accept.status_code == 200 and accept.json['role'] == 'member'
    members = client.get(f'/api/workspaces/{team.ws_id}/members', headers=team.eve).json['members']
    assert [(m['name'], m['role']) for m in members] == [('Ann', 'owner'), ('Bob', 'member'),
                                                         ('Eve', 'member')]
    again = client.post(f"/api/invites/{invite.json['token']}/accept", headers=team.eve)
    assert again.status_code == 410


def test_an_expired_invite_is_refused_and_cleaned_up(client, team, app):
    from tasks.workspaces import cleanup_expired_invites
    token = client.post(f'/api/workspaces/{team.ws_id}/invites', json={'email': 'eve@example.com'},
                        headers=team.ann).json['token']
    Invite.update(expires_at=utcnow() - timedelta(minutes=1)).where(
        Invite.accepted_at.is_null()).execute()
    refused = client.post(f'/api/invites/{token}/accept', headers=team.eve)
    assert refused.status_code == 410 and 'expired' in refused.json['error']
    assert client.post('/api/invites/not-a-token/accept', headers=team.eve).status_code == 404
    cleanup_expired_invites.call_local()
    assert Invite.select().where(Invite.accepted_at.is_null()).count() == 0
    assert Invite.select().count() == 1   # Bob's accepted invite stays


def test_channels_and_messages(client, team):
    channel = team.channel('General')
    assert channel['name'] == 'general'
    dup = client.post(f'/api/workspaces/{team.ws_id}/channels', json={'name': 'general'},
                      headers=team.bob)
    assert dup.status_code == 409 and dup.json['field'] == 'name'
    for n in range(3):
        posted = client.post(f"/api/channels/{channel['id']}/messages",
                             json={'body': f'hello {n}'}, headers=team.bob)
        assert posted.status_code == 201
    page = client.get(f"/api/channels/{channel['id']}/messages?limit=2", headers=team.ann).json
    assert [m['body'] for m in page['messages']] == ['hello 2', 'hello 1']
    older = client.get(f"/api/channels/{channel['id']}/messages?before={page['next_before']}",
                       headers=team.ann).json
    assert [m['body'] for m in older['messages']] == ['hello 0']
    listed = client.get(f'/api/workspaces/{team.ws_id}/channels', headers=team.bob).json
    assert [c['name'] for c in listed['channels']] == ['general']


def test_files_are_stored_under_generated_names_and_served_as_attachments(client, team, settings):
    upload = client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.bob,
                         data={'file': (io.BytesIO(b'<script>alert(1)</script>'),
                                        '../../evil.html', 'text/html')})
    assert upload.status_code == 201, upload.json
    assert upload.json['name'] == 'evil.html' and upload.json['size'] == 25
    row = File.get_by_id(upload.json['id'])
    stored = settings.data_dir / 'files' / row.stored_name
    assert stored.read_bytes() == b'<script>alert(1)</script>' and 'evil' not in row.stored_name
    download = client.get(upload.json['url'], headers=team.ann)
    assert download.status_code == 200 and download.data == b'<script>alert(1)</script>'
    assert download.headers['Content-Disposition'].startswith('attachment')
    assert download.headers['X-Content-Type-Options'] == 'nosniff'
    assert download.headers['Content-Type'] == 'application/octet-stream'
    assert client.get(upload.json['url'], headers=team.eve).status_code == 403


def test_an_oversized_upload_is_refused_and_leaves_nothing(client, team, settings):
    from collab.files import MAX_FILE_BYTES
    big = io.BytesIO(b'x' * (MAX_FILE_BYTES + 1))
    response = client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                           data={'file': (big, 'big.bin')})
    assert response.status_code == 413 and response.json['field'] == 'file'
    assert File.select().count() == 0
    assert list((settings.data_dir / 'files').iterdir()) == []


def test_notifications_list_and_mark_read(client, team, consumer):
    doc = team.document()
    wait_for_jobs_idle()   # notifications are listed in the order they arrive
    client.put(f"/api/documents/{doc['id']}", json={'content': 'new'}, headers=team.ann)
    wait_for_jobs_idle()
    listed = client.get('/api/notifications?unread=1', headers=team.bob).json
    assert listed['unread'] == 2
    assert [n['type'] for n in listed['notifications']] == ['document.updated', 'document.created']
    assert listed['notifications'][0]['title'] == 'Ann edited “Plan”'
    first = listed['notifications'][0]['id']
    assert client.post(f'/api/notifications/{first}/read', headers=team.ann).status_code == 403
    assert client.post(f'/api/notifications/{first}/read', headers=team.bob).json['unread'] == 1
    assert client.post('/api/notifications/read-all', headers=team.bob).json['marked'] == 1
    assert client.get('/api/notifications?unread=1', headers=team.bob).json['notifications'] == []
    own = client.get('/api/notifications', headers=team.ann).json['notifications']
    assert [n['type'] for n in own] == ['invite.accepted']   # not told of her own edits


def test_export_is_a_zip_of_documents_channels_and_files(client, team, consumer):
    team.document('Plan', 'tomatoes')
    channel = team.channel('general')
    client.post(f"/api/channels/{channel['id']}/messages", json={'body': 'hi all'}, headers=team.bob)
    client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                data={'file': (io.BytesIO(b'seed list'), 'seeds.txt')})
    started = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann)
    assert started.status_code == 202 and started.json['job_id']
    url = f"/api/exports/{started.json['export_id']}"
    done = wait_until(lambda: client.get(url, headers=team.bob).json['state'] == 'ready' and
                      client.get(url, headers=team.bob).json, timeout=15, message='export ready')
    download = client.get(done['download_url'], headers=team.bob)
    assert download.status_code == 200 and download.mimetype == 'application/zip'
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = set(archive.namelist())
    assert {'export.json', 'documents.json', 'channels.json', 'files.json'} <= names
    assert b'tomatoes' in archive.read('documents.json')
    assert b'hi all' in archive.read('channels.json')
    file_entry = next(n for n in names if n.startswith('files/') and n.endswith('seeds.txt'))
    assert archive.read(file_entry) == b'seed list'
    assert client.get(done['download_url'], headers=team.eve).status_code == 403
    wait_for_jobs_idle()
    ready = client.get('/api/notifications', headers=team.ann).json['notifications']
    assert ready[0]['type'] == 'export.ready' and ready[0]['data']['download_url'] == done['download_url']


def test_an_export_with_a_failing_part_fails_visibly(client, team, consumer, settings):
    client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                data={'file': (io.BytesIO(b'data'), 'lost.txt')})
    for stored in (settings.data_dir / 'files').iterdir():
        stored.unlink()   # the disk lost it: the files part cannot copy it
    started = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann).json
    url = f"/api/exports/{started['export_id']}"
    failed = wait_until(lambda: client.get(url, headers=team.ann).json['state'] == 'failed' and
                        client.get(url, headers=team.ann).json, timeout=20, message='export failed')
    assert 'No such file' in failed['error'] and 'download_url' not in failed
    assert client.get(url + '/download', headers=team.ann).status_code == 409
    wait_for_jobs_idle()
    note = client.get('/api/notifications', headers=team.ann).json['notifications'][0]
    assert note['type'] == 'export.failed'
    assert not (settings.data_dir / 'exports' / str(started['export_id'])).exists()
    assert Export.get_by_id(started['export_id']).finished_at is not None
