"""How the ledger writer records a batch in which one job's events all arrive
(a queue that keeps up): folded into one row write, with the same record as
when each event comes in a batch of its own. On SQLite and PostgreSQL."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from collab.admin.queries import attempts_of
from collab.db import database
from collab.fields import utcnow
from collab.jobs.instance import huey
from collab.jobs.ledger.batch import write_batch
from collab.jobs.ledger.events import Finished, Run, Scheduled, Stored
from collab.jobs.models import FAILED, RETRYING, SUCCEEDED, Job, JobAttempt
from tests.sample_tasks import calls, flaky_now, succeed
from tests.support import wait_for_state

pytestmark = pytest.mark.usefixtures('db_backend')


def stored_event(task):
    """The job stored by this thread, as the 'stored' receiver reports it."""
    return Stored(task, utcnow(), task.retries, task.eta, huey.context.current, None)


def events(task, end_state=None, error=None):
    """Stored, Run and (with an end state) Finished, as the receivers report them."""
    huey.serialize_task(task)
    stored = stored_event(task)
    time.sleep(0.002)   # a run starts a little after its job was stored
    found = [stored, Run(task, task.retries, utcnow(), 'consumer-1')]
    if end_state:
        outcome = 'succeeded' if end_state == SUCCEEDED else 'error'
        found.append(Finished(task.id, end_state, utcnow(), 2.5, outcome, error))
    return found


def write(events):
    """One batch, as the ledger writer writes it."""
    write_batch(database.obj, events)


def record(task):
    return Job.get(Job.job_id == task.id)


def outcomes(task):
    return [a.outcome for a in attempts_of(record(task))]


def attempt_rows(task):
    return JobAttempt.select().where(JobAttempt.job_id == task.id).count()


@pytest.mark.parametrize('arrival', ['one batch', 'run reported first', 'a batch each',
                                     'run written first'])
def test_a_job_stored_and_run_is_recorded_alike_however_its_events_arrive(app, arrival):
    task = succeed.s(3)
    stored, started, ended = events(task, SUCCEEDED)
    if arrival == 'one batch':
        write([stored, started, ended])
    elif arrival == 'run reported first':   # a worker beat the storing thread to the writer
        write([started, ended, stored])
    elif arrival == 'run written first':   # by a consumer in another process
        write([started, ended])
        write([stored])
    else:
        for event in (stored, started, ended):
            write([event])
    row = record(task)
    assert (row.state, row.attempts, row.consumer, row.duration_ms) == (SUCCEEDED, 1, 'consumer-1', 2.5)
    assert row.to_dict()['args'] == [3] and bytes(row.message) == task.signed_message
    # Enqueued when it was stored, whichever event came first.
    assert row.enqueued_at == stored.at < row.started_at
    assert row.finished_at >= row.started_at
    assert outcomes(task) == ['succeeded']
    # Folded, a first attempt that succeeded is the job's own row: no attempt row.
    assert attempt_rows(task) == (1 if arrival == 'a batch each' else 0)


def test_a_run_recorded_before_its_store_keeps_the_message_to_run_it_again(app):
    """A worker's task comes from the queue's message: its row can be retried (or
    recovered) even when the job's store never reaches the ledger."""
    data = huey.serialize_task(succeed.s(4))
    task = huey.deserialize_task(data)
    write([Run(task, task.retries, utcnow(), 'consumer-1')])
    assert bytes(record(task).message) == data


@pytest.mark.parametrize('arrival', ['one batch', 'a batch each'])
def test_a_store_reported_after_the_retrys_schedule_keeps_the_retrys_message(app, arrival):
    """The thread that stored a job may report it after a worker ran it, failed and
    put its retry in the schedule: the row keeps the message the schedule holds."""
    task = flaky_now.s('late-store', 1)
    huey.serialize_task(task)
    stored = stored_event(task)
    retry = huey.deserialize_task(task.signed_message)   # the worker's copy, from the queue
    ran = [Run(retry, retry.retries, utcnow(), 'consumer-1'),
           Finished(retry.id, RETRYING, utcnow(), 2.5, 'error', 'boom')]
    retry.retries -= 1
    retry.eta = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)
    huey.serialize_task(retry)
    batches = [ran + [Scheduled(retry, utcnow(), retry.retries, retry.eta), stored]]
    for batch in (batches if arrival == 'one batch' else [[event] for event in batches[0]]):
        write(batch)
    row = record(task)
    assert (row.state, row.attempts) == (RETRYING, 1)
    assert bytes(row.message) == retry.signed_message != task.signed_message
    assert row.scheduled_for == retry.eta


