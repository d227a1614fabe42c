"""The admin's controls in a real browser against `python run.py`: a job's buttons
change with its state live (retrying: Run now and Revoke; then failed: Retry),
destructive and bulk actions ask first in a dialog naming how many jobs they
touch, and a bulk button with nothing to act on is disabled, enabled live when
a job arrives.

The failing job is a real catalogue task: activity.log_activity for a workspace
that does not exist fails (foreign key). The test process enqueues it into the
server's own queue."""
import pytest

from collab.jobs.instance import huey
from tasks.activity import log_activity
from tests.support import wait_for_state
from tests.support.browser import sign_in_on_page

pytestmark = pytest.mark.browser

RETRY_DELAY = 8   # long enough to see the job's page while it waits to retry


def enqueue_failing_activity(retries=0, retry_delay=0):
    task = log_activity.s(1, None, 'document.created', 'document')
    task.retries, task.retry_delay = retries, retry_delay
    huey.enqueue(task)
    huey.ledger.flush()
    return task.id


def button(page, label):
    return page.locator(f'#admin-live button:text-is("{label}")')


def answer_dialog(page, accept):
    """Answer the next dialog; returns the list its message is appended to."""
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()
    page.once('dialog', answer)
    return asked


def test_the_buttons_follow_a_job_from_retrying_to_failed_without_a_reload(
        live_server, server_queue, page):
    sign_in_on_page(page, live_server)
    job_id = enqueue_failing_activity(retries=1, retry_delay=RETRY_DELAY)
    wait_for_state(job_id, 'retrying', timeout=20)

    page.goto(f'{live_server.url}/admin/jobs/{job_id}')
    page.evaluate('window.notReloaded = true')
    assert button(page, 'Run now').is_visible() and button(page, 'Revoke').is_visible()
    assert button(page, 'Retry').count() == 0

    page.wait_for_selector('[data-job-state="failed"]', timeout=RETRY_DELAY * 1000 + 15_000)
    button(page, 'Retry').wait_for()
    assert button(page, 'Revoke').count() == 0 and button(page, 'Run now').count() == 0
    assert page.evaluate('window.notReloaded') is True

    asked = answer_dialog(page, accept=False)
    button(page, 'Delete record').click()
    assert asked == [f'Delete the record of job {job_id}? This touches 1 job and cannot be undone.']
    assert page.evaluate('window.notReloaded') is True      # dismissed: nothing was sent
    assert wait_for_state(job_id, 'failed')


def test_bulk_actions_ask_naming_the_count_and_are_disabled_when_none_match(
        live_server, server_queue, page):
    sign_in_on_page(page, live_server)
    failed = [enqueue_failing_activity() for _ in range(2)]
    for job_id in failed:
        wait_for_state(job_id, 'failed', timeout=20)
    page.goto(f'{live_server.url}/admin/jobs?state=failed')

    asked = answer_dialog(page, accept=False)
    button(page, 'Retry all matching (2)').click()
    assert asked == ['Retry 2 matching jobs?']
    assert {wait_for_state(j, 'failed').state for j in failed} == {'failed'}

    asked = answer_dialog(page, accept=True)
    button(page, 'Delete all failed (2)').click()
    page.wait_for_selector('[role=status]:has-text("Deleted the records of 2 jobs.")')
    assert asked == ['Delete 2 matching jobs? This cannot be undone.']
    assert button(page, 'Delete all failed (0)').is_disabled()
    assert button(page, 'Retry all matching (0)').is_disabled()

    page.evaluate('window.notReloaded = true')
    arriving = enqueue_failing_activity()
    button(page, 'Delete all failed (1)').wait_for(timeout=20_000)
    assert button(page, 'Delete all failed (1)').is_enabled()
    assert page.evaluate('window.notReloaded') is True
    assert wait_for_state(arriving, 'failed')
