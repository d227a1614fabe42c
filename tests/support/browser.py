"""Driving the admin pages in the browser fixture's page."""
from tests.support.users import ADMIN


def sign_in_on_page(page, live_server, admin=ADMIN):
    """Sign in through the login page the admin dashboard sends an anonymous visitor to."""
    page.goto(live_server.url + '/admin/jobs')
    page.fill('input[name=email]', admin['email'])
    page.fill('input[name=password]', admin['password'])
    page.click('button[type=submit]')
    page.wait_for_url('**/admin/jobs')
