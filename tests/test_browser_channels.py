"""Live channels in a real browser against `python run.py` (SQLite, the embedded
default): two members chat both ways without reloading, unread counts follow on the
workspace page, edits and deletes show up live, a stranger cannot listen in, and
search finds messages and file names."""
import json
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.support import sign_up
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser
LIVE_MS = 1000   # the promise: within a second


@pytest.fixture
def club(live_server, browser):
    """Ann and Bob in "Garden club" with #general, each signed in in a browser context."""
    base = live_server.url
    ann, bob = sign_up(base, 'ann@example.com', 'Ann'), sign_up(base, 'bob@example.com', 'Bob')
    workspace = ann.call('POST', '/api/workspaces', {'name': 'Garden club'})
    token = ann.call('POST', f"/api/workspaces/{workspace['id']}/invites",
                     {'email': 'bob@example.com'})['token']
    bob.call('POST', f'/api/invites/{token}/accept')
    channel = ann.call('POST', f"/api/workspaces/{workspace['id']}/channels", {'name': 'general'})
    contexts = {}
    pages = {}
    for name, email in (('ann', 'ann@example.com'), ('bob', 'bob@example.com')):
        contexts[name] = browser.new_context()
        pages[name] = contexts[name].new_page()
        pages[name].set_default_timeout(10_000)
        sign_in(pages[name], base, email)
    yield {'base': base, 'ann': ann, 'bob': bob, 'workspace': workspace, 'channel': channel,
           'pages': pages, 'contexts': contexts}
    for context in contexts.values():
        context.close()


def open_channel(page, club):
    page.goto(f"{club['base']}/c/{club['channel']['id']}")
    page.wait_for_selector('#messages[data-live="1"]')
    page.evaluate('window.loadedOnce = true')   # gone if the page reloads


def send(page, text):
    page.fill('#message-form input[name=body]', text)
    page.click('#message-form button[type=submit]')


def test_two_members_chat_live_both_ways(club):
    ann, bob = club['pages']['ann'], club['pages']['bob']
    open_channel(ann, club)
    open_channel(bob, club)

    send(ann, 'Seeds arrived <b>today</b>')
    line = bob.locator('#messages li', has_text='Seeds arrived <b>today</b>')
    expect(line).to_be_visible(timeout=LIVE_MS)
    expect(line.locator('[data-author]')).to_have_text('Ann')
    expect(bob.locator('#messages b')).to_have_count(0)   # text, never markup
    expect(ann.locator('#message-form input[name=body]')).to_have_value('')

    send(bob, 'Great, I will sow them')
    expect(ann.locator('#messages li', has_text='Great, I will sow them')).to_be_visible(
        timeout=LIVE_MS)
    expect(ann.locator('#messages li[data-message-id]')).to_have_count(2)   # no duplicates
    assert ann.evaluate('window.loadedOnce') is True and bob.evaluate('window.loadedOnce') is True


def test_unread_counts_rise_live_and_clear_when_the_channel_is_opened(club):
    ann, bob = club['pages']['ann'], club['pages']['bob']
    workspace_url = f"{club['base']}/w/{club['workspace']['id']}"
    bob.goto(workspace_url)
    bob.wait_for_selector('#channels[data-live="1"]')
    badge = bob.locator(f"#channels [data-channel-id=\"{club['channel']['id']}\"] [data-unread]")
    expect(badge).to_have_attribute('data-count', '0')
    expect(badge).to_be_hidden()

    open_channel(ann, club)
    send(ann, 'first')
    expect(badge).to_have_attribute('data-count', '1', timeout=LIVE_MS)
    expect(badge).to_have_text('1')
    expect(badge).to_be_visible()
    send(ann, 'second')
    expect(badge).to_have_attribute('data-count', '2', timeout=LIVE_MS)

    # Bob opens the channel in another tab: this tab's count clears, live too.
    reader = club['contexts']['bob'].new_page()
    reader.goto(f"{club['base']}/c/{club['channel']['id']}")
    expect(reader.locator('#messages li', has_text='second')).to_be_visible()
    expect(badge).to_have_attribute('data-count', '0', timeout=LIVE_MS)
    # While the channel is open, what arrives is read as it arrives.
    reader.wait_for_selector('#messages[data-live="1"]')
    with reader.expect_response(f"**/api/channels/{club['channel']['id']}/read") as marked:
        send(ann, 'third')
        expect(reader.locator('#messages li', has_text='third')).to_be_visible(timeout=LIVE_MS)
    assert marked.value.ok
    reader.close()
    bob.goto(workspace_url)
    expect(badge).to_have_attribute('data-count', '0')


