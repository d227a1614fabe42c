"""The real server in a real browser: signing in works."""
import pytest

from tests.conftest import ADMIN

pytestmark = pytest.mark.browser


def test_an_admin_signs_in_through_the_login_page(live_server, page):
    page.goto(live_server.url + '/')
    assert '/login' in page.url
    page.fill('input[name=email]', ADMIN['email'])
    page.fill('input[name=password]', ADMIN['password'])
    page.click('button[type=submit]')
    page.wait_for_selector('text=Welcome')
    assert page.url.rstrip('/') == live_server.url
