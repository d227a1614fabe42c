"""Every user and admin page at a desktop (1280 px) and a phone (390 px) width, in
the light and the dark color scheme: none scrolls sideways, none logs a console error
or fails to load a resource, and each is saved as a PNG for people to look at
(in $SCREENSHOT_DIR, by default .ci/screenshots/)."""
import os
import re
from pathlib import Path

import pytest

from tests.support import ADMIN, PASSWORD, ROOT, garden_club
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

WIDTHS = {'desktop': 1280, 'phone': 390}
SCHEMES = ('light', 'dark')
# Pages an anonymous visitor sees, then a member's, then the admin's; {names} are filled
# in from the world the test builds.
ANONYMOUS = [('login', '/login'), ('register', '/register'),
             ('forgot-password', '/forgot-password')]
MEMBER = [('index', '/'), ('workspace', '/w/{ws}'),
          ('members', '/w/{ws}/members'), ('channel', '/c/{channel}'),
          ('document', '/d/{doc}'), ('document-diff', '/d/{doc}?diff=2'),
          ('document-version', '/d/{doc}/v/1'),
          ('search', '/w/{ws}/search?q=tomatoes'),
          ('notifications', '/notifications'),
          ('settings', '/settings'), ('account', '/account'),
          ('password', '/account/password'), ('invite', '/invites/{invite}')]
ADMIN_PAGES = [('admin-index', '/'), ('admin-jobs', '/admin/jobs'),
               ('admin-job', '/admin/jobs/{job}'),
               ('admin-task', '/admin/tasks/{task}'),
               ('admin-schedule', '/admin/schedule'),
               ('admin-system', '/admin/system'),
               ('admin-users', '/admin/users')]


# Text with no place to break: it must wrap, not widen the page.
LONG_WORD = 'https://seeds.example/' + 'x' * 80


def screenshot_dir():
    folder = Path(os.environ.get('SCREENSHOT_DIR') or ROOT / '.ci' / 'screenshots')
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def world(live_server):
    """Ann's workspace with a document (two versions), a channel with a message, a
    file, Bob as a member and an invite for Carol; the ids the pages need."""
    ann, bob, ws_id = garden_club(live_server.url)
    doc = ann.call('POST', f'/api/workspaces/{ws_id}/documents',
                   {'title': 'Planting plan', 'content': '# Beds\n\nPlant tomatoes in May.'})
    ann.call('PUT', f"/api/documents/{doc['id']}",
             {'content': '# Beds\n\nPlant tomatoes and basil in May.'})
    bob.call('PUT', f"/api/documents/{doc['id']}",
             {'content': '# Beds\n\nPlant tomatoes, basil and ' + LONG_WORD + ' in May.'})
    channel = ann.call('POST', f'/api/workspaces/{ws_id}/channels', {'name': 'general'})
    ann.call('POST', f"/api/channels/{channel['id']}/messages", {'body': 'Seeds arrive Monday'})
    bob.call('POST', f"/api/channels/{channel['id']}/messages", {'body': 'Great, thanks!'})
    bob.call('POST', f"/api/channels/{channel['id']}/messages", {'body': 'See ' + LONG_WORD})
    invite = ann.call('POST', f'/api/workspaces/{ws_id}/invites', {'email': 'carol@example.com'})
    return {'ws': ws_id, 'doc': doc['id'], 'channel': channel['id'], 'invite': invite['token'],
            'ann': ann}


def admin_ids(page, base):
    """A job and its task, for the admin's job and task pages."""
    jobs = page.request.get(base + '/admin/api/jobs?limit=1').json()['jobs']
    return {'job': jobs[0]['id'], 'task': jobs[0]['task']}


class Visit:
    """One browser context at a width and scheme, recording what goes wrong on its pages."""

    def __init__(self, browser, base, width, scheme):
        self.base, self.width, self.scheme = base, width, scheme
        self.context = browser.new_context(viewport={'width': WIDTHS[width], 'height': 900},
                                           color_scheme=scheme)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.problems = []
        self.page.on('console', lambda m: m.type == 'error' and self.problems.append(
            f'{self.page.url}: console: {m.text}'))
        self.page.on('response', lambda r: r.status >= 400 and self.problems.append(
            f'{self.page.url}: {r.status} {r.url}'))

    def check(self, name, path, values):
        answer = self.page.goto(self.base + path.format(**values))
        assert answer.status == 200, (name, answer.status)
        self.page.wait_for_load_state('networkidle')
        width = self.page.evaluate('[document.documentElement.scrollWidth, innerWidth]')
        self.page.screenshot(path=str(screenshot_dir() / f'{name}-{self.width}-{self.scheme}.png'),
                             full_page=True)
        assert width[0] <= width[1], f'{name} scrolls sideways at {self.width}: {width}'
        if self.scheme == 'dark':
            background = self.page.evaluate('getComputedStyle(document.body).backgroundColor')
            assert _dark(background), f'{name} is not dark in the dark scheme: {background}'


def _dark(css_color):
    red, green, blue = (int(n) for n in re.findall(r'\d+', css_color)[:3])
    return red + green + blue < 3 * 100


@pytest.mark.slow
@pytest.mark.parametrize('scheme', SCHEMES)
@pytest.mark.parametrize('width', WIDTHS)
def test_every_page_fits_the_screen_without_errors(live_server, browser, world, width, scheme):
    base = live_server.url
    member = Visit(browser, base, width, scheme)
    try:
        for name, path in ANONYMOUS:
            member.check(name, path, world)
        sign_in(member.page, base, 'bob@example.com', PASSWORD)
        for name, path in MEMBER:
            member.check(name, path, world)
        assert member.problems == []
    finally:
        member.context.close()
    admin = Visit(browser, base, width, scheme)
    try:
        sign_in(admin.page, base, ADMIN['email'], ADMIN['password'])
        values = admin_ids(admin.page, base)
        for name, path in ADMIN_PAGES:
            admin.check(name, path, values)
        assert admin.problems == []
    finally:
        admin.context.close()


def test_the_upload_button_is_on_screen_on_a_phone(live_server, browser, world):
    visit = Visit(browser, live_server.url, 'phone', 'light')
    try:
        sign_in(visit.page, live_server.url, 'ann@example.com', PASSWORD)
        visit.page.goto(f"{live_server.url}/w/{world['ws']}")
        box = visit.page.query_selector('button:text-is("Upload")').bounding_box()
        assert box['x'] >= 0 and box['x'] + box['width'] <= WIDTHS['phone'], box
    finally:
        visit.context.close()
