"""The admin's search over job logs: on SQLite through the log index (a trigram
index with a row per job, caught up with the args index), found before and
after its catch-up; on PostgreSQL a scan.
Deleted jobs leave it, a job that logs again is found by its new words, and a
log row or job on a deleted newest one's id is found."""
import json

import pytest

from collab.db import database
from collab.fields import utcnow
from collab.jobs import log_search
from collab.jobs.models import Job, JobLogChunk
from tasks.housekeeping import index_job_args
# The same fixtures as the other search tests: an admin's headers; the ids the API finds.
from tests.test_admin_search_more import admin, search  # noqa: F401


def job_that_logged(job_id, *messages):
    Job.create(job_id=job_id, task='tests.sample_tasks.succeed', state='succeeded',
               args={'args': []})
    return JobLogChunk.create(job_id=job_id, attempt_started=utcnow(), records=json.dumps(
        [[1796151242.5, 'INFO', 'tests', message] for message in messages]))


def logged_again(job_id, *messages):
    return JobLogChunk.create(job_id=job_id, attempt_started=utcnow(), records=json.dumps(
        [[1796151242.5, 'INFO', 'tests', message] for message in messages]))


def caught_up():
    log_search.INDEX.catch_up()


def indexed_rows():
    index = log_search.JobLogIndex
    return {rowid for rowid, in index.select(index.rowid).tuples()}


def seq(job_id):
    return Job.get(Job.job_id == job_id).seq


@pytest.mark.parametrize('indexed', [False, True], ids=['new', 'indexed'])
def test_a_word_in_a_jobs_logs_finds_it_before_and_after_the_catch_up(app, db_backend, search,
                                                                      indexed):
    job_that_logged('j-1', 'rendered page 1')
    job_that_logged('j-2', 'rendered page 2', 'checksum-mismatch in part 7')
    job_that_logged('j-3', 'rendered page 3')
    if indexed:
        index_job_args.call_local()   # the periodic task catches the log index up too
        if db_backend == 'sqlite':
            assert indexed_rows() == {seq('j-1'), seq('j-2'), seq('j-3')}
    assert search('checksum-mismatch') == ['j-2']
    assert search('rendered page') == ['j-3', 'j-2', 'j-1']
    assert search('no such words') == []
    assert search('rendered page', state='succeeded') == ['j-3', 'j-2', 'j-1']
    assert search('rendered page', state='failed') == []
    assert search('page 2', state='succeeded,failed') == ['j-2']


def test_a_deleted_jobs_logs_leave_the_index(app, client, admin, search):
    job_that_logged('j-old', 'quokkafish said hello')
    kept = job_that_logged('j-kept', 'wombat said hello')
    caught_up()
    assert client.post('/admin/api/jobs/j-old/delete', headers=admin).status_code == 200
    assert search('quokkafish') == []
    caught_up()
    assert indexed_rows() == {seq(kept.job_id)}


def test_a_job_that_logs_again_is_found_by_its_old_and_new_words(app, search):
    job_that_logged('j-1', 'first attempt: wombat')
    job_that_logged('j-2', 'something else')
    caught_up()
    logged_again('j-1', 'second attempt: quokka')
    assert search('quokka') == ['j-1'] and search('wombat') == ['j-1']
    caught_up()
    assert indexed_rows() == {seq('j-1'), seq('j-2')}
    assert search('quokka') == ['j-1'] and search('wombat') == ['j-1']
    assert search('attempt') == ['j-1'] and search('something') == ['j-2']


def test_a_job_on_a_deleted_newest_jobs_seq_is_found_by_its_own_logs(app, client, admin, search):
    job_that_logged('j-first', 'first words')
    job_that_logged('j-second', 'second words')
    caught_up()
    old_seq = seq('j-second')
    assert client.post('/admin/api/jobs/j-second/delete', headers=admin).status_code == 200
    job_that_logged('j-third', 'third words')
    assert seq('j-third') == old_seq   # SQLite hands out the freed seq again
    assert search('third words') == ['j-third'] and search('second words') == []
    caught_up()
    assert search('third words') == ['j-third'] and search('second words') == []
    assert indexed_rows() == {seq('j-first'), old_seq}


def test_a_log_row_on_a_deleted_newest_rows_id_is_found(app, client, admin, search):
    job_that_logged('j-first', 'first words')
    newest = job_that_logged('j-second', 'second words')
    caught_up()
    assert client.post('/admin/api/jobs/j-second/delete', headers=admin).status_code == 200
    third = job_that_logged('j-third', 'third words')
    assert third.id == newest.id   # SQLite hands out the freed id again
    assert search('third words') == ['j-third'] and search('second words') == []
    caught_up()
    assert search('third words') == ['j-third'] and search('second words') == []


def test_a_pages_list_and_counts_prepare_the_log_search_once(app, client, admin):
    job_that_logged('j-1', 'rendered page 1')
    caught_up()
    asked = []

    def rarity_probe(event):   # which trigrams of the search are rare: asked once a search
        if 'CASE WHEN COUNT' in event.sql and 'job_log_search' in event.sql:
            asked.append(event.sql)
    database.obj.query_hooks.append(rarity_probe)
    try:
        page = client.get('/admin/jobs', query_string={'q': 'rendered'}, headers=admin)
    finally:
        database.obj.query_hooks.remove(rarity_probe)
    assert page.status_code == 200 and 'j-1' in page.get_data(True)
    assert len(asked) == 1


def test_the_index_is_walked_newest_first_from_its_own_rows(app):
    """The log index is the outer loop of its walk, in rowid (job seq) order: a
    page of a word in many jobs reads a page of the index, not every match."""
    job_that_logged('j-1', 'rendered page 1')
    caught_up()
    found = log_search.LogSearch('rendered')
    query = found.indexed_query([Job.seq], [Job.state == 'succeeded'], 50, None)
    sql, params = query.sql()
    plan = ' | '.join(row[-1] for row in database.execute_sql('EXPLAIN QUERY PLAN ' + sql, params))
    # 192: FTS5 walks its rowids (ORDER BY consumed), descending.
    assert plan.split(' | ')[0].endswith('VIRTUAL TABLE INDEX 192:M1'), plan
    assert 'USE TEMP B-TREE FOR ORDER BY' not in plan, plan


def test_an_upgrade_drops_the_old_index_and_indexes_every_log_again(app, search):
    job_that_logged('j-1', 'rendered page 1')
    database.execute_sql('CREATE TABLE job_log_index (rowid INTEGER PRIMARY KEY, records TEXT)')
    log_search.JobLogMark.delete().execute()
    log_search.INDEX.install()
    assert 'job_log_index' not in database.get_tables()
    assert log_search.INDEX.watermark() == 0 and search('rendered') == ['j-1']
    caught_up()
    assert indexed_rows() == {seq('j-1')} and search('rendered') == ['j-1']
