"""The admin's search over job arguments, with the args index (collab/jobs/args_index.py).

Most tests run on SQLite, where the index serves searches of 3 characters or
more, and on PostgreSQL, where the search scans the job table: the results
must be the same on both, before and after the index catches up.
"""
import threading
from datetime import timedelta

import pytest

from collab.admin import queries
from collab.jobs import args_index
from collab.jobs.args_index import JobArgsIndex
from collab.db import database, is_sqlite
from collab.fields import utcnow
from collab.schema import create_schema
from collab.jobs.models import Job
from tasks.housekeeping import index_job_args
from collab.jobs.prune import prune_jobs
from tests.support import sign_up


def record(job_id, *args, state='succeeded', **extra):
    """A ledger row as the ledger writes it."""
    return Job.create(job_id=job_id, task='tests.sample_tasks.succeed', state=state,
                      args={'args': list(args)}, **extra)


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


def indexed_seqs():
    """The seqs the index holds (none on PostgreSQL, which has no index)."""
    if not is_sqlite():
        return []
    return [row.rowid for row in JobArgsIndex.select(JobArgsIndex.rowid).order_by(JobArgsIndex.rowid)]


def caught_up():
    """Run the catch-up; on SQLite every job is then in the index."""
    added = args_index.catch_up()
    if is_sqlite():
        assert indexed_seqs() == [job.seq for job in Job.select(Job.seq).order_by(Job.seq)]
    else:
        assert added == 0   # PostgreSQL keeps scanning
    return added


# ---------------------------------------------------------------- results

def test_a_substring_of_the_args_finds_the_job_before_and_after_the_catch_up(
        app, db_backend, search):
    record('j-ann', 'alpha', 'user-42@example.com')
    record('j-bob', 'beta', 'user-7@example.com')
    assert search('r-42@exam') == ['j-ann']
    assert caught_up() == (2 if db_backend == 'sqlite' else 0)
    assert search('r-42@exam') == ['j-ann']
    assert search('example.com') == ['j-bob', 'j-ann']


def test_a_page_holds_new_and_indexed_jobs_newest_first(app, db_backend, search):
    for n in range(3):
        record(f'old-{n}', f'match-{n}')
    caught_up()
    for n in range(3):
        record(f'new-{n}', f'match-{n}')    # after the catch-up: not indexed yet
    assert search('match-') == ['new-2', 'new-1', 'new-0', 'old-2', 'old-1', 'old-0']
    assert search('match-1') == ['new-1', 'old-1']


def test_pages_by_cursor_across_new_and_indexed_jobs(app, db_backend, client, admin):
    for n in range(3):
        record(f'old-{n}', 'paged')
    caught_up()
    for n in range(3):
        record(f'new-{n}', 'paged')
    seen, cursor = [], None
    while True:
        params = {'q': 'paged', 'limit': 2, **({'cursor': cursor} if cursor else {})}
        page = client.get('/admin/api/jobs', query_string=params, headers=admin).json
        seen += [job['id'] for job in page['jobs']]
        cursor = page['next_cursor']
        if cursor is None:
            break
    assert seen == ['new-2', 'new-1', 'new-0', 'old-2', 'old-1', 'old-0']


def test_a_term_that_matches_nothing_finds_nothing(app, db_backend, search):
    record('j-1', 'alpha', 'user-42@example.com', 'abc-bcd')
    for phase in ('before', 'after'):
        assert search('no-such-text-anywhere') == [], phase
        assert search('user-42@example.org') == [], phase
        assert search('abcd') == [], phase   # both its trigrams are there, not together
        caught_up()


def test_short_queries_still_match(app, db_backend, search):
    record('j-short', 'ab-cd')
    record('j-other', 'xyz')
    for phase in ('before', 'after'):
        assert search('ab') == ['j-short'], phase
        assert search('b-') == ['j-short'], phase
        assert search('Y') == ['j-other'], phase
        caught_up()


