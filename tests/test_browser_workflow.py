"""The workflow graph in a real browser against `python run.py`: a group member's
node turns from retrying to failed while its job page stays open, without a
reload, and each node links to its job.

The members are a real catalogue task: activity.log_activity for a workspace
that does not exist fails (foreign key), once, then again on its one retry.
The test process enqueues the group into the server's own queue."""
import pytest
from huey import group

from collab.jobs.instance import huey
from tasks.activity import log_activity
from tests.support import ADMIN, wait_for_state

pytestmark = pytest.mark.browser

RETRY_DELAY = 8   # long enough to open the page while the member is retrying


def failing_activity():
    task = log_activity.s(1, None, 'document.created', 'document')
    task.retries, task.retry_delay = 1, RETRY_DELAY
    return task


def test_a_node_changes_state_live_in_the_graph(live_server, server_queue, page):
    page.goto(live_server.url + '/admin/jobs')
    page.fill('input[name=email]', ADMIN['email'])
    page.fill('input[name=password]', ADMIN['password'])
    page.click('button[type=submit]')
    page.wait_for_url('**/admin/jobs')

    members = [r.id for r in huey.enqueue(group([failing_activity(), failing_activity()]))]
    huey.ledger.flush()
    first, second = members
    wait_for_state(first, 'retrying', timeout=20)

    page.goto(f'{live_server.url}/admin/jobs/{first}')
    page.evaluate('window.notReloaded = true')
    node = f'svg.workflow a[data-node="{first}"]'
    assert page.get_attribute(node, 'data-state') == 'retrying'
    assert 'retrying' in page.text_content(f'{node} text:nth-of-type(2)')
    assert page.get_attribute(f'svg.workflow a[data-node="{second}"]', 'href') == f'/admin/jobs/{second}'

    page.wait_for_selector(f'{node}[data-state="failed"]', timeout=30_000)
    assert page.text_content(f'{node} text:nth-of-type(2)') == 'failed'
    assert page.evaluate('window.notReloaded') is True

    page.click(f'svg.workflow a[data-node="{second}"]')
    page.wait_for_url(f'**/admin/jobs/{second}')
