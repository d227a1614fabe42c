"""The job dashboard in a real browser against `python run.py`: a failing job
turns up as failed without a reload, its traceback opens, Retry makes it succeed.

The failing job is a real catalogue task: activity.log_activity for a workspace
that does not exist yet fails (foreign key); once the workspace exists, its
retry succeeds. The test process enqueues it into the server's own queue."""
import json
import urllib.request

import pytest

from tasks.activity import log_activity
from collab.jobs.instance import huey
from tests.support import ADMIN, sign_in

pytestmark = pytest.mark.browser


def api(live_server, path, body, token=None):
    headers = {'Content-Type': 'application/json'}
    if token:
        headers['Authorization'] = f'Bearer {token}'
    request = urllib.request.Request(live_server.url + path, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def enqueue_failing_activity(workspace_id):
    task = log_activity.s(workspace_id, None, 'document.created', 'document')
    task.retries = 0   # fail for good at once; the admin's retry gets the default retries
    huey.enqueue(task)
    huey.ledger.flush()
    return task.id


def sign_in_on_page(page, live_server):
    page.goto(live_server.url + '/admin/jobs')
    assert '/login' in page.url
    page.fill('input[name=email]', ADMIN['email'])
    page.fill('input[name=password]', ADMIN['password'])
    page.click('button[type=submit]')
    page.wait_for_url('**/admin/jobs')


def test_a_failing_job_goes_failed_live_and_its_retry_succeeds(live_server, server_queue, page):
    sign_in_on_page(page, live_server)
    page.evaluate('window.notReloaded = true')
    failed_id = enqueue_failing_activity(workspace_id=1)

    page.wait_for_selector(f'tr[data-job="{failed_id}"][data-state="failed"]', timeout=20_000)
    assert page.evaluate('window.notReloaded') is True
    assert page.is_visible('[data-admin-live-status]')

    page.click(f'tr[data-job="{failed_id}"] a')
    page.click('details.attempt summary')
    traceback = page.inner_text('details.attempt[open] pre.traceback')
    assert 'Traceback (most recent call last)' in traceback and 'FOREIGN KEY' in traceback

    token = sign_in(live_server.url, **ADMIN).token
    workspace = api(live_server, '/api/workspaces', {'name': 'Launch'}, token)
    assert workspace['id'] == 1

    page.click('button:has-text("Retry")')
    page.wait_for_selector('[role=status]:has-text("Retried activity.log_activity as job")')
    assert failed_id not in page.url
    page.wait_for_selector('[data-job-state="succeeded"]', timeout=20_000)
    assert page.get_attribute('dl.facts a', 'href') == f'/admin/jobs/{failed_id}'


def test_the_dashboard_follows_dark_mode_and_fits_a_phone(live_server, page):
    page.set_viewport_size({'width': 375, 'height': 700})
    page.emulate_media(color_scheme='dark')
    sign_in_on_page(page, live_server)
    background = page.evaluate('getComputedStyle(document.body).backgroundColor')
    assert background == 'rgb(21, 23, 27)'
    assert page.evaluate('document.documentElement.scrollWidth') <= 375
