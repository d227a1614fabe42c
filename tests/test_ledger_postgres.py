"""The job ledger with PostgreSQL as the app database (the scale-out set-up) and a real
consumer, on SQLite and Redis queue storage: the main scenarios of test_ledger.py."""
import pytest
from huey import group

from collab.admin.queries import attempts_of
from collab.db import database
from collab.jobs.models import Job, JobAttempt
from collab.jobs.instance import huey
from tests.sample_tasks import add, always_fail, calls, succeed, total
from tests.support import job, wait_for_state, wait_until

pytestmark = [pytest.mark.usefixtures('db_backend', 'queue_backend'),
              pytest.mark.parametrize('db_backend', ['postgres'], indirect=True)]


def test_the_app_database_is_postgresql(app, db_backend):
    assert type(database.obj).__name__.startswith('Postgres')


def test_a_job_that_succeeds_is_recorded_from_queue_to_end(app, consumer):
    result = succeed(41)
    row = wait_for_state(result.id, 'succeeded')
    assert row.task == 'tests.sample_tasks.succeed' and row.to_dict()['args'] == [41]
    assert row.attempts == 1 and row.max_attempts == 4
    assert row.started_at >= row.enqueued_at and row.finished_at >= row.started_at
    assert row.duration_ms is not None and row.consumer == consumer.id
    assert [a.outcome for a in attempts_of(row)] == ['succeeded']


def test_a_job_is_queued_until_a_consumer_takes_it(app):
    result = succeed(1)
    assert job(result.id).state == 'queued'


def test_a_job_that_always_fails_ends_failed_after_4_attempts_and_alerts_once(
        app, consumer, webhook):
    result = always_fail('doomed-pg')
    row = wait_for_state(result.id, 'failed', timeout=20)
    assert row.attempts == 4 and len(calls['doomed-pg']) == 4
    assert row.error.startswith('ValueError: always fails')
    attempts = list(JobAttempt.select().where(JobAttempt.job_id == result.id)
                    .order_by(JobAttempt.id))
    assert [a.outcome for a in attempts] == ['error'] * 4
    assert all('Traceback' in a.traceback for a in attempts)
    wait_until(lambda: webhook.requests, timeout=5, message='the alert webhook')
    assert len(webhook.requests) == 1 and result.id in webhook.requests[0]['body']['text']


def test_a_pipeline_records_each_stage_linked(app, consumer):
    first, second = huey.enqueue(add.s(1, 2).then(add, 10))
    head = wait_for_state(first.id, 'succeeded')
    tail = wait_for_state(second.id, 'succeeded')
    assert tail.parent_id == head.job_id
    assert head.pipeline_id == tail.pipeline_id == head.job_id
    assert tail.to_dict()['args'] == [10, 3]


def test_a_chord_links_members_and_callback(app, consumer):
    result = huey.enqueue(group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]).then(total))
    callback = wait_for_state(result.callback.id, 'succeeded')
    members = [wait_for_state(r.id, 'succeeded') for r in result.results]
    assert callback.group_id and {m.group_id for m in members} == {callback.group_id}
    assert {m.group_kind for m in members} == {'chord'} and callback.group_kind == 'chord'
    assert callback.parent_id in {m.job_id for m in members}
    assert sorted(calls['total'][0]) == [2, 4, 6]


def test_many_jobs_at_once_each_end_with_one_true_record(app, consumer):
    results = [succeed(n) for n in range(40)]
    for result in results:
        wait_for_state(result.id, 'succeeded')
    ids = [r.id for r in results]
    assert Job.select().where(Job.job_id.in_(ids)).count() == 40
    assert {row.attempts for row in Job.select().where(Job.job_id.in_(ids))} == {1}
    assert [a.outcome for r in Job.select().where(Job.job_id.in_(ids))
            for a in attempts_of(r)] == ['succeeded'] * 40
