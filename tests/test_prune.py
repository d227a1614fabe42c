"""Pruning of job records: by age (failed ones kept longer), by count, in chunks
of short write transactions, and on a thread of its own beside the heartbeat.
On SQLite and PostgreSQL."""
import sqlite3
from datetime import timedelta

import pytest

from collab.jobs.counts import state_counts
from collab.db import database
from collab.fields import utcnow
from collab.jobs.models import DeadLetter, Job, JobAttempt
from collab.jobs import prune
from collab.jobs.prune import prune_jobs
from collab.jobs.runner import ConsumerRunner

pytestmark = pytest.mark.usefixtures('app')


def days_ago(days):
    return utcnow() - timedelta(days=days)


def add_jobs(prefix, count, state='succeeded', finished_at=None):
    rows = [{'job_id': f'{prefix}-{n}', 'task': 'tests.sample_tasks.succeed', 'state': state,
             'finished_at': finished_at} for n in range(count)]
    for start in range(0, count, 1000):
        Job.insert_many(rows[start:start + 1000]).execute()


def job_ids():
    return {job_id for job_id, in Job.select(Job.job_id).tuples()}


@pytest.mark.usefixtures('db_backend')
def test_jobs_are_pruned_by_age_and_failed_ones_are_kept_longer(settings):
    add_jobs('done-15d', 1, finished_at=days_ago(15))
    add_jobs('done-13d', 1, finished_at=days_ago(13))
    add_jobs('failed-15d', 1, state='failed', finished_at=days_ago(15))
    add_jobs('failed-31d', 1, state='failed', finished_at=days_ago(31))
    add_jobs('running', 1, state='running')
    JobAttempt.create(job_id='failed-31d-0', started_at=days_ago(31))
    JobAttempt.create(job_id='failed-15d-0', started_at=days_ago(15))
    DeadLetter.create(source='queue', error='bad signature', data=b'x', received_at=days_ago(31))
    DeadLetter.create(source='queue', error='bad signature', data=b'y', received_at=days_ago(1))

    assert prune_jobs(settings) == 2
    assert job_ids() == {'done-13d-0', 'failed-15d-0', 'running-0'}
    assert [a.job_id for a in JobAttempt.select()] == ['failed-15d-0']
    assert [bytes(d.data) for d in DeadLetter.select()] == [b'y']
    assert state_counts() == {'succeeded': 1, 'failed': 1, 'running': 1}


@pytest.mark.usefixtures('db_backend')
def test_a_backlog_bigger_than_one_transaction_is_pruned_in_full(settings):
    backlog = 2 * prune.CHUNK_ROWS + 7
    add_jobs('old', backlog, finished_at=days_ago(20))
    add_jobs('new', 3, finished_at=days_ago(1))

    assert prune_jobs(settings) == backlog
    assert job_ids() == {'new-0', 'new-1', 'new-2'}
    assert state_counts() == {'succeeded': 3}


@pytest.mark.usefixtures('db_backend')
def test_the_row_limit_keeps_the_newest_jobs(make_settings):
    limited = make_settings(JOB_RETENTION_ROWS='1000')
    add_jobs('job', 1004, finished_at=days_ago(1))

    assert prune_jobs(limited) == 4
    assert job_ids() == {f'job-{n}' for n in range(4, 1004)}


def test_pruning_runs_on_its_own_thread_not_the_heartbeats(settings):
    """SQLite: another connection holds the write lock, so the prune has to wait."""
    add_jobs('old', 3, finished_at=days_ago(20))
    runner = ConsumerRunner(settings, embedded=True, workers=1)
    holder = sqlite3.connect(database.obj.database, isolation_level=None)
    holder.execute('BEGIN IMMEDIATE')
    try:
        pruning = runner.start_pruning()   # returns while the prune waits for the lock
        assert pruning.name == 'prune' and pruning.is_alive()
        assert runner.start_pruning() is pruning   # one prune at a time
    finally:
        holder.rollback()
        holder.close()
    pruning.join(30)
    assert not pruning.is_alive() and job_ids() == set()
