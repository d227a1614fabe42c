"""One /ws socket per page, in a real browser against `python run.py`: the workspace
page and a channel page each open exactly one, the page's live parts (unread counts,
toasts, the channel's messages) all run over it, the channel subscription comes back
after a reconnection, and message times show in the viewer's timezone."""
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support import garden_club, sign_up, wait_until
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser
LIVE_MS = 2000


@pytest.fixture
def club(live_server, browser):
    """Ann and Bob in "Garden club" with #general; Bob signed in in a New York browser."""
    ann, bob, workspace_id = garden_club(live_server.url)
    channel = ann.call('POST', f'/api/workspaces/{workspace_id}/channels', {'name': 'general'})
    context = browser.new_context(timezone_id='America/New_York', locale='en-US')
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, 'bob@example.com')
    page.goto('about:blank')   # the start page's own socket is not counted
    sockets = []
    page.on('websocket', lambda socket: sockets.append(socket))
    yield {'base': live_server.url, 'ann': ann, 'workspace_id': workspace_id,
           'channel': channel, 'page': page, 'sockets': sockets}
    context.close()


def post(club, body):
    return club['ann'].call('POST', f"/api/channels/{club['channel']['id']}/messages",
                            {'body': body})


def open_channel(club):
    page = club['page']
    page.goto(f"{club['base']}/c/{club['channel']['id']}")
    page.wait_for_selector('#messages[data-live="1"]')
    return page


def frames_mentioning(socket, text):
    """Collect, from now on, the frames this socket receives that contain `text`."""
    seen = []
    socket.on('framereceived', lambda frame: text in str(frame) and seen.append(frame))
    return seen


def test_the_workspace_page_opens_one_socket_for_all_its_live_parts(club):
    page = club['page']
    page.goto(f"{club['base']}/w/{club['workspace_id']}")
    page.wait_for_selector('#channels[data-live="1"]')                 # channel.js
    page.wait_for_selector('#exports[data-live="1"]', state='attached')  # workspace_files.js
    page.wait_for_selector('#notifications[data-connected="1"]', state='attached')   # app.js
    page.wait_for_timeout(300)   # a second socket would have opened on load, with these
    assert [s.url for s in club['sockets']] == [club['base'].replace('http', 'ws') + '/ws']

    post(club, 'Seeds arrived')
    badge = page.locator(f"#channels [data-channel-id=\"{club['channel']['id']}\"] [data-unread]")
    expect(badge).to_have_attribute('data-count', '1', timeout=LIVE_MS)
    # Bob is not viewing #general: he is notified, live, as a toast.
    toast = page.locator('#notif-live li', has_text='Ann posted in #general')
    expect(toast).to_be_visible(timeout=LIVE_MS)
    expect(page.locator('#notif-count')).to_have_text('1')
    assert len(club['sockets']) == 1


def test_a_channel_page_opens_one_socket_and_shows_times_in_the_viewers_zone(club):
    earlier = post(club, 'before the page opened')
    page = open_channel(club)
    page.wait_for_timeout(300)
    assert len(club['sockets']) == 1

    later = post(club, 'while the page is open')
    line = page.locator(f"#message-{later['id']}")
    expect(line).to_be_visible(timeout=LIVE_MS)
    for message in (earlier, later):   # the one the server wrote and the one channel.js added
        time = page.locator(f"#message-{message['id']} time")
        expect(time).to_have_attribute('data-local', '1')
        stamp = time.get_attribute('datetime')
        assert stamp[:19] == message['created_at'][:19]   # to the second
        assert time.get_attribute('title') == stamp[:16].replace('T', ' ') + ' UTC'
        shown = time.inner_text().replace('\u202f', ' ')   # ICU may use a narrow space
        assert shown == new_york_time(stamp), (shown, stamp)
    assert len(club['sockets']) == 1


