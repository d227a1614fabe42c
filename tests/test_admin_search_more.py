"""The admin's search beyond argument text: the start of a job id (8 characters
or more) and error text; and the tab counts following the task filter, the time
range and the search. On SQLite (the args index serves the argument text; the
other walks must still find the rest, before and after its catch-up) and on
PostgreSQL (a scan)."""
import re
from datetime import datetime

import pytest

from collab.admin import tab_counts
from collab.jobs import args_index
from collab.db import database
from collab.jobs.models import Job
from collab.schema import create_schema
from tests.support import sign_up

ANN = '01a23000-aaaa-7bbb-8ccc-000000000001'
BOB = '01a23000-aaaa-7bbb-8ccc-000000000002'
EVE = '01b99999-0000-7000-8000-000000000003'


def record(job_id, *args, state='succeeded', task='tests.sample_tasks.succeed', **extra):
    """A ledger row as the ledger writes it."""
    return Job.create(job_id=job_id, task=task, state=state, args={'args': list(args)}, **extra)


@pytest.fixture
def admin(client):
    return sign_up(client, 'admin@example.com', admin=True).headers


@pytest.fixture
def search(client, admin):
    """Job ids the JSON API finds for `q` (and other filters), newest first."""
    def run(q, **params):
        response = client.get('/admin/api/jobs', query_string={'q': q, **params}, headers=admin)
        assert response.status_code == 200, response.json
        return [job['id'] for job in response.json['jobs']]
    return run


@pytest.fixture
def counts(client, admin):
    def run(**params):
        response = client.get('/admin/api/counts', query_string=params, headers=admin)
        assert response.status_code == 200, response.json
        return response.json
    return run


@pytest.fixture(params=['new', 'indexed'])
def indexed(request, db_backend):
    """Search before the args index caught up, and after (SQLite; PostgreSQL scans)."""
    def settle():
        if request.param == 'indexed':
            args_index.catch_up()
    return settle


# ---------------------------------------------------------------- id prefix

def test_the_start_of_a_job_id_finds_the_jobs_it_begins(app, search, indexed):
    record(ANN, 'first')
    record(BOB, 'second')
    record(EVE, 'third')
    indexed()
    assert search('01a23000') == [BOB, ANN]
    assert search('01a23000-aaaa-7bbb-8ccc-00000000000') == [BOB, ANN]
    assert search(ANN) == [ANN]
    assert search('01b99999', state='succeeded') == [EVE]
    assert search('01b99999', state='failed') == []


def test_a_prefix_under_8_characters_is_not_an_id_search(app, search, indexed):
    record(ANN, 'first')
    indexed()
    assert search('01a2300') == []
    record(EVE, 'mentions 01a2300 in its args')
    indexed()
    assert search('01a2300') == [EVE]   # argument text still matches


# ---------------------------------------------------------------- error text

def job_indexes():
    return {index.name for index in database.get_indexes('job')}


def test_an_existing_sqlite_database_gets_the_error_text_index_on_upgrade(app, search):
    record('j-before', state='failed', error='quokka overflow')
    database.execute_sql('DROP INDEX job_error_text')   # as a database from before it
    database.execute_sql('CREATE INDEX job_error_set ON job (seq) WHERE error IS NOT NULL')
    create_schema()                                     # what every start runs
    assert 'job_error_text' in job_indexes() and 'job_error_set' not in job_indexes()
    plan = database.execute_sql(
        'EXPLAIN QUERY PLAN ' + Job.select().where(Job.error.is_null(False) & Job.error.contains('x'))
        .order_by(Job.seq.desc()).sql()[0], ['%x%']).fetchall()
    assert 'job_error_text' in str(plan)
    assert search('quokka') == ['j-before']


def test_each_database_has_its_own_error_index(app, db_backend):
    if db_backend == 'sqlite':
        assert 'job_error_text' in job_indexes() and 'job_error_set' not in job_indexes()
    else:   # an error of 2,000 characters may not fit a PostgreSQL index row
        assert 'job_error_set' in job_indexes() and 'job_error_text' not in job_indexes()


def test_error_text_finds_the_failed_jobs_that_say_it(app, search, indexed):
    record('j-refused', 'https://example.com/hook', state='failed',
           error='ConnectionRefusedError: [Errno 111] Connection refused')
    record('j-timeout', 'https://example.com/hook', state='failed', error='TimeoutError: timed out')
    record('j-ok', 'Connection refused is only in these args')
    indexed()
    assert search('Connection refused') == ['j-ok', 'j-refused']
    assert search('connection refused', state='failed') == ['j-refused']
    assert search('timed out') == ['j-timeout']
    assert search('Errno 111', task='tests.sample_tasks.succeed') == ['j-refused']
    assert search('Errno 111', task='tests.sample_tasks.other') == []