@pytest.mark.parametrize('arrival', ['one batch', 'a batch each'])
def test_a_store_reported_after_the_consumer_scheduled_it_keeps_the_schedules_message(
        app, arrival):
    """A job enqueued with a time: the consumer (another process, its own writer)
    may record the schedule's copy of the message before the enqueuing process
    records the queue's. The row keeps the schedule's: run now finds the job by it.
    The copies differ: the consumer gives the task its TASK_TIMEOUT first."""
    task = succeed.s('later')
    task.eta = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1)
    huey.serialize_task(task)
    stored = stored_event(task)
    in_schedule = huey.deserialize_task(task.signed_message)   # the consumer's copy
    in_schedule.timeout = 300
    huey.serialize_task(in_schedule)
    scheduled = Scheduled(in_schedule, utcnow(), in_schedule.retries, in_schedule.eta)
    for batch in ([[scheduled, stored]] if arrival == 'one batch' else [[scheduled], [stored]]):
        write(batch)
    row = record(task)
    assert row.state == 'scheduled' and row.scheduled_for == task.eta
    assert bytes(row.message) == in_schedule.signed_message != task.signed_message


def test_a_job_still_running_at_the_end_of_a_batch_is_running_with_an_open_attempt(app):
    task = succeed.s(4)
    write(events(task))
    row = record(task)
    assert (row.state, row.attempts, row.finished_at) == ('running', 1, None)
    assert outcomes(task) == [None]


def test_a_retry_stored_and_run_in_one_batch_adds_an_attempt(app):
    task = succeed.s(5)
    write(events(task, RETRYING, 'ValueError: first'))
    write(events(task, FAILED, 'ValueError: second'))
    row = record(task)
    assert (row.state, row.attempts, row.error) == (FAILED, 2, 'ValueError: second')
    assert outcomes(task) == ['error', 'error']


def test_a_success_after_a_failed_attempt_keeps_both_attempt_rows(app, consumer):
    result = flaky_now('again-at-once', failures=1)   # back in the queue, run again at once
    row = wait_for_state(result.id, SUCCEEDED)
    assert row.attempts == 2 and len(calls['again-at-once']) == 2
    assert [a.outcome for a in attempts_of(row)] == ['error', 'succeeded']


def test_a_pipeline_stage_keeps_its_links_when_folded(app):
    head = succeed.s(1).then(succeed, 2)
    write(events(head, SUCCEEDED))
    huey.context.current = head   # the head's thread stores the next stage
    try:
        write(events(head.on_complete, SUCCEEDED))
    finally:
        huey.context.current = None
    stage = record(head.on_complete)
    assert stage.parent_id == head.id and stage.pipeline_id == head.id


def test_task_ids_are_unique_uuids_that_grow_with_time(app):
    ids = [succeed.s(n).id for n in range(1000)]
    assert len(set(ids)) == 1000
    parsed = [uuid.UUID(i) for i in ids]
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    millis = [u.int >> 80 for u in parsed]
    assert millis == sorted(millis) and abs(millis[0] / 1000 - time.time()) < 5


def test_many_jobs_in_one_batch_each_get_their_own_record(app):
    tasks = [succeed.s(n) for n in range(120)]   # more jobs than one statement writes
    stored, started, ended = zip(*(events(task, SUCCEEDED) for task in tasks))
    write([*stored, *started, *ended])
    rows = {row.job_id: row for row in Job.select().where(Job.job_id.in_([t.id for t in tasks]))}
    assert [rows[t.id].to_dict()['args'] for t in tasks] == [[n] for n in range(120)]
    assert {(row.state, row.attempts) for row in rows.values()} == {(SUCCEEDED, 1)}


def test_a_job_that_fails_and_runs_again_within_one_batch_has_both_attempts(app):
    task = succeed.s(7)
    first = events(task, RETRYING, 'ValueError: first')
    huey.context.current = task   # a retry is stored by the failed run's own thread
    try:
        again = stored_event(task)
    finally:
        huey.context.current = None
    second = events(task, SUCCEEDED)[1:]
    write(first + [again] + second)
    row = record(task)
    assert (row.state, row.attempts) == (SUCCEEDED, 2)
    assert outcomes(task) == ['error', 'succeeded']
