"""The pages in a real browser: live toasts that fade or are dismissed, the admin's
way to the dashboard, times in the viewer's timezone, and the favicon."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support import ADMIN, garden_club
from tests.support.browser import signed_in

pytestmark = pytest.mark.browser


def test_a_live_toast_can_be_dismissed_and_fades_by_itself(live_server, browser):
    ann, _bob, ws_id = garden_club(live_server.url)
    doc = ann.call('POST', f'/api/workspaces/{ws_id}/documents', {'title': 'Plan', 'content': 'a'})
    context, page = signed_in(browser, live_server.url, 'bob@example.com')
    try:
        page.goto(f'{live_server.url}/w/{ws_id}')
        page.wait_for_selector('#notifications[data-connected="1"]')

        ann.call('PUT', f"/api/documents/{doc['id']}", {'content': 'b'})
        toast = page.wait_for_selector('.live-notification')
        assert toast.inner_text() == 'Ann edited “Plan”'
        assert toast.query_selector('a').get_attribute('href') == f"/d/{doc['id']}"
        toast.query_selector('button[aria-label=Dismiss]').click()
        toast.wait_for_element_state('hidden', timeout=2_000)

        ann.call('PUT', f"/api/documents/{doc['id']}", {'content': 'c'})
        toast = page.wait_for_selector('.live-notification')
        # Fixed in a corner, clear of the header's controls.
        box, header = toast.bounding_box(), page.query_selector('header').bounding_box()
        assert box['y'] > header['y'] + header['height']
        page.mouse.move(0, 0)
        toast.wait_for_element_state('hidden', timeout=10_000)   # after about 6 s
        assert page.query_selector_all('.live-notification') == []
    finally:
        context.close()


def test_only_admins_get_an_admin_link_and_their_home_page_leads_to_the_dashboard(
        live_server, browser):
    garden_club(live_server.url)
    context, page = signed_in(browser, live_server.url, 'ann@example.com')
    try:
        assert page.query_selector('header a:text-is("Admin")') is None
        assert 'admin' not in page.inner_text('main').lower()
    finally:
        context.close()
    context, page = signed_in(browser, live_server.url, ADMIN['email'], ADMIN['password'])
    try:
        link = page.query_selector('header a:text-is("Admin")')
        assert link.get_attribute('href') == '/admin/jobs'
        assert '/admin/api/' not in page.content()   # no raw JSON for people
        page.click('main a:has-text("admin dashboard")')
        page.wait_for_url('**/admin/jobs')
        assert page.query_selector('nav.admin-nav') is not None
    finally:
        context.close()


def expected_new_york(stamp):
    """'Dec 1, 2026, 10:41' — the start of what Intl shows an en-US viewer in New York."""
    moment = datetime.fromisoformat(stamp.replace('Z', '+00:00')).astimezone(
        ZoneInfo('America/New_York'))
    hour = moment.hour % 12 or 12
    return (f'{moment:%b} {moment.day}, {moment.year}, {hour}:{moment:%M}',
            'AM' if moment.hour < 12 else 'PM')


def test_times_show_in_the_viewers_timezone_and_as_utc_without_javascript(live_server, browser):
    garden_club(live_server.url)   # Ann is told when Bob joins
    context, page = signed_in(browser, live_server.url, 'ann@example.com',
                              timezone_id='America/New_York', locale='en-US')
    try:
        page.goto(live_server.url + '/notifications')
        shown = page.wait_for_selector('.notes time[data-local]')
        stamp = shown.get_attribute('datetime')
        start, half = expected_new_york(stamp)
        text = shown.inner_text()
        assert text.startswith(start) and text.endswith(half), (text, start, half)
        assert 'UTC' not in text
        assert shown.get_attribute('title') == stamp[:16].replace('T', ' ') + ' UTC'
        cookies = context.cookies()
    finally:
        context.close()
    context = browser.new_context(java_script_enabled=False, timezone_id='America/New_York')
    try:
        context.add_cookies(cookies)
        page = context.new_page()
        page.goto(live_server.url + '/notifications')
        fallback = page.query_selector('.notes time')
        assert fallback.inner_text() == stamp[:16].replace('T', ' ') + ' UTC'
    finally:
        context.close()


def test_the_favicon_is_served_and_no_page_load_fails(live_server, browser):
    garden_club(live_server.url)
    context = browser.new_context()
    failed, errors = [], []
    try:
        page = context.new_page()
        page.on('response', lambda r: r.status >= 400 and failed.append((r.status, r.url)))
        page.on('console', lambda m: m.type == 'error' and errors.append(m.text))
        page.goto(live_server.url + '/login')
        icon = page.query_selector('link[rel=icon]').get_attribute('href')
        for path in (icon, '/favicon.ico'):
            answer = page.request.get(live_server.url + path)
            assert answer.status == 200 and answer.headers['content-type'].startswith(
                'image/svg+xml'), path
            assert answer.body().startswith(b'<svg')
        page.goto(live_server.url + '/api/openapi.json')   # a page with no icon link
        page.wait_for_timeout(300)   # the browser's own /favicon.ico request
        assert failed == [] and errors == []
    finally:
        context.close()
