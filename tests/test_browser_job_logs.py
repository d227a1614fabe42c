"""A running job's logs and progress appear live on its detail page, in a real
browser against `python run.py` (its consumer runs tests/job_log_tasks.py)."""
import pytest

import tasks
from collab.db import close_connection
from collab.jobs.instance import huey
from collab.settings import Settings
from collab.startup import prepare
from tests.job_log_tasks import step_slowly
from tests.support import ADMIN, LiveServer, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path):
    """`python run.py` with the logging tasks, and this process bound to its queue."""
    running = LiveServer(tmp_path / 'live-data', modules=('tests.job_log_tasks',), env={
        'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password']})
    running.start()
    settings = Settings.from_mapping({'DATA_DIR': str(running.data_dir),
                                      'SECRET_KEY': running.env['SECRET_KEY']})
    prepare(settings)
    tasks.configure(settings)
    yield running
    huey.ledger.flush()
    huey.storage.close()
    close_connection()
    running.stop()


def progress_value(page):
    return int(page.locator('.job-progress progress').first.get_attribute('value'))


def test_a_running_jobs_logs_and_progress_appear_live_on_its_page(server, page):
    page.goto(server.url + '/admin/jobs')
    page.fill('input[name=email]', ADMIN['email'])
    page.fill('input[name=password]', ADMIN['password'])
    page.click('button[type=submit]')
    page.wait_for_url('**/admin/jobs')

    job = step_slowly(12, 0.5, word='kiwifruit')
    huey.ledger.flush()
    page.goto(f'{server.url}/admin/jobs/{job.id}')
    page.evaluate('window.notReloaded = true')

    logs = page.locator('[data-logs="1"]')
    logs.get_by_text('kiwifruit 2 of 12').wait_for(timeout=15_000)
    bar = page.locator('[data-job-state="running"]')   # still running: this is live
    assert bar.count() == 1
    first = progress_value(page)
    assert 1 <= first < 12
    wait_until(lambda: progress_value(page) > first, timeout=10,
               message='the bar to move without a reload')
    logs.get_by_text('kiwifruit 12 of 12').wait_for(timeout=15_000)
    page.locator('[data-job-state="succeeded"]').wait_for(timeout=10_000)
    assert page.locator('.job-progress progress').first.get_attribute('value') == '12'
    assert page.locator('[data-logs="1"] tr', has_text='tests.job_log_tasks').count() == 12
    assert page.evaluate('window.notReloaded') is True
