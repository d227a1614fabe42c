"""Live channels over the JSON API and /ws: subscriptions for members only, message
posts, edits and deletes pushed to the sockets viewing the channel, unread counts
and read markers, and search over messages and file names."""
import io
import time

from tests.support import Listener, bearer_token, wait_until


def messages_of(listener, channel_id, action):
    return [m for m in listener.messages if m['type'] == 'message'
            and m['channel_id'] == channel_id and m['action'] == action]


def subscribed(server, headers, channel_id, frame=None):
    listener = Listener(server.url, bearer_token(headers))
    listener.send(frame or {'type': 'subscribe', 'channel': channel_id})
    listener.wait_for(lambda m: m['type'] == 'subscribed' and m['channel'] == channel_id,
                      'the subscription')
    return listener


def post(client, headers, channel_id, body):
    response = client.post(f'/api/channels/{channel_id}/messages', json={'body': body},
                           headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_a_post_reaches_a_subscribed_member_within_a_second(server, team, client):
    channel = team.channel()
    bob = subscribed(server, team.bob, channel['id'])
    started = time.monotonic()
    message = post(client, team.ann, channel['id'], 'Seeds arrived')
    frame = bob.wait_for(lambda m: messages_of(bob, channel['id'], 'posted'), 'the post',
                         timeout=1)
    assert time.monotonic() - started < 1
    live = messages_of(bob, channel['id'], 'posted')[0]
    assert live['message']['id'] == message['id'] and live['message']['body'] == 'Seeds arrived'
    assert live['message']['user_name'] == 'Ann' and live['workspace_id'] == team.ws_id
    assert frame
    bob.close()


def test_the_brief_subscribe_frame_works_too(server, team, client):
    channel = team.channel()
    bob = subscribed(server, team.bob, channel['id'], {'subscribe': {'channel': channel['id']}})
    post(client, team.ann, channel['id'], 'hello')
    bob.wait_for(lambda m: messages_of(bob, channel['id'], 'posted'), 'the post')
    bob.close()


def test_edits_and_deletes_reach_subscribers(server, team, client):
    channel = team.channel()
    bob = subscribed(server, team.bob, channel['id'])
    message = post(client, team.ann, channel['id'], 'Water on Monday')
    edited = client.patch(f"/api/messages/{message['id']}", json={'body': 'Water on Tuesday'},
                          headers=team.ann)
    assert edited.status_code == 200 and edited.json['body'] == 'Water on Tuesday'
    assert edited.json['edited_at'] is not None
    bob.wait_for(lambda m: messages_of(bob, channel['id'], 'edited'), 'the edit')
    live = messages_of(bob, channel['id'], 'edited')[0]['message']
    assert live['body'] == 'Water on Tuesday' and live['edited_at'] == edited.json['edited_at']
    assert client.delete(f"/api/messages/{message['id']}", headers=team.ann).status_code == 200
    bob.wait_for(lambda m: messages_of(bob, channel['id'], 'deleted'), 'the delete')
    assert messages_of(bob, channel['id'], 'deleted')[0]['message']['id'] == message['id']
    bob.close()


def test_a_non_member_cannot_subscribe_and_hears_nothing(server, team, client):
    channel = team.channel()
    eve = Listener(server.url, bearer_token(team.eve))
    eve.send({'type': 'subscribe', 'channel': channel['id']})
    refused = eve.wait_for(lambda m: m['type'] == 'error' and m.get('channel') == channel['id'],
                           'the refusal')
    assert refused['status'] == 403
    eve.send({'type': 'subscribe', 'channel': 10**12})
    assert eve.wait_for(lambda m: m.get('channel') == 10**12, 'the 404')['status'] == 404
    for bad in ({'type': 'subscribe', 'channel': 'general'}, {'type': 'subscribe'},
                {'subscribe': 5}):
        eve.messages.clear()
        eve.send(bad)
        assert eve.wait_for(lambda m: m.get('status') == 400, 'the 400')['type'] == 'error'
    bob = subscribed(server, team.bob, channel['id'])
    post(client, team.ann, channel['id'], 'members only')
    bob.wait_for(lambda m: messages_of(bob, channel['id'], 'posted'), 'the post')
    time.sleep(0.2)   # Eve's frame, were it sent, would have come with Bob's
    assert not [m for m in eve.messages if m['type'] in ('message', 'channel.activity')]
    assert not [m for m in eve.messages if m['type'] == 'subscribed']
    eve.close()
    bob.close()


def test_only_sockets_viewing_the_channel_get_its_messages(server, team, client):
    general, random = team.channel('general'), team.channel('random')
    viewing = subscribed(server, team.bob, general['id'])
    elsewhere = subscribed(server, team.bob, random['id'])
    workspace_page = Listener(server.url, bearer_token(team.bob))
    post(client, team.ann, general['id'], 'in general')
    viewing.wait_for(lambda m: messages_of(viewing, general['id'], 'posted'), 'the post')
    activity = workspace_page.wait_for(lambda m: m['type'] == 'channel.activity', 'the nudge')
    assert activity['channel_id'] == general['id'] and activity['workspace_id'] == team.ws_id
    assert not [m for m in elsewhere.messages + workspace_page.messages if m['type'] == 'message']
    # Subscribing anew moves a socket to the other channel.
    elsewhere.send({'type': 'subscribe', 'channel': general['id']})
    elsewhere.wait_for(lambda m: m['type'] == 'subscribed' and m['channel'] == general['id'],
                       'the move')
    viewing.send({'type': 'subscribe', 'channel': None})   # the page left the channel
    viewing.wait_for(lambda m: m['type'] == 'subscribed' and m['channel'] is None, 'the leave')
    viewing.messages.clear()
    post(client, team.ann, general['id'], 'second')
    elsewhere.wait_for(lambda m: messages_of(elsewhere, general['id'], 'posted'), 'the post')
    viewing.wait_for(lambda m: m['type'] == 'channel.activity', 'the nudge, as on any page')
    assert not viewing.of_type('message')
    for listener in (viewing, elsewhere, workspace_page):
        listener.close()


def test_unread_counts_rise_with_others_posts_and_clear_when_read(client, team, db_backend):
    general = team.channel('general')
    team.channel('random')   # a channel with nothing in it: 0 unread
    first = post(client, team.ann, general['id'], 'one')
    post(client, team.ann, general['id'], 'two')
    post(client, team.bob, general['id'], 'my own')

    def unread(headers):
        rows = client.get(f'/api/workspaces/{team.ws_id}/channels', headers=headers).json
        return {c['name']: c['unread'] for c in rows['channels']}

    assert unread(team.bob) == {'general': 2, 'random': 0}
    assert unread(team.ann) == {'general': 1, 'random': 0}
    partly = client.post(f"/api/channels/{general['id']}/read",
                         json={'message_id': first['id']}, headers=team.bob)
    assert partly.status_code == 200 and partly.json['unread'] == 1
    assert unread(team.bob)['general'] == 1
    read = client.post(f"/api/channels/{general['id']}/read", headers=team.bob)
    assert read.json['unread'] == 0 and unread(team.bob)['general'] == 0
    # A marker never moves back (a late call from another tab).
    late = client.post(f"/api/channels/{general['id']}/read",
                       json={'message_id': first['id']}, headers=team.bob)
    assert late.json['last_read_id'] == read.json['last_read_id'] and late.json['unread'] == 0
    post(client, team.ann, general['id'], 'three')
    assert unread(team.bob)['general'] == 1


def test_read_markers_are_for_members_and_check_their_input(client, team):
    channel = team.channel()
    url = f"/api/channels/{channel['id']}/read"
    assert client.post(url, headers=team.eve).status_code == 403
    assert client.post('/api/channels/999999/read', headers=team.bob).status_code == 404
    for bad in ('7', -1, 1.5, True):
        answer = client.post(url, json={'message_id': bad}, headers=team.bob)
        assert answer.status_code == 400 and answer.json['field'] == 'message_id', bad
    assert client.get(f'/api/workspaces/{team.ws_id}/channels', headers=team.eve).status_code == 403


def test_a_reader_hears_of_their_own_read_on_their_other_pages(server, team, client):
    channel = team.channel()
    other_tab = Listener(server.url, bearer_token(team.bob))
    client.post(f"/api/channels/{channel['id']}/read", headers=team.bob)
    read = other_tab.wait_for(lambda m: m['type'] == 'channel.read', 'the read')
    assert read['channel_id'] == channel['id'] and read['unread'] == 0
    other_tab.close()


def test_only_the_author_edits_a_message(client, team):
    channel = team.channel()
    message = post(client, team.ann, channel['id'], 'mine')
    url = f"/api/messages/{message['id']}"
    assert client.patch(url, json={'body': 'x'}, headers=team.bob).status_code == 403
    assert client.patch(url, json={'body': 'x'}, headers=team.eve).status_code == 403
    assert client.patch('/api/messages/999999', json={'body': 'x'},
                        headers=team.ann).status_code == 404
    assert client.patch(url, json={'body': '   '}, headers=team.ann).status_code == 400
    assert client.patch(url, json={'body': 'x' * 10_001}, headers=team.ann).status_code == 413
    assert client.patch(url, json={}, headers=team.ann).status_code == 400
    listed = client.get(f"/api/channels/{channel['id']}/messages", headers=team.bob).json
    assert listed['messages'][0]['body'] == 'mine' and listed['messages'][0]['edited_at'] is None


def test_search_finds_messages_and_file_names_with_their_kind_and_link(client, team, consumer):
    channel = team.channel()
    message = post(client, team.bob, channel['id'], 'The marigold seeds are in the shed')
    upload = client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                         data={'file': (io.BytesIO(b'plan'), 'marigold-beds.pdf')}).json
    doc = team.document('Marigolds', 'Where the marigold beds go')
    wait_until(lambda: client.get(f'/api/workspaces/{team.ws_id}/search?q=marigold&kind=document',
                                  headers=team.ann).json['results'], message='the document indexed')
    hits = client.get(f'/api/workspaces/{team.ws_id}/search?q=marigold', headers=team.bob).json
    by_kind = {hit['kind']: hit for hit in hits['results']}
    assert set(by_kind) == {'document', 'message', 'file'}
    assert by_kind['document']['id'] == doc['id'] and by_kind['document']['url'] == f"/d/{doc['id']}"
    assert by_kind['message']['id'] == message['id']
    assert by_kind['message']['url'] == f"/c/{channel['id']}#message-{message['id']}"
    assert '<mark>marigold</mark>' in by_kind['message']['snippet']
    assert by_kind['file']['title'] == 'marigold-beds.pdf'
    assert by_kind['file']['url'] == f"/api/files/{upload['id']}"
    only_files = client.get(f'/api/workspaces/{team.ws_id}/search?q=marigold&kind=file',
                            headers=team.bob).json['results']
    assert [hit['kind'] for hit in only_files] == ['file']
    assert client.get(f'/api/workspaces/{team.ws_id}/search?q=x&kind=user',
                      headers=team.bob).status_code == 400


