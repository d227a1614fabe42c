"""Driving pages in the browser: signing in, and the admin pages."""
from tests.support.users import ADMIN, PASSWORD


def sign_in(page, base, email, password=PASSWORD):
    """Sign in through /login and wait for the start page."""
    page.goto(base + '/login')
    page.fill('input[name=email]', email)
    page.fill('input[name=password]', password)
    page.click('button[type=submit]')
    page.wait_for_selector('text=Welcome')


def signed_in(browser, base, email, password=PASSWORD, **context_options):
    """(context, page) of a new browser context (a person's own browser) signed in."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, email, password)
    return context, page


def sign_in_on_page(page, live_server, admin=ADMIN):
    """Sign in through the login page the admin dashboard sends an anonymous visitor to."""
    page.goto(live_server.url + '/admin/jobs')
    page.fill('input[name=email]', admin['email'])
    page.fill('input[name=password]', admin['password'])
    page.click('button[type=submit]')
    page.wait_for_url('**/admin/jobs')
