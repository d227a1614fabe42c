"""Periodic tasks in the admin: the schedule, run now, pause (the scheduler skips
the task) and resume — with Huey's real scheduler in a real consumer."""
from datetime import datetime

import pytest
from huey import crontab
from huey.api import PeriodicTask

from collab.admin.schedule import next_run
from collab.jobs.models import Job
from collab.jobs.instance import huey
from collab.jobs.runner import ConsumerRunner
from tests.sample_tasks import calls
from tests.support import sign_up, wait_until

# Two periodic tasks that are due only while a test says so: the scheduler of
# every other test's consumer never starts them.
due = {'now': False}


@huey.periodic_task(lambda moment: due['now'])
def paused_tick():
    """Ticks unless paused."""
    calls['paused_tick'].append(1)


@huey.periodic_task(lambda moment: due['now'])
def control_tick():
    calls['control_tick'].append(1)


PAUSED = 'tests.test_admin_schedule.paused_tick'
CONTROL = 'tests.test_admin_schedule.control_tick'


@pytest.fixture
def admin(client):
    return sign_up(client, 'admin@example.com', admin=True).headers


@pytest.fixture
def due_now():
    due['now'] = True
    yield
    due['now'] = False


def entry(client, admin, name):
    schedule = client.get('/admin/api/schedule', headers=admin).json['schedule']
    return next(e for e in schedule if e['task'] == name)


def test_a_paused_periodic_task_is_skipped_by_the_scheduler(client, admin, app, settings, due_now):
    response = client.post(f'/admin/api/schedule/{PAUSED}/pause', headers=admin)
    assert response.status_code == 200 and 'Paused' in response.json['message']
    assert entry(client, admin, PAUSED)['paused'] is True
    runner = ConsumerRunner(settings, embedded=True, workers=1)
    runner.start()   # the scheduler checks periodic tasks once at start
    try:
        wait_until(lambda: calls['control_tick'], message='the unpaused periodic task to run')
        huey.ledger.flush()
    finally:
        runner.stop()
    assert calls['paused_tick'] == []
    assert not Job.select().where(Job.task == PAUSED).exists()


def test_a_resumed_periodic_task_runs_again(client, admin, app, settings, due_now):
    client.post(f'/admin/api/schedule/{PAUSED}/pause', headers=admin)
    response = client.post(f'/admin/api/schedule/{PAUSED}/resume', headers=admin)
    assert response.status_code == 200 and entry(client, admin, PAUSED)['paused'] is False
    runner = ConsumerRunner(settings, embedded=True, workers=1)
    runner.start()
    try:
        wait_until(lambda: calls['paused_tick'], message='the resumed periodic task to run')
    finally:
        runner.stop()


def test_run_now_starts_a_paused_task_and_the_schedule_shows_its_outcome(client, admin, app,
                                                                         consumer):
    client.post(f'/admin/api/schedule/{CONTROL}/pause', headers=admin)
    response = client.post(f'/admin/api/schedule/{CONTROL}/run', headers=admin)
    assert response.status_code == 200
    job_id = response.json['job_id']
    wait_until(lambda: entry(client, admin, CONTROL)['last_run'] and
               entry(client, admin, CONTROL)['last_run']['state'] == 'succeeded',
               message='the run to succeed')
    assert entry(client, admin, CONTROL)['last_run']['id'] == job_id
    assert len(calls['control_tick']) == 1


def test_the_schedule_page_shows_paused_tasks_with_their_buttons(client, admin, app):
    client.post(f'/admin/api/schedule/{PAUSED}/pause', headers=admin)
    page = client.get('/admin/schedule', headers=admin).get_data(as_text=True)
    row = page.split(f'data-periodic="{PAUSED}"')[1].split('</tr>')[0]
    assert 'paused' in row and '>Resume<' in row and '>Run now<' in row
    assert 'Ticks unless paused.' in row


def test_an_unknown_periodic_task_is_a_404(client, admin, app):
    for action in ('run', 'pause', 'resume'):
        response = client.post(f'/admin/api/schedule/nope.nothing/{action}', headers=admin)
        assert response.status_code == 404


class Nightly(PeriodicTask):
    def validate_datetime(self, timestamp):
        return crontab(minute='30', hour='2')(timestamp)


def test_next_run_is_the_next_minute_the_crontab_is_due():
    assert next_run('nightly', Nightly, datetime(2024, 5, 1, 10, 0, 5)) == datetime(2024, 5, 2, 2, 30)
    assert next_run('nightly', Nightly, datetime(2024, 5, 1, 2, 10)) == datetime(2024, 5, 1, 2, 30)
