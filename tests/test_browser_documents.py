"""Documents in a real browser against `python run.py`: two members edit the same
document at once and the second keeps their text; a version is restored from the
history; a document is deleted after a confirmation."""
import pytest

from tests.support import garden_club
from tests.support.browser import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def club(live_server):
    ann, bob, workspace_id = garden_club(live_server.url)
    doc = ann.call('POST', f'/api/workspaces/{workspace_id}/documents',
                   {'title': 'Plan', 'content': 'Plant **tomatoes**'})
    return {'ann': ann, 'bob': bob, 'workspace_id': workspace_id, 'doc': doc}


def test_the_second_of_two_saves_keeps_its_text_and_saves_on_top(live_server, browser, club):
    base, url = live_server.url, f"{live_server.url}/d/{club['doc']['id']}"
    contexts = []
    try:
        ann_context, ann = signed_in(browser, base, 'ann@example.com')
        bob_context, bob = signed_in(browser, base, 'bob@example.com')
        contexts += [ann_context, bob_context]
        ann.goto(url)
        bob.goto(url)   # both have version 1 open

        ann.fill('textarea[name=content]', 'Plant **tomatoes** in May')
        ann.click('button:has-text("Save")')
        ann.wait_for_selector('text=Saved.')
        assert 'version 2' in ann.inner_text('h1')

        mine = 'Plant tomatoes and _basil_'
        bob.fill('textarea[name=content]', mine)
        bob.click('button:has-text("Save")')
        notice = bob.wait_for_selector('#conflict-notice')
        assert 'Ann saved version 2' in notice.inner_text()
        assert bob.input_value('textarea[name=content]') == mine
        assert bob.inner_text('#conflict-rendered') == 'Plant tomatoes in May'
        assert bob.inner_html('#conflict-rendered').count('<strong>tomatoes</strong>') == 1

        bob.click('button:has-text("Save mine on top of version 2")')
        bob.wait_for_selector('text=Saved.')
        assert 'version 3 by Bob' in bob.inner_text('h1')
        assert '<em>basil</em>' in bob.inner_html('#document-rendered')
        assert club['ann'].call('GET', f"/api/documents/{club['doc']['id']}")['content'] == mine
    finally:
        for context in contexts:
            context.close()


def test_a_version_is_restored_from_the_history(live_server, browser, club):
    doc_id = club['doc']['id']
    club['bob'].call('PUT', f'/api/documents/{doc_id}', {'content': 'Plant nothing'})
    context, page = signed_in(browser, live_server.url, 'ann@example.com')
    try:
        page.goto(f'{live_server.url}/d/{doc_id}')
        history = page.inner_text('#history')
        assert 'Version 2 by Bob' in history and 'Version 1 by Ann' in history
        page.click('#history li[data-version="1"] >> text=view')
        page.wait_for_url(f'**/d/{doc_id}/v/1')
        assert page.inner_html('#version-rendered').strip() == '<p>Plant <strong>tomatoes</strong></p>'
        page.click('button:has-text("Restore version 1")')
        page.wait_for_selector('text=Restored version 1 as version 3.')
        assert page.inner_html('#document-rendered').strip() == '<p>Plant <strong>tomatoes</strong></p>'
        assert 'Version 3 by Ann (restored version 1)' in page.inner_text('#history')
    finally:
        context.close()


def test_a_document_is_deleted_after_confirming(live_server, browser, club):
    doc_id = club['doc']['id']
    context, page = signed_in(browser, live_server.url, 'ann@example.com')
    try:
        page.goto(f'{live_server.url}/d/{doc_id}')
        page.click('#delete-document')
        page.wait_for_url(f'**/d/{doc_id}/delete')
        page.click('button:has-text("Delete the document")')
        page.wait_for_selector('text=Deleted “Plan”.')
        assert page.url.endswith(f"/w/{club['workspace_id']}")
        assert page.goto(f'{live_server.url}/d/{doc_id}').status == 404
    finally:
        context.close()