def test_error_and_args_matches_page_newest_first_without_repeats(app, search, indexed):
    for n in range(6):   # args match: 1, 3, 5; error matches: 0, 3
        record(f'j-{n}', 'payload' if n % 2 else 'other', state='failed',
               error='payload rejected' if n % 3 == 0 else 'no')
    indexed()
    assert search('payload') == ['j-5', 'j-3', 'j-1', 'j-0']
    assert search('payload', limit=2) == ['j-5', 'j-3']
    cursor = Job.get(Job.job_id == 'j-3').seq
    assert search('payload', limit=2, cursor=cursor) == ['j-1', 'j-0']


# ---------------------------------------------------------------- counts

def test_tab_counts_follow_the_search(app, client, admin, counts, indexed):
    record('a-1', 'nightly-export', state='failed', error='disk full')
    record('a-2', 'nightly-export', state='succeeded')
    record('a-3', 'weekly', state='failed', error='Disk full again')
    record('a-4', 'weekly', state='queued')
    indexed()
    assert counts(q='nightly') == {'counts': {'failed': 1, 'succeeded': 1}, 'capped': False}
    assert counts(q='disk full')['counts'] == {'failed': 2}
    assert counts(q='nothing matches')['counts'] == {}
    page = client.get('/admin/jobs?q=disk+full&state=failed', headers=admin).get_data(as_text=True)
    assert tab_number(page, 'failed') == 2 and tab_number(page, 'succeeded') == 0
    assert tab_number(page, 'queued') == 0


def test_tab_counts_follow_the_time_range_and_the_task(app, db_backend, client, admin, counts):
    record('old', state='failed', enqueued_at=datetime(2026, 1, 1, 9))
    record('mid', state='failed', enqueued_at=datetime(2026, 1, 2, 9))
    record('new', state='succeeded', enqueued_at=datetime(2026, 1, 3, 9))
    record('other', state='failed', task='tests.sample_tasks.add',
           enqueued_at=datetime(2026, 1, 2, 9))
    assert counts(since='2026-01-02T00:00')['counts'] == {'failed': 2, 'succeeded': 1}
    assert counts(since='2026-01-02T00:00', until='2026-01-03T00:00',
                  task='tests.sample_tasks.succeed')['counts'] == {'failed': 1}
    assert counts(task='tests.sample_tasks.add')['counts'] == {'failed': 1}
    page = client.get('/admin/jobs?until=2026-01-02T00:00', headers=admin).get_data(as_text=True)
    assert tab_number(page, 'failed') == 1 and tab_number(page, 'succeeded') == 0


def test_counts_past_the_cap_say_at_least(app, db_backend, client, admin, counts, monkeypatch):
    monkeypatch.setattr(tab_counts, 'COUNT_CAP', 3)    # instead of 100 rows
    for n in range(5):
        record(f'j-{n}', 'match', state='failed')
    found = counts(q='match')
    assert found['capped'] is True and found['counts'] == {'failed': 3}
    page = client.get('/admin/jobs?q=match', headers=admin).get_data(as_text=True)
    assert re.search(r'data-tab="failed"[^>]*>Failed <span class="count">3\+</span>', page)


def test_a_bad_filter_on_the_counts_is_a_clear_error(client, admin):
    response = client.get('/admin/api/counts', query_string={'since': 'yesterday'}, headers=admin)
    assert response.status_code == 400 and response.json['field'] == 'since'
    response = client.get('/admin/api/counts', query_string={'state': 'lost'}, headers=admin)
    assert response.status_code == 400 and response.json['field'] == 'state'


def tab_number(page, tab):
    return int(re.search(rf'data-tab="{tab}"[^>]*>[^<]*<span class="count">([\d,]+)', page)
               .group(1).replace(',', ''))


@pytest.mark.parametrize('state', ['', 'failed', 'succeeded'])
def test_a_search_pages_first_page_is_the_lists_whether_or_not_the_counts_held_it(
        app, db_backend, client, admin, search, monkeypatch, state):
    """The page reads its first page from the rows its counts found when they hold it
    whole (every tab here but Succeeded: one of its jobs is among the rows counted,
    the others are older); either way it shows what the list finds, with the same
    next page."""
    from collab.admin import views
    monkeypatch.setattr(tab_counts, 'COUNT_CAP', 5)
    monkeypatch.setattr(views, 'PAGE_SIZE', 2)
    for n in range(3):
        record(f's-{n}', 'paged', state='succeeded')
    for n in range(6):
        record(f'f-{n}', 'paged', state='failed')
    record('s-new', 'paged', state='succeeded')
    listed = search('paged', state=state, limit=2) if state else search('paged', limit=2)
    page = client.get('/admin/jobs', query_string={'q': 'paged', 'state': state},
                      headers=admin).get_data(as_text=True)
    shown = re.findall(r'href="/admin/jobs/([sf]-(?:\d|new))"', page)
    assert list(dict.fromkeys(shown)) == listed
    older = re.search(r'cursor=(\d+)[^"]*" rel="next"', page)
    assert older and int(older.group(1)) == Job.get(Job.job_id == listed[-1]).seq
