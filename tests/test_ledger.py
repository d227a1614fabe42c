"""The job ledger with a real consumer, on SQLite and Redis queue storage."""
import pickle
from datetime import datetime, timedelta, timezone

import pytest
from huey import group
from huey.serializer import SignedSerializer

from collab.admin.queries import attempts_of
from collab.jobs.models import DeadLetter, Job, JobAttempt
from collab.jobs.instance import huey
from tests.sample_tasks import (add, always_fail, calls, flaky, never_due, succeed,
                                total)
from tests.support import job, wait_for_state, wait_until

pytestmark = pytest.mark.usefixtures('queue_backend')


def test_a_job_that_succeeds_is_recorded_from_queue_to_end(app, consumer):
    result = succeed(41)
    row = wait_for_state(result.id, 'succeeded')
    assert row.task == 'tests.sample_tasks.succeed'
    assert row.to_dict()['args'] == [41]
    assert row.attempts == 1 and row.max_attempts == 4
    assert row.started_at >= row.enqueued_at and row.finished_at >= row.started_at
    assert row.duration_ms is not None and row.consumer == consumer.id
    [attempt] = attempts_of(row)
    assert (attempt.outcome, attempt.started_at, attempt.consumer) == (
        'succeeded', row.started_at, consumer.id)


def test_a_job_is_queued_until_a_consumer_takes_it(app):
    result = succeed(1)
    assert job(result.id).state == 'queued'


@pytest.mark.slow
def test_retries_keep_one_record_and_back_off(app, consumer):
    result = flaky('flaky-a', failures=2)
    seen = set()

    def finished():
        row = job(result.id)
        seen.add(row.state if row else None)
        return row if row and row.state == 'succeeded' else None
    row = wait_until(finished, timeout=20, message='flaky job to succeed')
    assert 'retrying' in seen
    assert row.attempts == 3 and Job.select().where(Job.job_id == result.id).count() == 1
    runs = calls['flaky-a']
    first_gap, second_gap = runs[1] - runs[0], runs[2] - runs[1]
    # Huey counts a retry's delay from when the worker took the job (the moment
    # before its body starts, where these times are taken): a few ms of slack.
    slack = 0.05
    assert first_gap >= 1.0 - slack and second_gap >= 2.0 - slack, (first_gap, second_gap)
    outcomes = [a.outcome for a in JobAttempt.select().where(JobAttempt.job_id == result.id)
                .order_by(JobAttempt.id)]
    assert outcomes == ['error', 'error', 'succeeded']


def test_a_job_that_always_fails_ends_failed_and_alerts_once(app, consumer, webhook):
    result = always_fail('doomed')
    row = wait_for_state(result.id, 'failed', timeout=20)
    assert row.attempts == 4 and len(calls['doomed']) == 4
    assert row.error.startswith('ValueError: always fails')
    attempts = [a for a in JobAttempt.select().where(JobAttempt.job_id == result.id)]
    assert len(attempts) == 4 and all('Traceback' in a.traceback for a in attempts)
    wait_until(lambda: webhook.requests, timeout=5, message='the alert webhook')
    assert len(webhook.requests) == 1
    assert result.id in webhook.requests[0]['body']['text']


def test_a_pipeline_records_each_stage_linked(app, consumer):
    pipeline = add.s(1, 2).then(add, 10)
    first, second = huey.enqueue(pipeline)
    head = wait_for_state(first.id, 'succeeded')
    tail = wait_for_state(second.id, 'succeeded')
    assert tail.parent_id == head.job_id
    assert head.pipeline_id == tail.pipeline_id == head.job_id
    assert tail.to_dict()['args'] == [10, 3]


def test_a_later_stage_appears_only_when_it_is_enqueued(app):
    first, second = huey.enqueue(add.s(1, 2).then(add, 10))
    assert job(first.id).state == 'queued'
    assert job(second.id) is None


def test_a_chord_links_members_and_callback(app, consumer):
    result = huey.enqueue(group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]).then(total))
    callback = wait_for_state(result.callback.id, 'succeeded')
    members = [wait_for_state(r.id, 'succeeded') for r in result.results]
    assert {m.group_id for m in members} == {callback.group_id}
    assert {m.group_kind for m in members} == {'chord'} and callback.group_kind == 'chord'
    assert callback.parent_id in {m.job_id for m in members}
    assert sorted(calls['total'][0]) == [2, 4, 6]


def test_a_group_shares_one_group_id(app, consumer):
    results = huey.enqueue(group([succeed.s(1), succeed.s(2)]))
    rows = [wait_for_state(r.id, 'succeeded') for r in results]
    assert rows[0].group_id and rows[0].group_id == rows[1].group_id
    assert {r.group_kind for r in rows} == {'group'}


def test_a_revoked_scheduled_job_never_runs(app, consumer):
    result = succeed.schedule((99,), delay=1.5)
    wait_for_state(result.id, 'scheduled')
    result.revoke()
    wait_for_state(result.id, 'revoked', timeout=10)
    assert 99 not in calls['succeed']


def test_an_expired_job_is_recorded_expired(app, consumer):
    # A delay in seconds counts from each enqueue; a moment in time does not move.
    deadline = datetime.now(timezone.utc) + timedelta(seconds=0.5)
    result = succeed.schedule((7,), delay=1.5, expires=deadline)
    wait_for_state(result.id, 'expired', timeout=10)
    assert 7 not in calls['succeed']


def test_each_periodic_run_gets_its_own_record(app, consumer):
    first = huey.enqueue(never_due.s())
    second = huey.enqueue(never_due.s())
    assert first.id != second.id
    for result in (first, second):
        assert wait_for_state(result.id, 'succeeded').task == 'tests.sample_tasks.never_due'


def test_a_tampered_message_is_refused_never_unpickled_and_recorded(app, consumer, tmp_path):
    marker = tmp_path / 'unpickled'

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), 'w'))
    forged = SignedSerializer(secret='not our key', salt='collab.tasks')._sign(pickle.dumps(Exploit()))
    huey.storage.enqueue(forged)
    huey.storage.enqueue(b'not a message at all')
    wait_until(lambda: huey.ledger.flush() and DeadLetter.select().count() == 2, timeout=10,
               message='two dead letters')
    assert not marker.exists()
    errors = [d.error for d in DeadLetter.select()]
    assert all('Signature' in e or 'Separator' in e for e in errors), errors
    # The consumer keeps working afterwards.
    wait_for_state(succeed(5).id, 'succeeded')


def test_a_ledger_failure_never_breaks_the_task(app, consumer):
    from collab.db import database
    database.execute_sql('ALTER TABLE job RENAME TO job_away')
    try:
        succeed(123)
        wait_until(lambda: 123 in calls['succeed'], timeout=10, message='the task to run')
    finally:
        huey.ledger.flush(30)
        database.execute_sql('ALTER TABLE job_away RENAME TO job')


@pytest.mark.parametrize('queue_backend', ['redis'])   # only Redis can be down while the app runs
def test_an_enqueue_while_redis_is_down_is_never_recorded_as_queued(app, queue_backend, redis_server):
    redis_server.stop()
    try:
        with pytest.raises(Exception):
            succeed(1)
    finally:
        redis_server.start()
    huey.ledger.flush()
    assert Job.select().count() == 0
