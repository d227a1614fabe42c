"""Onboarding in a real browser against `python run.py`: an owner copies an invite link,
someone signed out opens it, signs up and joins; an invite and a password reset by
email through a real SMTP server on loopback (aiosmtpd)."""
import pytest
from playwright.sync_api import expect

from tests.support import PASSWORD, LiveServer, sign_up
from tests.support.mail import link_in

pytestmark = pytest.mark.browser


@pytest.fixture
def mail_server(tmp_path, smtp_server):
    """`python run.py` that mails through the test's SMTP server."""
    server = LiveServer(tmp_path / 'live-data', env={
        'SMTP_URL': smtp_server.url(), 'MAIL_FROM': 'Collab <collab@example.com>'})
    server.start()
    yield server
    server.stop()


def new_page(browser, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def sign_in(page, base, email, password=PASSWORD):
    page.goto(base + '/login')
    page.fill('input[name=email]', email)
    page.fill('input[name=password]', password)
    page.click('button[type=submit]')
    page.wait_for_url(base + '/')


def owner_with_workspace(base):
    ann = sign_up(base, 'ann@example.com', 'Ann')
    workspace = ann.call('POST', '/api/workspaces', {'name': 'Garden club'})
    return ann, workspace['id']


def sign_up_from_invite(page, link, name, email):
    """Signed out: the invite page, then sign-up, and back to the invite to join."""
    page.goto(link)
    expect(page.locator('h1')).to_have_text('Join Garden club')
    expect(page.locator('#invite-inviter')).to_have_text('Ann')
    page.click('#invite-register')
    page.fill('input[name=name]', name)
    page.fill('input[name=email]', email)
    page.fill('input[name=password]', PASSWORD)
    page.click('button:has-text("Create account")')
    page.wait_for_url(link)
    page.click('button:has-text("Join Garden club")')


def test_a_copied_invite_link_brings_someone_signed_out_through_sign_up_into_the_workspace(
        live_server, browser):
    base = live_server.url
    _, ws_id = owner_with_workspace(base)
    owner_context, owner = new_page(browser, permissions=['clipboard-read', 'clipboard-write'])
    guest_context, guest = new_page(browser)
    try:
        sign_in(owner, base, 'ann@example.com')
        owner.goto(f'{base}/w/{ws_id}')
        owner.click('#members-page')
        expect(owner.locator('#email-not-set-up')).to_contain_text('Email is not set up')
        owner.fill('input[name=max_uses]', '2')
        owner.click('button:has-text("Make an invite link")')
        expect(owner.locator('.flash')).to_contain_text('Invite link made')
        owner.wait_for_load_state('load')   # members.js (deferred) is running
        owner.click('button:has-text("Copy link")')
        expect(owner.locator('button[data-copy]')).to_have_text('Copied')
        link = owner.evaluate('navigator.clipboard.readText()')
        assert link.startswith(f'{base}/invites/')

        sign_up_from_invite(guest, link, 'Zoe', 'zoe@example.com')
        guest.wait_for_url(f'{base}/w/{ws_id}')
        expect(guest.locator('h1')).to_have_text('Garden club')

        # The owner removes her again, confirming first (dismissed once: nothing happens).
        owner.goto(f'{base}/w/{ws_id}/members')   # goto waits for the load event
        row = owner.locator('#member-list tr', has_text='zoe@example.com')
        owner.once('dialog', lambda dialog: dialog.dismiss())
        row.locator('button:has-text("Remove")').click()
        expect(row).to_be_visible()
        owner.once('dialog', lambda dialog: dialog.accept())
        row.locator('button:has-text("Remove")').click()
        expect(owner.locator('.flash')).to_contain_text('Zoe was removed from Garden club.')
        expect(owner.locator('#member-list')).not_to_contain_text('zoe@example.com')
    finally:
        owner_context.close()
        guest_context.close()


def test_an_emailed_invite_link_leads_to_sign_up_and_joining(mail_server, smtp_server,
                                                             browser):
    base = mail_server.url
    _, ws_id = owner_with_workspace(base)
    owner_context, owner = new_page(browser)
    guest_context, guest = new_page(browser)
    try:
        sign_in(owner, base, 'ann@example.com')
        owner.goto(f'{base}/w/{ws_id}/members')
        expect(owner.locator('#email-not-set-up')).to_have_count(0)
        owner.fill('input[name=email]', 'zoe@example.com')
        owner.click('button:has-text("Invite")')
        expect(owner.locator('.flash')).to_contain_text('Invite emailed to zoe@example.com')
        [entry] = smtp_server.wait_for('zoe@example.com', timeout=30)
        assert entry['message']['Subject'] == 'Ann invited you to Garden club on Collab'
        link = link_in(entry)
        assert link.startswith(f'{base}/invites/')

        sign_up_from_invite(guest, link, 'Zoe', 'zoe@example.com')
        guest.wait_for_url(f'{base}/w/{ws_id}')
        owner.reload()
        expect(owner.locator('#member-list')).to_contain_text('zoe@example.com')
        expect(owner.locator('#pending-invites')).to_contain_text('No pending invites.')
    finally:
        owner_context.close()
        guest_context.close()


def test_a_password_reset_by_email_sets_a_new_password_once(mail_server, smtp_server, browser):
    base = mail_server.url
    sign_up(base, 'ann@example.com', 'Ann')
    context, page = new_page(browser)
    try:
        page.goto(base + '/login')
        page.click('text=Forgot your password?')
        page.fill('input[name=email]', 'ann@example.com')
        page.click('button:has-text("Email me a reset link")')
        expect(page.locator('.flash')).to_contain_text('if an account has this email')
        [entry] = smtp_server.wait_for('ann@example.com', timeout=30)
        link = link_in(entry)
        assert link.startswith(f'{base}/reset-password/')

        page.goto(link)
        page.fill('input[name=new]', 'a brand new password')
        page.fill('input[name=repeat]', 'a brand new password')
        page.click('button:has-text("Set password")')
        page.wait_for_url(base + '/login')
        expect(page.locator('.flash')).to_contain_text('Your password is set')
        sign_in(page, base, 'ann@example.com', 'a brand new password')

        page.goto(link)   # used once: dead
        expect(page.locator('.error')).to_contain_text('not valid')
        expect(page.locator('input[name=new]')).to_have_count(0)
    finally:
        context.close()
