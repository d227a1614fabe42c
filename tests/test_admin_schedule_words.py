"""Each periodic task's schedule in words and its next three runs, for every
periodic task of the catalogue (tasks/*.py), in the JSON and on the page."""
from datetime import datetime, timedelta

import pytest
from huey import crontab

import tasks  # noqa: F401  (registers the catalogue)
from collab.admin import schedule, schedule_words
from collab.jobs import control
from tests.support import sign_up

NOW = datetime(2026, 12, 1, 12, 31, 20)   # a Tuesday
CATALOGUE = {
    'activity.generate_all_digests': ('every day at 08:00 UTC',
                                      ['2026-12-02T08:00', '2026-12-03T08:00', '2026-12-04T08:00']),
    'documents.cleanup_all_old_versions': ('Sundays at 00:00 UTC',
                                           ['2026-12-06T00:00', '2026-12-13T00:00', '2026-12-20T00:00']),
    'documents.full_reindex': ('every day at 02:00 UTC',
                               ['2026-12-02T02:00', '2026-12-03T02:00', '2026-12-04T02:00']),
    'housekeeping.forget_old_rate_limits': ('every hour at :17',
                                            ['2026-12-01T13:17', '2026-12-01T14:17', '2026-12-01T15:17']),
    'housekeeping.index_job_args': ('every minute',
                                    ['2026-12-01T12:32', '2026-12-01T12:33', '2026-12-01T12:34']),
    'online_status.sync_online_status': ('every 5 minutes',
                                         ['2026-12-01T12:35', '2026-12-01T12:40', '2026-12-01T12:45']),
    'workspaces.cleanup_expired_invites': ('every hour at :00',
                                           ['2026-12-01T13:00', '2026-12-01T14:00', '2026-12-01T15:00']),
    'workspaces.delete_old_exports': ('every hour at :30',
                                      ['2026-12-01T13:30', '2026-12-01T14:30', '2026-12-01T15:30']),
}


def catalogue_entries():
    return {e['task']: e for e in schedule.periodic_schedule(now=NOW)
            if control.periodic_tasks()[e['task']].__module__.startswith('tasks.')}


def test_every_catalogue_periodic_task_has_its_schedule_in_words_and_next_runs(app):
    entries = catalogue_entries()
    assert set(entries) == set(CATALOGUE)   # a new periodic task needs its line here
    for name, (words, runs) in CATALOGUE.items():
        assert entries[name]['every'] == words, name
        assert [r[:16] for r in entries[name]['next_runs']] == runs, name
        assert entries[name]['next_runs'][0] == entries[name]['next_run']


def test_the_schedule_page_shows_the_words_and_the_next_runs(client):
    admin = sign_up(client, 'admin@example.com', admin=True).headers
    page = client.get('/admin/schedule', headers=admin).get_data(as_text=True)
    row = page[page.index('data-periodic="activity.generate_all_digests"'):]
    row = row[:row.index('</tr>')]
    assert '<td data-label="Runs" data-every>every day at 08:00 UTC</td>' in row
    assert row.count('<time datetime="') == 3
    api = client.get('/admin/api/schedule', headers=admin).json['schedule']
    digest = next(e for e in api if e['task'] == 'activity.generate_all_digests')
    assert digest['every'] == 'every day at 08:00 UTC' and len(digest['next_runs']) == 3


@pytest.mark.parametrize('spec, words', [
    (dict(minute='*/15'), 'every 15 minutes'),
    (dict(minute='0', hour='*/6'), 'every 6 hours at :00'),
    (dict(minute='0', hour='8,20'), 'every day at 08:00, 20:00 UTC'),
    (dict(minute='30', hour='9', day_of_week='1-5'),
     'Mondays, Tuesdays, Wednesdays, Thursdays, Fridays at 09:30 UTC'),
    (dict(minute='0', hour='0', day='1'), 'on day 1 of the month at 00:00 UTC'),
    (dict(minute='0', hour='12', day='29', month='2'), 'on day 29 of the month in February at 12:00 UTC'),
])
def test_crontabs_in_words(spec, words):
    assert schedule_words.describe(crontab(**spec)) == words


def test_a_schedule_that_is_not_a_crontab_is_custom_and_scanned():
    def odd_minutes(moment):
        return moment.minute % 2 == 1
    assert schedule_words.describe(odd_minutes) == 'a custom schedule'
    assert schedule_words.next_runs(odd_minutes, NOW) == [
        NOW.replace(minute=m, second=0) for m in (33, 35, 37)]


@pytest.mark.parametrize('spec', [dict(minute='7', hour='3', day_of_week='0'),
                                  dict(minute='*/20', hour='1-2'),
                                  dict(minute='0', hour='0', day='31')])
def test_next_runs_match_what_the_crontab_itself_says(spec):
    """The calendar walk agrees with a minute-by-minute check of huey's own test."""
    due = crontab(**spec)
    moment, expected = NOW.replace(second=0) + timedelta(minutes=1), []
    while len(expected) < 3:
        if due(moment):
            expected.append(moment)
        moment += timedelta(minutes=1)
    assert schedule_words.next_runs(due, NOW) == expected