def test_search_shows_members_only_their_workspaces_hits(client, team, db_backend):
    channel = team.channel()
    post(client, team.ann, channel['id'], 'secret <b>tulip</b> plans')
    other = client.post('/api/workspaces', json={'name': "Eve's"}, headers=team.eve).json
    eves = client.post(f"/api/workspaces/{other['id']}/channels", json={'name': 'mine'},
                       headers=team.eve).json
    post(client, team.eve, eves['id'], 'my tulip too')
    client.post(f"/api/workspaces/{other['id']}/files", headers=team.eve,
                data={'file': (io.BytesIO(b'x'), 'tulip.txt')})
    assert client.get(f'/api/workspaces/{team.ws_id}/search?q=tulip',
                      headers=team.eve).status_code == 403
    hits = client.get(f'/api/workspaces/{team.ws_id}/search?q=tulip', headers=team.bob).json
    assert [hit['kind'] for hit in hits['results']] == ['message']
    assert '&lt;b&gt;<mark>tulip</mark>&lt;/b&gt;' in hits['results'][0]['snippet']
    eve_hits = client.get(f"/api/workspaces/{other['id']}/search?q=tulip", headers=team.eve).json
    assert sorted(hit['kind'] for hit in eve_hits['results']) == ['file', 'message']
    assert all('secret' not in hit['snippet'] for hit in eve_hits['results'])
