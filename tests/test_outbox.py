"""The outbox: jobs accepted in a database transaction reach the queue and the ledger.

Every test runs on SQLite and on PostgreSQL; the outage test on Redis queue storage.
"""
import time

import pytest

from collab.fields import utcnow
from collab.jobs.models import DeadLetter, Job, OutboxMessage
from collab.transactions import writing
from collab.jobs import outbox
from collab.jobs.instance import huey
from collab.jobs.names import task_name
from tests.sample_tasks import add, calls, succeed
from tests.support import wait_until

pytestmark = pytest.mark.usefixtures('db_backend')


def accept(*tasks, wake=True):
    """Accept tasks as a web request does: in a write transaction, then wake the dispatcher."""
    with writing():
        for task in tasks:
            outbox.put(task)
    if wake:
        outbox.dispatcher.wake()


def test_an_accepted_job_reaches_the_queue_and_is_recorded_as_accepted(app):
    before = utcnow()
    task = succeed.s(7)
    accept(task, wake=False)
    after = utcnow()
    time.sleep(0.01)   # it moves later than it was accepted
    assert huey.ledger.flush()
    assert OutboxMessage.select().count() == 0
    assert huey.storage.queue_size() == 1
    row = Job.get(Job.job_id == task.id)
    assert (row.state, row.task, row.to_dict()['args']) == ('queued', 'tests.sample_tasks.succeed', [7])
    assert before <= row.enqueued_at <= after   # when it was accepted, not when it moved
    # The stored message runs it again (the admin's retry).
    assert huey.deserialize_task(bytes(row.message)).id == task.id


def test_a_rolled_back_transaction_leaves_no_job(app):
    with pytest.raises(RuntimeError):
        with writing():
            outbox.put(succeed.s(1))
            raise RuntimeError('the change failed')
    assert huey.ledger.flush()
    assert OutboxMessage.select().count() == Job.select().count() == huey.storage.queue_size() == 0


def test_an_accepted_pipeline_keeps_its_links_and_runs(app, consumer):
    head = add.s(1, 2).then(add, 10)
    accept(head)

    def both_succeeded():
        huey.ledger.flush()
        rows = list(Job.select().where(Job.pipeline_id == head.id))
        return rows if len(rows) == 2 and {r.state for r in rows} == {'succeeded'} else None
    rows = wait_until(both_succeeded, timeout=10, message='both stages to succeed')
    second = next(r for r in rows if r.job_id != head.id)
    assert second.parent_id == head.id


def test_a_message_that_does_not_verify_is_not_recorded_and_becomes_a_dead_letter(app, consumer):
    with writing():
        OutboxMessage.create(data=b'not a message at all', priority=0)
    accept(succeed.s(3))
    wait_until(lambda: huey.ledger.flush() and DeadLetter.select().count() == 1, timeout=10,
               message='the dead letter')
    wait_until(lambda: 3 in calls['succeed'], timeout=10, message='the good job to run')
    assert huey.ledger.flush()
    periodic = {task_name(task) for task in huey._registry.periodic_tasks}
    assert [row.task for row in Job.select() if row.task not in periodic] == [
        'tests.sample_tasks.succeed']


@pytest.mark.parametrize('queue_backend', ['redis'])
def test_while_the_queue_is_down_waiting_jobs_show_queued_and_move_once_it_is_back(
        app, queue_backend, redis_server):
    tasks = [succeed.s(n) for n in range(3)]
    redis_server.stop()
    try:
        accept(*tasks)
        assert huey.ledger.flush()
        # Recorded by the dispatcher while they wait, once: each message says so.
        assert [m.recorded for m in OutboxMessage.select()] == [True, True, True]
        rows = {row.job_id: row for row in Job.select()}
        assert {job_id: row.state for job_id, row in rows.items()} == {
            task.id: 'queued' for task in tasks}
        assert not outbox.dispatcher.healthy
    finally:
        redis_server.start()
    wait_until(lambda: huey.ledger.flush() and OutboxMessage.select().count() == 0, timeout=15,
               message='the outbox to drain once Redis is back')
    assert huey.storage.queue_size() == 3
    assert {row.job_id: (row.state, row.enqueued_at) for row in Job.select()} == {
        job_id: ('queued', row.enqueued_at) for job_id, row in rows.items()}