def test_edits_and_deletes_appear_live(club):
    ann, bob = club['pages']['ann'], club['pages']['bob']
    open_channel(ann, club)
    open_channel(bob, club)
    send(ann, 'Water on Monday')
    mine = ann.locator('#messages li', has_text='Water on Monday')
    expect(mine).to_be_visible()
    expect(bob.locator('#messages li', has_text='Water on Monday')
           .locator('[data-edit]')).to_have_count(0)   # only the author edits

    mine.locator('[data-edit]').click()
    ann.fill('[data-edit-input]', 'Water on Tuesday')
    ann.click('#messages button:has-text("Save")')
    theirs = bob.locator('#messages li', has_text='Water on Tuesday')
    expect(theirs).to_be_visible(timeout=LIVE_MS)
    expect(theirs.locator('[data-edited]')).to_be_visible()
    expect(bob.locator('#messages li', has_text='Water on Monday')).to_have_count(0)

    ann.once('dialog', lambda dialog: dialog.accept())
    ann.locator('#messages li', has_text='Water on Tuesday').locator('[data-delete]').click()
    expect(bob.locator('#messages li[data-message-id]')).to_have_count(0, timeout=LIVE_MS)
    expect(ann.locator('#messages li[data-message-id]')).to_have_count(0)
    bob.reload()
    expect(bob.locator('#messages li[data-message-id]')).to_have_count(0)


def test_a_stranger_cannot_open_or_subscribe_to_the_channel(club, browser):
    sign_up(club['base'], 'eve@example.com', 'Eve')
    context = browser.new_context()
    try:
        eve = context.new_page()
        eve.set_default_timeout(10_000)
        sign_in(eve, club['base'], 'eve@example.com')
        response = eve.goto(f"{club['base']}/c/{club['channel']['id']}")
        assert response.status == 403
        answer = eve.evaluate('''channelId => new Promise(resolve => {
            const socket = new WebSocket('ws://' + location.host + '/ws');
            socket.onmessage = m => {
              const event = JSON.parse(m.data);
              if (event.type === 'hello') { socket.send(JSON.stringify({type: 'subscribe', channel: channelId})); }
              else if (event.type === 'error' || event.type === 'subscribed') { socket.close(); resolve(event); }
            };
        })''', club['channel']['id'])
        assert answer['type'] == 'error' and answer['status'] == 403
    finally:
        context.close()


def upload(base, account, workspace_id, name, data):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + \
        f'\r\n--{boundary}--\r\n'.encode()
    request = urllib.request.Request(
        f'{base}/api/workspaces/{workspace_id}/files', data=body, method='POST',
        headers={'Content-Type': f'multipart/form-data; boundary={boundary}',
                 'Authorization': f'Bearer {account.token}'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_search_finds_a_message_and_a_file_name(club):
    bob = club['pages']['bob']
    message = club['ann'].call('POST', f"/api/channels/{club['channel']['id']}/messages",
                               {'body': 'The marigold seeds are in the shed'})
    upload(club['base'], club['ann'], club['workspace']['id'], 'marigold-beds.pdf', b'%PDF')
    bob.goto(f"{club['base']}/w/{club['workspace']['id']}/search?q=marigold")
    message_hit = bob.locator('.results li[data-kind="message"]')
    file_hit = bob.locator('.results li[data-kind="file"]')
    expect(message_hit.locator('[data-hit-kind]')).to_have_text('Message')
    expect(message_hit.locator('mark')).to_have_text('marigold')
    expect(file_hit.locator('a')).to_have_text('marigold-beds.pdf')
    expect(file_hit.locator('[data-hit-kind]')).to_have_text('File')
    message_hit.locator('a').click()
    bob.wait_for_url(f"**/c/{club['channel']['id']}#message-{message['id']}")
    expect(bob.locator(f"#message-{message['id']}")).to_contain_text('marigold seeds')
