"""Membership on every route (403 for strangers, 404 for missing ids) and bad input on every write."""
import io

import pytest

from tests.support import sign_in

# (method, url, json body) — {ws}, {doc}, {channel}, {file}, {export}, {message},
# {member} and {invite} are filled in.
MEMBER_ROUTES = [
    ('GET', '/api/workspaces/{ws}/members', None),
    ('POST', '/api/workspaces/{ws}/invites', {'email': 'x@example.com'}),
    ('GET', '/api/workspaces/{ws}/documents', None),
    ('POST', '/api/workspaces/{ws}/documents', {'title': 't', 'content': 'c'}),
    ('GET', '/api/documents/{doc}', None),
    ('PUT', '/api/documents/{doc}', {'content': 'c'}),
    ('DELETE', '/api/documents/{doc}', None),
    ('GET', '/api/documents/{doc}/versions', None),
    ('GET', '/api/workspaces/{ws}/search?q=plan', None),
    ('GET', '/api/workspaces/{ws}/channels', None),
    ('POST', '/api/workspaces/{ws}/channels', {'name': 'random'}),
    ('GET', '/api/channels/{channel}/messages', None),
    ('POST', '/api/channels/{channel}/messages', {'body': 'hi'}),
    ('GET', '/api/workspaces/{ws}/files', None),
    ('POST', '/api/workspaces/{ws}/files', None),
    ('GET', '/api/files/{file}', None),
    ('GET', '/api/workspaces/{ws}/activity', None),
    ('POST', '/api/workspaces/{ws}/exports', None),
    ('GET', '/api/exports/{export}', None),
    ('GET', '/api/exports/{export}/download', None),
    ('GET', '/api/workspaces/{ws}/invites', None),
    ('DELETE', '/api/invites/{invite}', None),
    ('PATCH', '/api/workspaces/{ws}/members/{member}', {'role': 'admin'}),
    ('DELETE', '/api/workspaces/{ws}/members/{member}', None),
    ('DELETE', '/api/messages/{message}', None),
    ('DELETE', '/api/files/{file}', None),
    ('DELETE', '/api/exports/{export}', None),
]

MISSING = {'ws': 999999, 'doc': 999999, 'channel': 999999, 'file': 999999, 'export': 999999,
           'message': 999999, 'member': 999999, 'invite': 999999}


@pytest.fixture
def ids(client, team):
    doc = team.document()
    channel = team.channel()
    upload = client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                         data={'file': (io.BytesIO(b'abc'), 'a.txt')}).json
    export = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann).json
    message = client.post(f"/api/channels/{channel['id']}/messages", json={'body': 'hi'},
                          headers=team.ann).json
    invite = client.post(f'/api/workspaces/{team.ws_id}/invites', json={'email': 'z@example.com'},
                         headers=team.ann).json
    return {'ws': team.ws_id, 'doc': doc['id'], 'channel': channel['id'], 'file': upload['id'],
            'export': export['export_id'], 'message': message['id'],
            'member': team.user_id(team.bob), 'invite': invite['id']}


def call(client, method, url, body, headers):
    if url.endswith('/files') and method == 'POST':
        return client.post(url, headers=headers, data={'file': (io.BytesIO(b'x'), 'x.txt')})
    return client.open(url, method=method, json=body, headers=headers)


def test_a_stranger_gets_403_and_a_missing_id_404_on_every_route(app, client, team, ids):
    # One team for all routes: registering users (password hashing) is the slow part.
    anonymous_client = app.test_client()
    for method, url, body in MEMBER_ROUTES:
        stranger = call(client, method, url.format(**ids), body, team.eve)
        assert stranger.status_code == 403, (method, url, stranger.json)
        assert 'error' in stranger.json
        missing = call(client, method, url.format(**MISSING), body, team.ann)
        assert missing.status_code == 404, (method, url, missing.json)
        anonymous = call(anonymous_client, method, url.format(**ids), body, {})
        assert anonymous.status_code == 401, (method, url)