@pytest.mark.parametrize('q, found', [
    ('say "hi"', ['quoted']), ('SAY "HI"', ['quoted']),
    ('café', ['quoted']), ('Café', ['quoted']),
    ('CAFÉ', []),                    # only ASCII letters fold: \u00c9 is not \u00e9
    ('100%', ['quoted']), ('a_b', ['quoted']), ('back\\slash', ['quoted']),
    ('"hi"', ['quoted']), ('ünïcödé', ['unicode']),
])
def test_quotes_non_ascii_and_like_wildcards_match_literally(app, db_backend, search, q, found):
    record('quoted', 'say "hi"', 'café', '100%', 'a_b', 'back\\slash')
    record('plain', 'say hi', 'cafe', '1000', 'axb', 'back/slash')
    record('unicode', 'ünïcödé')
    assert search(q) == found
    caught_up()
    assert search(q) == found


def test_a_search_in_a_large_tab_keeps_to_that_tab(app, search):
    # More jobs in the tab than queries.SCAN_ROWS, so the index serves it.
    now = utcnow()
    rows = [{'job_id': f'bulk-{n}', 'task': 't', 'state': 'succeeded', 'enqueued_at': now,
             'args': {'args': ['common']}} for n in range(queries.SCAN_ROWS + 10)]
    with database.atomic():
        for start in range(0, len(rows), 1000):
            Job.insert_many(rows[start:start + 1000]).execute()
    record('needle-ok', 'needle')
    record('needle-failed', 'needle', state='failed')
    caught_up()
    record('needle-new', 'needle')
    assert search('needle', state='succeeded') == ['needle-new', 'needle-ok']
    assert search('needle', state='failed') == ['needle-failed']
    assert search('needle') == ['needle-new', 'needle-failed', 'needle-ok']


def test_the_index_is_asked_for_rare_trigrams_even_when_the_newest_jobs_differ(app, search):
    rows = [{'job_id': f'old-{n}', 'task': 't', 'state': 'succeeded',
             'args': {'args': [f'example.com/{n}']}} for n in range(100)]
    rows[50]['args'] = {'args': ['example.com/needle']}
    rows += [{'job_id': f'new-{n}', 'task': 't', 'state': 'succeeded',
              'args': {'args': [n]}} for n in range(50)]
    Job.insert_many(rows).execute()
    caught_up()
    match = args_index.prepare('example.com/needle').match
    # "exa" & co. are in most rows (none of the newest): asking for them would
    # walk most of the index. "nee" & co. are in one.
    assert '"exa"' not in match and '"xam"' not in match
    assert any(f'"{t}"' in match for t in ('m/n', '/ne', 'nee', 'eed', 'edl', 'dle'))
    assert search('example.com/needle') == ['old-50']


# ---------------------------------------------------------------- deleted jobs

def test_pruned_jobs_are_not_found_and_leave_the_index(app, db_backend, settings, search):
    long_ago = utcnow() - timedelta(days=settings.job_retention_days + 1)
    old = record('j-old', 'findme-old', finished_at=long_ago)
    recent = record('j-recent', 'findme-recent', finished_at=utcnow())
    caught_up()
    assert prune_jobs(settings) == 1
    assert search('findme') == ['j-recent'] and search('findme-old') == []
    caught_up()   # drops the pruned job's entry
    assert indexed_seqs() == ([recent.seq] if db_backend == 'sqlite' else [])
    assert search('findme') == ['j-recent'] and search('findme-old') == []
    assert old.seq not in indexed_seqs()


def test_jobs_over_the_row_limit_are_pruned_from_the_index_too(app, search, make_settings):
    limit = 1000   # the smallest JOB_RETENTION_ROWS the settings allow
    settings = make_settings(JOB_RETENTION_ROWS=str(limit))
    rows = [{'job_id': f'row-{n}', 'task': 't', 'state': 'succeeded',
             'args': {'args': [f'row-{n:04d}']}} for n in range(limit + 5)]
    Job.insert_many(rows).execute()
    caught_up()
    assert prune_jobs(settings) == 5
    assert search('row-0004') == [] and search('row-0005') == ['row-5']
    caught_up()
    assert len(indexed_seqs()) == limit
    assert search('row-0004') == [] and search('row-0005') == ['row-5']


