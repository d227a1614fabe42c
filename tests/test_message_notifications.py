"""A channel message notifies the workspace's other members (`message.posted`): one
line per message, repeats in one channel grouped into one entry, a muted kind stored
for no one, and no notification for a member whose page has the channel open."""
from tests.support import (PASSWORD, Listener, bearer_token, page_csrf_token, sign_up,
                           wait_for_jobs_idle)


def join(client, team, email, name):
    """A third member of Ann's workspace: their request headers."""
    headers = sign_up(client, email, name).headers
    token = client.post(f'/api/workspaces/{team.ws_id}/invites', json={'email': email},
                        headers=team.ann).json['token']
    assert client.post(f'/api/invites/{token}/accept', headers=headers).status_code == 200
    return headers


def post(client, headers, channel_id, body):
    answer = client.post(f'/api/channels/{channel_id}/messages', json={'body': body},
                         headers=headers)
    assert answer.status_code == 201, answer.json
    return answer.json


def posted(client, headers):
    """The `message.posted` entries of this user's notifications, newest first."""
    listed = client.get('/api/notifications', headers=headers).json['notifications']
    return [n for n in listed if n['type'] == 'message.posted']


def test_a_message_notifies_the_other_members_with_a_link_to_it(client, team, consumer):
    cara = join(client, team, 'cara@example.com', 'Cara')
    channel = team.channel('general')
    message = post(client, team.ann, channel['id'], 'Seeds   arrived,\nplanting on Monday')
    wait_for_jobs_idle()
    for member in (team.bob, cara):
        [entry] = posted(client, member)
        assert entry['title'] == 'Ann posted in #general'
        assert entry['body'] == 'Seeds arrived, planting on Monday'
        assert entry['link'] == f"/c/{channel['id']}#message-{message['id']}"
        assert entry['data']['workspace_id'] == team.ws_id and entry['count'] == 1
        assert client.get(entry['link'].split('#')[0], headers=member).status_code == 200
    assert posted(client, team.ann) == []   # not the one who wrote it
    assert posted(client, team.eve) == []   # nor someone outside the workspace


def test_a_long_message_is_quoted_in_part(client, team, consumer):
    channel = team.channel('general')
    post(client, team.ann, channel['id'], 'word ' * 1000)
    wait_for_jobs_idle()
    [entry] = posted(client, team.bob)
    assert len(entry['body']) == 200 and entry['body'].endswith('…')


def test_eight_messages_in_one_channel_are_one_entry(client, team, consumer):
    general, seeds = team.channel('general'), team.channel('seeds')
    for n in range(8):
        last = post(client, team.ann, general['id'], f'note {n}')
    post(client, team.ann, seeds['id'], 'tomatoes')
    wait_for_jobs_idle()
    entries = {n['data']['channel']: n for n in posted(client, team.bob)}
    assert entries['general']['count'] == 8
    assert entries['general']['title'] == 'Ann posted 8 messages in #general'
    assert entries['general']['link'] == f"/c/{general['id']}#message-{last['id']}"
    assert entries['seeds']['count'] == 1
    assert entries['seeds']['title'] == 'Ann posted in #seeds'
    page = client.get('/notifications', headers=team.bob).get_data(as_text=True)
    assert page.count('Ann posted 8 messages in #general') == 1


def test_a_member_who_muted_messages_gets_none(client, team, consumer):
    cara = join(client, team, 'cara@example.com', 'Cara')
    muted = client.put('/api/notifications/settings', headers=team.bob,
                       json={'kinds': {'message.posted': False}})
    assert muted.status_code == 200 and muted.json['kinds']['message.posted'] is False
    channel = team.channel('general')
    post(client, team.ann, channel['id'], 'hello')
    wait_for_jobs_idle()
    assert posted(client, team.bob) == []
    assert len(posted(client, cara)) == 1   # the others still hear of it


def test_a_member_viewing_the_channel_is_not_notified(queue_backend, server, client, team,
                                                      consumer):
    # With Redis too: the web process that takes the post knows its own sockets.
    cara = join(client, team, 'cara@example.com', 'Cara')
    channel = team.channel('general')
    bob = Listener(server.url, bearer_token(team.bob))
    try:
        bob.send({'type': 'subscribe', 'channel': channel['id']})
        bob.wait_for(lambda m: m['type'] == 'subscribed', 'the subscription')
        post(client, team.ann, channel['id'], 'while Bob reads')
        wait_for_jobs_idle()
        assert posted(client, team.bob) == []     # the message reached his page instead
        assert len(posted(client, cara)) == 1
        # Once his page shows something else, he is notified again.
        bob.send({'type': 'subscribe', 'channel': None})
        bob.wait_for(lambda m: m['type'] == 'subscribed' and m['channel'] is None,
                     'the unsubscription')
        post(client, team.ann, channel['id'], 'after Bob left')
        wait_for_jobs_idle()
        assert [n['body'] for n in posted(client, team.bob)] == ['after Bob left']
    finally:
        bob.close()


def test_a_member_viewing_another_channel_is_notified(server, client, team, consumer):
    general, seeds = team.channel('general'), team.channel('seeds')
    bob = Listener(server.url, bearer_token(team.bob))
    try:
        bob.send({'type': 'subscribe', 'channel': seeds['id']})
        bob.wait_for(lambda m: m['type'] == 'subscribed', 'the subscription')
        post(client, team.ann, general['id'], 'in general')
        wait_for_jobs_idle()
        [entry] = posted(client, team.bob)
        assert entry['title'] == 'Ann posted in #general'
        bob.wait_for(lambda m: m['type'] == 'notification'
                     and m['data']['type'] == 'message.posted', 'the live notification')
    finally:
        bob.close()


def test_a_message_from_the_page_form_notifies_too(client, team, consumer):
    channel = team.channel('general')
    sign_in = client.post('/api/auth/login', json={'email': 'ann@example.com',
                                                   'password': PASSWORD})
    assert sign_in.status_code == 200
    sent = client.post(f"/c/{channel['id']}", data={'csrf_token': page_csrf_token(client),
                                                    'body': 'from the form'})
    assert sent.status_code in (302, 303)
    wait_for_jobs_idle()
    assert [n['title'] for n in posted(client, team.bob)] == ['Ann posted in #general']