def test_a_huge_or_malformed_id_is_a_404(client, team):
    assert client.get('/api/documents/99999999999999999999999', headers=team.ann).status_code == 404
    assert client.get('/api/channels/abc/messages', headers=team.ann).status_code == 404
    assert client.post('/api/notifications/123456/read', headers=team.ann).status_code == 404


BAD_WRITES = [
    ('POST', '/api/workspaces/{ws}/invites', {'email': 'not an email'}, 400, 'email'),
    ('POST', '/api/workspaces/{ws}/invites', {}, 400, 'email'),
    ('POST', '/api/workspaces/{ws}/documents', {'content': 'no title'}, 400, 'title'),
    ('POST', '/api/workspaces/{ws}/documents', {'title': 5}, 400, 'title'),
    ('POST', '/api/workspaces/{ws}/documents', {'title': 'x' * 201}, 400, 'title'),
    ('POST', '/api/workspaces/{ws}/documents', {'title': 't', 'content': ['a']}, 400, 'content'),
    ('PUT', '/api/documents/{doc}', {'title': 'only a title'}, 400, 'content'),
    ('PUT', '/api/documents/{doc}', {'content': 'x' * 200_001}, 413, 'content'),
    ('PUT', '/api/documents/{doc}', {'content': None, 'title': []}, 400, 'title'),
    ('POST', '/api/workspaces/{ws}/channels', {'name': ''}, 400, 'name'),
    ('POST', '/api/workspaces/{ws}/channels', {'name': {'a': 1}}, 400, 'name'),
    ('POST', '/api/channels/{channel}/messages', {'body': '   '}, 400, 'body'),
    ('POST', '/api/channels/{channel}/messages', {'body': 7}, 400, 'body'),
    ('POST', '/api/channels/{channel}/messages', {'body': 'x' * 10_001}, 413, 'body'),
]


def test_bad_input_on_every_write_route_is_a_clear_4xx(client, team, ids):
    for method, url, body, status, field in BAD_WRITES:
        response = client.open(url.format(**ids), method=method, json=body, headers=team.ann)
        assert response.status_code == status, (method, url, body, response.json)
        assert response.json['field'] == field and response.json['error']


WRITE_URLS = ['/api/workspaces/{ws}/invites', '/api/workspaces/{ws}/documents',
              '/api/documents/{doc}', '/api/workspaces/{ws}/channels',
              '/api/channels/{channel}/messages']


def test_a_body_that_is_not_a_json_object_is_a_400(client, team, ids):
    for url in WRITE_URLS:
        method = 'PUT' if url == '/api/documents/{doc}' else 'POST'
        for data in (b'not json', b'[1, 2]', b'"text"'):
            response = client.open(url.format(**ids), method=method, data=data,
                                   headers=team.ann, content_type='application/json')
            assert response.status_code == 400, (url, data, response.json)


def test_an_upload_without_a_file_field_is_a_400(client, team):
    url = f'/api/workspaces/{team.ws_id}/files'
    assert client.post(url, headers=team.ann, json={'file': 'x'}).status_code == 400
    missing = client.post(url, headers=team.ann, data={'other': (io.BytesIO(b'x'), 'x.txt')})
    assert missing.status_code == 400 and missing.json['field'] == 'file'


def test_bad_query_arguments_are_a_400(client, team):
    base = f'/api/workspaces/{team.ws_id}'
    for url in (f'{base}/activity?limit=0', f'{base}/activity?limit=1001',
                f'{base}/activity?before=x', f'{base}/search?q=', f'{base}/search?q=a&limit=x',
                '/api/notifications?unread=maybe'):
        response = client.get(url, headers=team.ann)
        assert response.status_code == 400, (url, response.json)


def test_cookie_writes_need_the_csrf_token(client, team):
    sign_in(client, 'ann@example.com')
    url = f'/api/workspaces/{team.ws_id}/documents'
    refused = client.post(url, json={'title': 't'})
    assert refused.status_code == 403 and 'CSRF' in refused.json['error']
    token = client.get('/api/auth/csrf').json['csrf_token']
    assert client.post(url, json={'title': 't'}, headers={'X-CSRF-Token': token}).status_code == 201