def test_a_member_viewing_the_channel_is_not_notified_of_its_messages(club):
    cara = sign_up(club['base'], 'cara@example.com', 'Cara')
    invite = club['ann'].call('POST', f"/api/workspaces/{club['workspace_id']}/invites",
                              {'email': 'cara@example.com'})
    cara.call('POST', f"/api/invites/{invite['token']}/accept")
    page = open_channel(club)
    message = post(club, 'Bob sees this one arrive')
    expect(page.locator(f"#message-{message['id']}")).to_be_visible(timeout=LIVE_MS)
    # Cara, elsewhere, is notified; Bob's notifications come from the same job.
    wait_until(lambda: about(cara.call('GET', '/api/notifications')['notifications'], message),
               timeout=15, interval=0.1, message="Cara's notification")
    mine = page.evaluate('''() => fetch('/api/notifications', {credentials: 'same-origin'})
                             .then(r => r.json()).then(d => d.notifications)''')
    assert about(mine, message) == []
    expect(page.locator('#notif-live li', has_text='posted')).to_have_count(0)   # no toast


def about(notifications, message):
    return [n for n in notifications if n['type'] == 'message.posted'
            and n['data']['message_id'] == message['id']]


def new_york_time(stamp):
    """What Intl shows an en-US viewer in New York for a message of today ('10:41 AM'),
    or of another day there ('Dec 1, 2026, 10:41 PM')."""
    moment = datetime.fromisoformat(stamp.replace('Z', '+00:00')).astimezone(
        ZoneInfo('America/New_York'))
    hour = moment.hour % 12 or 12
    clock = f"{hour}:{moment:%M} {'AM' if moment.hour < 12 else 'PM'}"
    if moment.date() == datetime.now(ZoneInfo('America/New_York')).date():
        return clock
    return f'{moment:%b} {moment.day}, {moment.year}, {clock}'


def test_the_channel_subscription_survives_a_reconnection(club):
    page = open_channel(club)
    first = club['sockets'][0]
    page.evaluate('collabSocket._ws.close()')
    expect(page.locator('#messages')).to_have_attribute('data-live', '0')
    if not first.is_closed():
        first.wait_for_event('close')
    # app.js reconnects (after a second), re-sends the subscription, and the server
    # confirms it: the list is live again, over a new socket.
    page.wait_for_selector('#messages[data-live="1"]', timeout=10_000)
    assert len(club['sockets']) == 2 and first.is_closed()
    second = club['sockets'][1]
    seen = frames_mentioning(second, 'after the reconnection')

    message = post(club, 'after the reconnection')
    expect(page.locator(f"#message-{message['id']}")).to_be_visible(timeout=LIVE_MS)
    assert seen, 'the message came over the new socket'
    assert page.locator('#messages li[data-message-id]').count() == 1
    assert len(club['sockets']) == 2


def test_the_page_scripts_work_when_app_js_runs_after_them(club):
    """app.js is first in the page; a page whose own script runs first works the same.
    (The two scripts trade contents: the page's /static/app.js serves channel.js.)"""
    page = club['page']
    sources = {name: urllib.request.urlopen(f"{club['base']}/static/{name}", timeout=10)
               .read().decode() for name in ('app.js', 'channel.js')}
    swap = {'app.js': 'channel.js', 'channel.js': 'app.js'}

    def swapped(route):
        name = swap[route.request.url.rsplit('/', 1)[-1].split('?')[0]]
        route.fulfill(body=f"(window.ran = window.ran || []).push('{name}');\n" + sources[name],
                      content_type='text/javascript')
    page.route('**/static/app.js', swapped)
    page.route('**/static/channel.js', swapped)
    page = open_channel(club)
    assert page.evaluate('window.ran') == ['channel.js', 'app.js']
    message = post(club, 'in either order')
    expect(page.locator(f"#message-{message['id']}")).to_be_visible(timeout=LIVE_MS)
    assert len(club['sockets']) == 1
