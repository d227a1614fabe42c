"""Live channels across processes: two `python run.py web` processes on one Redis
and DATA_DIR; a message posted through one reaches the sockets viewing its channel
on the other, and only those."""
import time

import pytest

from tests.support import Listener, LiveServer, garden_club, sign_up

pytestmark = pytest.mark.slow


@pytest.fixture
def two_webs(tmp_path, redis_url):
    data_dir = tmp_path / 'shared-data'
    first = LiveServer(data_dir, env={'REDIS_URL': redis_url}, command=('web',)).start()
    second = LiveServer(data_dir, env={'REDIS_URL': redis_url}, command=('web',))
    try:
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()


def test_a_post_on_one_web_process_reaches_subscribers_on_another(two_webs):
    first, second = two_webs
    ann, bob, workspace_id = garden_club(first.url)
    eve = sign_up(first.url, 'eve@example.com', 'Eve')
    channel = ann.call('POST', f'/api/workspaces/{workspace_id}/channels', {'name': 'general'})
    viewing = Listener(second.url, bob.token)
    viewing.send({'type': 'subscribe', 'channel': channel['id']})
    viewing.wait_for(lambda m: m['type'] == 'subscribed', 'the subscription')
    workspace_page = Listener(first.url, bob.token)
    stranger = Listener(second.url, eve.token)
    stranger.send({'type': 'subscribe', 'channel': channel['id']})
    assert stranger.wait_for(lambda m: m['type'] == 'error', 'the refusal')['status'] == 403

    started = time.monotonic()
    message = ann.call('POST', f"/api/channels/{channel['id']}/messages", {'body': 'Seeds!'})
    live = viewing.wait_for(lambda m: m['type'] == 'message', 'the post', timeout=1)
    assert time.monotonic() - started < 1
    assert live['action'] == 'posted' and live['message']['id'] == message['id']
    workspace_page.wait_for(lambda m: m['type'] == 'channel.activity', 'the unread nudge')

    ann.call('PATCH', f"/api/messages/{message['id']}", {'body': 'Seeds arrived!'})
    edited = viewing.wait_for(lambda m: m['type'] == 'message' and m['action'] == 'edited',
                              'the edit')
    assert edited['message']['body'] == 'Seeds arrived!'
    ann.call('DELETE', f"/api/messages/{message['id']}")
    viewing.wait_for(lambda m: m['type'] == 'message' and m['action'] == 'deleted', 'the delete')
    assert not [m for m in workspace_page.messages + stranger.messages if m['type'] == 'message']
    assert [m['message']['id'] for m in viewing.messages
            if m['type'] == 'message' and m['action'] == 'posted'] == [message['id']]
    for listener in (viewing, workspace_page, stranger):
        listener.close()
