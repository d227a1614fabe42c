"""The real server in a real browser: one member edits a document, another sees it live."""
import pytest

from tests.support import sign_up
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser


def test_an_edit_shows_up_as_a_live_notification_without_reloading(live_server, browser):
    base = live_server.url
    ann = sign_up(base, 'ann@example.com', 'Ann')
    bob = sign_up(base, 'bob@example.com', 'Bob')
    workspace = ann.call('POST', '/api/workspaces', {'name': 'Garden club'})
    doc = ann.call('POST', f"/api/workspaces/{workspace['id']}/documents",
                   {'title': 'Plan', 'content': 'Plant tomatoes'})
    token = ann.call('POST', f"/api/workspaces/{workspace['id']}/invites",
                     {'email': 'bob@example.com'})['token']
    bob.call('POST', f'/api/invites/{token}/accept')

    bob_context, ann_context = browser.new_context(), browser.new_context()
    try:
        watcher = bob_context.new_page()
        watcher.set_default_timeout(10_000)
        sign_in(watcher, base, 'bob@example.com')
        watcher.goto(f"{base}/w/{workspace['id']}")
        watcher.wait_for_selector('#notifications[data-connected="1"]')
        watcher.evaluate('window.loadedOnce = true')   # gone if the page reloads
        before = int(watcher.get_attribute('#notif-count', 'data-count'))

        editor = ann_context.new_page()
        editor.set_default_timeout(10_000)
        sign_in(editor, base, 'ann@example.com')
        editor.goto(f"{base}/d/{doc['id']}")
        editor.fill('textarea[name=content]', 'Plant tomatoes and basil')
        editor.click('button:has-text("Save")')
        editor.wait_for_selector('text=Saved.')
        assert 'version 2' in editor.inner_text('h1')

        live = watcher.wait_for_selector('.live-notification')
        assert live.inner_text() == 'Ann edited “Plan”'
        assert watcher.get_attribute('#notif-count', 'data-count') == str(before + 1)
        assert watcher.evaluate('window.loadedOnce') is True
    finally:
        bob_context.close()
        ann_context.close()
