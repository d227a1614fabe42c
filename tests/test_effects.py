"""Exactly-once effects: a job's writes and the record of its effect commit together,
so a redelivered job is acknowledged, not run again (collab/jobs/effects.py)."""
import pytest

from collab import broadcast
from collab.jobs import outbox
from collab.jobs.instance import huey
from collab.admin.queries import job_detail
from collab.jobs.models import Job, JobEffect, OutboxMessage
from collab.models import Activity, Notification
from collab.transactions import writing
from tasks.activity import log_activity
from tasks.notifications import send_notification
from tests.effect_tasks import add_once, enqueue_then_fail, slow_write, write_then_fail
from tests.sample_tasks import add, always_fail, calls
from tests.support import wait_until
from tests.support.jobs import wait_for_state


def outcomes(job_id):
    """The outcomes of the job's attempts, as its page in the admin shows them."""
    huey.ledger.flush()
    return [a['outcome'] for a in job_detail(job_id)['attempts_log']]


def wait_for_outcomes(job_id, count):
    def finished():
        found = outcomes(job_id)
        return len(found) >= count and None not in found and found
    return wait_until(finished, timeout=15, interval=0.25,
                      message=f'{count} finished attempts of {job_id}')


def wait_for_duplicate(job_id):
    """Two deliveries that may have run at once: one of them was the duplicate."""
    # Polled gently: each look flushes the ledger, a write, and a delivery waiting
    # for SQLite's write lock would starve behind writes taken back to back.
    wait_until(lambda: 'duplicate' in outcomes(job_id), interval=0.25,
               message='the duplicate delivery')
    assert Job.get(Job.job_id == job_id).attempts == 2


def feed(action):
    return Activity.select().where(Activity.action == action).count()


def test_a_redelivered_job_whose_effect_committed_is_acknowledged_not_run(
        team, consumer, queue_backend):
    job = log_activity.s(team.ws_id, None, 'test.redelivered', 'document', 1, {})
    huey.enqueue(job)
    wait_for_state(job.id, 'succeeded')
    huey.enqueue(job)   # the same message again, as after a kill before its ack
    assert wait_for_outcomes(job.id, 2) == ['succeeded', 'duplicate']
    assert feed('test.redelivered') == 1
    assert huey.storage.queue_size() == 0   # acknowledged


def test_a_failed_attempt_rolls_back_its_writes(team, consumer):
    job = huey.enqueue(write_then_fail.s(team.ws_id, 'test.rolled-back', 2))
    wait_for_state(job.id, 'succeeded')
    assert calls['test.rolled-back'] == ['run'] * 3
    assert feed('test.rolled-back') == 1
    assert JobEffect.select().where(JobEffect.job_id == job.id).count() == 1


def test_jobs_a_job_enqueues_are_accepted_only_with_its_effect(app, consumer):
    job = huey.enqueue(enqueue_then_fail.s('child-of-a-failing-job', 1))
    wait_for_state(job.id, 'succeeded')
    wait_until(lambda: calls['succeed'], message='the child job to run')
    huey.ledger.flush()
    assert calls['child-of-a-failing-job'] == ['run', 'run']
    assert calls['succeed'] == ['child-of-a-failing-job']   # the failed run's child was rolled back
    assert OutboxMessage.select().count() == 0


def test_a_pipeline_goes_on_from_the_recorded_result(app, consumer):
    pipeline = add_once.s(1, 2).then(add, 10)
    # The head ran and committed, and its consumer died before it enqueued the tail.
    # Recorded before the enqueue: the running consumer would otherwise run the head first.
    JobEffect.create(job_id=pipeline.id, result=huey.serializer.serialize(3))
    head, tail = huey.enqueue(pipeline)
    wait_for_state(tail.id, 'succeeded')
    assert tail.get() == 13
    assert calls['add_once'] == []
    assert outcomes(head.id) == ["duplicate"]


def test_two_deliveries_at_once_take_effect_once(team, consumer):
    job = slow_write.s(team.ws_id, 'test.concurrent', 0.5)
    huey.enqueue(job)
    huey.enqueue(job)
    # One delivery commits, the other rolls back at the effect record's key.
    wait_for_duplicate(job.id)
    assert feed('test.concurrent') == 1


@pytest.mark.usefixtures('db_backend')
def test_an_outbox_message_sent_twice_takes_effect_once(team, consumer, queue_backend):
    job = log_activity.s(team.ws_id, None, 'test.sent-twice', 'document', 1, {})
    with writing():
        outbox.put(job)
        outbox.put(job)   # as when the dispatcher dies after sending, before its delete commits
    outbox.dispatcher.wake()
    wait_for_duplicate(job.id)
    assert feed('test.sent-twice') == 1


class Socket:
    def __init__(self):
        self.frames = []

    def send(self, text):
        self.frames.append(text)


@pytest.fixture
def bobs_socket(team):
    socket, bob = Socket(), team.user_id(team.bob)
    broadcast.registry.add(bob, socket)
    yield bob, socket
    broadcast.registry.remove(bob, socket)


def test_a_notification_frame_is_sent_once_per_socket_however_often_it_is_published(
        app, bobs_socket):
    bob, socket = bobs_socket
    notification = Notification.create(user=bob, type='digest', data={})
    publisher = broadcast.broadcaster(huey.settings)
    event = {'type': 'notification', 'data': notification.to_dict()}
    publisher.publish([bob], event)
    publisher.publish([bob], event)
    publisher.publish([bob], {'type': 'online', 'user_id': 1})
    publisher.publish([bob], {'type': 'online', 'user_id': 1})
    assert len(socket.frames) == 3


def test_a_notification_frame_follows_the_commit(team, consumer, bobs_socket):
    bob, socket = bobs_socket
    job = send_notification.s(bob, 'digest', {'workspace': 'Garden club'})
    huey.enqueue(job)
    huey.enqueue(job)
    wait_for_outcomes(job.id, 2)
    [stored] = Notification.select().where(Notification.type == 'digest')
    frames = [f for f in socket.frames if '"digest"' in f]
    assert len(frames) == 1 and f'"id": {stored.id}' in frames[0]


def test_push_and_alert_webhooks_carry_the_job_id_as_idempotency_key(
        client, team, consumer, webhook):
    bob = team.user_id(team.bob)
    webhook.requests.clear()
    send_notification(bob, 'digest', {'workspace': 'Garden club'})
    def digest_pushed():
        return [r for r in webhook.requests if r['body']['data'].get('type') == 'digest']
    [push] = wait_until(digest_pushed, message='the push webhook')
    huey.ledger.flush()
    push_ids = [row.job_id for row in
                Job.select().where(Job.task == 'notifications.send_push_notification')]
    assert push['idempotency_key'] in push_ids

    webhook.requests.clear()
    failed = always_fail('alerted')

    def alerted():
        return [r for r in webhook.requests if failed.id in r['body'].get('text', '')]
    [alert] = wait_until(alerted, timeout=20, message='the alert webhook')
    assert alert['idempotency_key'] == failed.id
