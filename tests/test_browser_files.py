"""The workspace page's files and exports in a real browser against `python run.py`:
uploads with progress, an empty choice refused, deletes after a confirmation, and
export states that change without a reload."""
import re
import time

import pytest

from tests.support import LiveServer
from tests.support.team import garden_club
from tests.support.browser import sign_in

pytestmark = pytest.mark.browser

# Counts what the page shows while it works; installed before the page's own scripts.
RECORDER = """
window.seen = [];
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    var node = change.target.nodeType === 1 ? change.target : change.target.parentNode;
    var row = node.closest && node.closest('[data-export-id]');
    window.seen.push(row ? row.getAttribute('data-state') + ' ' + row.textContent.replace(/\\s+/g, ' ')
                         : node.textContent);
  });
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ['data-state']});
"""


def open_workspace(page, base, workspace_id, email='ann@example.com'):
    sign_in(page, base, email)
    page.goto(f'{base}/w/{workspace_id}')
    page.wait_for_selector('#exports[data-live="1"]', state='attached')   # its socket is open
    page.evaluate('window.loadedOnce = true')            # gone if the page reloads


def files_of(account, workspace_id):
    return account.call('GET', f'/api/workspaces/{workspace_id}/files')['files']


def wait_for_export(account, export_id, state='ready', timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if account.call('GET', f'/api/exports/{export_id}')['state'] == state:
            return
        time.sleep(0.1)
    raise AssertionError(f'export {export_id} did not become {state}')


@pytest.fixture
def team(live_server):
    return garden_club(live_server.url)


def test_an_upload_shows_its_progress_and_the_file_appears(live_server, page, team):
    ann, _, workspace_id = team
    page.add_init_script(RECORDER)
    open_workspace(page, live_server.url, workspace_id)
    page.set_input_files('#upload-form input[type=file]', files=[
        {'name': 'seeds.bin', 'mimeType': 'application/octet-stream', 'buffer': b'x' * 300_000}])
    page.click('#upload-form button[type=submit]')

    item = page.wait_for_selector('#files li[data-file-id]:has-text("seeds.bin")')
    assert '300000 bytes · Ann · ' in item.inner_text()
    made = files_of(ann, workspace_id)[0]
    assert item.eval_on_selector('time', 't => t.dateTime') == made['created_at']
    assert page.inner_text('#files-status') == 'Uploaded “seeds.bin” (300000 bytes).'
    assert any(re.fullmatch(r'Uploading “seeds.bin”: \d+%', text)
               for text in page.evaluate('window.seen'))
    bar = page.eval_on_selector('#upload-progress', 'b => [b.hidden, b.value, b.max]')
    assert bar[0] is False and bar[1] == bar[2] >= 300_000   # the whole request body went up
    assert page.query_selector('[data-no-files]') is None
    assert made['name'] == 'seeds.bin' and made['uploaded_by_name'] == 'Ann'
    assert item.eval_on_selector('a.delete-file', 'a => a.getAttribute("href")') == \
        f"/f/{made['id']}/delete"
    assert page.evaluate('window.loadedOnce') is True


def test_an_empty_choice_is_refused_with_a_message(live_server, page, team):
    ann, _, workspace_id = team
    open_workspace(page, live_server.url, workspace_id)
    page.click('#upload-form button[type=submit]')
    status = page.wait_for_selector('#files-status[role=alert]')
    assert status.inner_text() == 'Choose a file to upload first.'
    assert files_of(ann, workspace_id) == []
    assert page.evaluate('window.loadedOnce') is True


def test_an_upload_over_the_limit_shows_the_servers_message(live_server, page, team):
    ann, _, workspace_id = team
    open_workspace(page, live_server.url, workspace_id)
    limit = int(page.get_attribute('#upload-form', 'data-max-bytes'))
    page.set_input_files('#upload-form input[type=file]', files=[
        {'name': 'huge.bin', 'mimeType': 'application/octet-stream', 'buffer': b'x' * (limit + 1)}])
    with page.expect_response(lambda r: r.request.method == 'POST') as answer:
        page.click('#upload-form button[type=submit]')
    assert answer.value.status == 413   # the server's refusal reached the page
    status = page.wait_for_selector('#files-status[role=alert]')
    assert status.inner_text() == f'file is larger than {limit} bytes'
    assert files_of(ann, workspace_id) == []


def test_a_full_quota_shows_the_servers_message(tmp_path, page):
    server = LiveServer(tmp_path / 'quota-data', env={'WORKSPACE_QUOTA_MB': '1'}).start()
    try:
        ann, _, workspace_id = garden_club(server.url)
        open_workspace(page, server.url, workspace_id)
        page.set_input_files('#upload-form input[type=file]', files=[
            {'name': 'big.bin', 'mimeType': 'application/octet-stream',
             'buffer': b'x' * 1_500_000}])
        page.click('#upload-form button[type=submit]')
        status = page.wait_for_selector('#files-status[role=alert]')
        assert re.fullmatch(r'the workspace uses 0\.0 MB of its 1 MB quota.*make room',
                            status.inner_text())
        assert files_of(ann, workspace_id) == []
    finally:
        server.stop()


def test_a_file_is_deleted_after_a_confirmation(live_server, page, team):
    ann, bob, workspace_id = team
    uploaded = page.request.post(
        f'{live_server.url}/api/workspaces/{workspace_id}/files',
        headers={'Authorization': f'Bearer {bob.token}'},
        multipart={'file': {'name': 'plan.txt', 'mimeType': 'text/plain',
                            'buffer': b'beds by the wall'}})
    assert uploaded.status == 201, uploaded.text()
    made = uploaded.json()
    open_workspace(page, live_server.url, workspace_id)   # Ann, an owner
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    delete = f'#files li[data-file-id="{made["id"]}"] a.delete-file'
    page.once('dialog', lambda dialog: answer(dialog, False))
    page.click(delete)   # returns once the dialog is answered
    assert asked == ['Delete “plan.txt”? This cannot be undone.']
    assert [f['id'] for f in files_of(ann, workspace_id)] == [made['id']]
    assert page.is_visible(delete)

    page.once('dialog', lambda dialog: answer(dialog, True))
    page.click(delete)
    page.wait_for_selector(f'#files li[data-file-id="{made["id"]}"]', state='detached')
    assert page.inner_text('#files-status') == 'Deleted “plan.txt”.'
    assert page.inner_text('#files') == 'No files yet.'
    assert files_of(ann, workspace_id) == []
    assert page.evaluate('window.loadedOnce') is True


def test_an_export_goes_from_running_to_ready_without_a_reload(live_server, page, team):
    ann, _, workspace_id = team
    page.add_init_script(RECORDER)
    open_workspace(page, live_server.url, workspace_id)
    export_id = ann.call('POST', f'/api/workspaces/{workspace_id}/exports')['export_id']

    row = f'#exports li[data-export-id="{export_id}"]'
    page.wait_for_selector(f'{row}[data-state="ready"]')
    assert page.get_attribute(f'{row} [data-export-result] a', 'href') == f'/exports/{export_id}'
    assert page.inner_text(f'{row} [data-export-state]') == 'ready'
    seen = page.evaluate('window.seen')
    assert any(text.startswith('running ') for text in seen)
    assert any(re.search(r'[123] of 3 parts done', text) for text in seen)
    assert page.evaluate('window.loadedOnce') is True
    download = page.request.get(live_server.url + f'/exports/{export_id}')
    assert download.status == 200 and download.body()[:2] == b'PK'   # the zip


def test_an_export_that_finished_while_the_page_was_closed_shows_ready(live_server, page, team):
    ann, _, workspace_id = team
    export_id = ann.call('POST', f'/api/workspaces/{workspace_id}/exports')['export_id']
    wait_for_export(ann, export_id)
    sign_in(page, live_server.url, 'ann@example.com')
    page.goto(f'{live_server.url}/w/{workspace_id}')
    row = f'#exports li[data-export-id="{export_id}"]'
    assert page.get_attribute(row, 'data-state') == 'ready'
    assert page.is_hidden(f'{row} [data-export-progress]')
    assert page.get_attribute(f'{row} [data-export-result] a', 'href') == f'/exports/{export_id}'


def test_an_end_that_came_before_the_socket_opened_is_not_missed(live_server, page, team):
    """The page was served while the export ran, and its socket opened only after the
    export had ended: the page asks for the state once connected. (A part whose file
    is gone fails, is retried a second later and fails again: the export runs for over
    a second, time enough to serve the page while it runs.)"""
    ann, _, workspace_id = team
    uploaded = page.request.post(
        f'{live_server.url}/api/workspaces/{workspace_id}/files',
        headers={'Authorization': f'Bearer {ann.token}'},
        multipart={'file': {'name': 'lost.txt', 'mimeType': 'text/plain', 'buffer': b'gone'}})
    assert uploaded.status == 201
    for stored in (live_server.data_dir / 'files').iterdir():
        stored.unlink()   # the disk lost it: the export's files part cannot copy it
    sign_in(page, live_server.url, 'ann@example.com')

    held = []
    def once_ended(route):   # holds the page's script, and so its socket
        held.append(route.request.url)
        wait_for_export(ann, export_id, 'failed')
        route.continue_()
    page.route('**/static/workspace_files.js', once_ended)
    export_id = ann.call('POST', f'/api/workspaces/{workspace_id}/exports')['export_id']
    response = page.goto(f'{live_server.url}/w/{workspace_id}', wait_until='commit')
    assert re.search(rf'data-export-id="{export_id}" data-state="(pending|running)"',
                     response.text())   # the page as served had it still running
    row = f'#exports li[data-export-id="{export_id}"]'
    page.wait_for_selector(f'{row}[data-state="failed"]')
    assert held == [f'{live_server.url}/static/workspace_files.js']
    error = ann.call('GET', f'/api/exports/{export_id}')['error']
    assert error and page.inner_text(f'{row} [data-export-result] .error') == error
    assert page.is_hidden(f'{row} [data-export-progress]')