def test_a_deleted_job_is_not_found_and_leaves_the_index(app, db_backend, client, admin, search):
    gone = record('j-gone', 'deleteme')
    caught_up()
    response = client.post('/admin/api/jobs/j-gone/delete', headers=admin)
    assert response.status_code == 200, response.json
    assert search('deleteme') == []
    caught_up()
    assert gone.seq not in indexed_seqs()
    assert search('deleteme') == []


def test_a_new_job_on_a_deleted_newest_jobs_seq_is_found(app, db_backend, client, admin, search):
    record('j-first', 'first')
    newest = record('j-second', 'second')
    caught_up()
    assert client.post('/admin/api/jobs/j-second/delete', headers=admin).status_code == 200
    third = record('j-third', 'third')
    if db_backend == 'sqlite':
        assert third.seq == newest.seq   # SQLite hands out the freed seq again
    assert search('third') == ['j-third'] and search('second') == []
    caught_up()
    assert search('third') == ['j-third'] and search('second') == []


def test_a_new_job_on_the_seq_of_a_pruned_newest_job_is_found(app, db_backend, settings, search):
    long_ago = utcnow() - timedelta(days=settings.job_retention_days + 1)
    record('j-old-1', 'pruned', finished_at=long_ago)
    record('j-old-2', 'pruned', finished_at=long_ago)
    record('j-recent', 'kept', finished_at=utcnow())
    newest = record('j-old-3', 'pruned', finished_at=long_ago)
    caught_up()
    assert prune_jobs(settings) == 3
    fresh = record('j-fresh', 'fresh')
    record('j-later', 'later')
    if db_backend == 'sqlite':
        assert fresh.seq == newest.seq
    assert search('fresh') == ['j-fresh'] and search('pruned') == []
    # One entry dropped and one job indexed per run: both new jobs are indexed
    # before the pruned jobs' entries are all dropped, and must stay indexed.
    args_index.catch_up(batch=1, seconds=0)
    args_index.catch_up(batch=1, seconds=0)
    caught_up()
    assert search('fresh') == ['j-fresh'] and search('pruned') == []


# ---------------------------------------------------------------- the catch-up

def test_the_catch_up_resumes_where_it_stopped_and_adds_nothing_twice(app, search):
    jobs = [record(f'j-{n}', f'resume-{n}') for n in range(5)]
    assert args_index.catch_up(batch=2, seconds=0) == 2   # one batch, then out of time
    assert args_index.watermark() == jobs[1].seq
    assert search('resume-4') == ['j-4']                     # still found, by the scan
    assert args_index.catch_up(batch=2, seconds=0) == 2
    assert args_index.catch_up(batch=2) == 1
    assert args_index.catch_up() == 0
    assert indexed_seqs() == [job.seq for job in jobs]
    assert search('resume-') == [f'j-{n}' for n in range(4, -1, -1)]


def test_catch_ups_running_at_once_index_each_job_once(app):
    jobs = [record(f'j-{n}', f'together-{n}') for n in range(60)]
    added = []

    def run():
        with database.connection_context():
            added.append(args_index.catch_up(batch=5))
    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(added) == 60
    assert indexed_seqs() == [job.seq for job in jobs]


def test_an_existing_database_gets_the_index_on_upgrade(app, search):
    record('j-before', 'from-before-the-upgrade')
    for table in ('job_args_index', 'job_args_forget'):   # as a database from before it
        database.execute_sql(f'DROP TABLE {table}')
    assert not args_index.installed()
    assert search('before-the-upgrade') == ['j-before']     # scanned meanwhile
    create_schema()                                          # what every start runs
    assert args_index.installed()
    assert caught_up() == 1
    assert search('before-the-upgrade') == ['j-before']


def test_the_periodic_task_indexes_new_jobs(app):
    job = record('j-periodic', 'periodic')
    assert index_job_args.call_local() == 1
    assert args_index.watermark() == job.seq

