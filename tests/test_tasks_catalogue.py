"""The task catalogue with a real consumer: digests (a group), push, periodic once per slot."""
import time
from datetime import datetime, timedelta

from collab.fields import utcnow
from collab.jobs.models import Job
from collab.models import Activity, LastSeen, Notification, User
from collab.jobs.instance import huey
from tasks.activity import generate_daily_digest
from tasks.notifications import send_notification
from tasks.online_status import sync_online_status
from collab.jobs.runner import ConsumerRunner
from tests.support import wait_for_jobs_idle, wait_until


def digests(user_email):
    return list(Notification.select().join(User).where(
        (User.email == user_email) & (Notification.type == 'digest')))


def test_the_daily_digest_reaches_every_member_as_a_group(client, team, consumer):
    team.document('A')
    team.document('B', headers=team.bob)
    team.document('C', headers=team.bob)
    wait_for_jobs_idle()
    Activity.create(workspace=team.ws_id, user=None, action='old', target_type='x',
                    created_at=utcnow() - timedelta(hours=25))   # outside the last 24 h
    generate_daily_digest(team.ws_id)
    wait_for_jobs_idle()
    for email in ('ann@example.com', 'bob@example.com'):
        [note] = digests(email)
        # Ann: workspace.created, invite.created, A; Bob: member.joined, B, C
        assert note.data['count'] == 6
        assert [(c['name'], c['actions']) for c in note.data['top_contributors']] == [
            ('Ann', 3), ('Bob', 3)]
    assert digests('eve@example.com') == []
    huey.ledger.flush()
    # One job of the batch's group stores both digests, in one transaction.
    [send] = [job for job in Job.select().where(Job.task == 'notifications.send_notifications')
              if job.args['args'][1] == 'digest']
    assert send.args['args'][0] == sorted([team.user_id(team.ann), team.user_id(team.bob)])
    assert send.group_id and send.group_kind == 'group'


def test_no_digest_for_a_quiet_workspace(client, team, consumer):
    wait_for_jobs_idle()
    Activity.delete().execute()
    generate_daily_digest(team.ws_id)
    wait_for_jobs_idle()
    assert Notification.select().where(Notification.type == 'digest').count() == 0


def test_a_notification_is_pushed_unless_the_user_turned_push_off(client, team, consumer, webhook):
    bob_id = team.user_id(team.bob)
    wait_for_jobs_idle()
    webhook.requests.clear()   # Ann's push that Bob joined
    send_notification(bob_id, 'digest', {'workspace': 'Garden club', 'summary': '3 actions'})
    wait_until(lambda: webhook.requests, message='the push webhook')
    push = webhook.requests[0]
    assert push['content_type'] == 'application/json'
    assert push['body']['user'] == 'bob@example.com'
    assert push['body']['title'] == 'Daily digest: Garden club'
    assert push['body']['body'] == '3 actions' and push['body']['data']['type'] == 'digest'
    client.patch('/api/me', json={'push': False}, headers=team.bob)
    send_notification(bob_id, 'digest', {'workspace': 'Garden club'})
    wait_for_jobs_idle()
    assert len(webhook.requests) == 1
    assert Notification.select().where(Notification.user == bob_id).count() >= 2


def test_periodic_tasks_run_once_per_slot_with_two_consumers(client, team, consumer, settings):
    second = ConsumerRunner(settings, embedded=True, workers=2)
    second.start()
    try:
        wait_for_jobs_idle()
        eight_am = datetime(2030, 1, 7, 8, 0)   # a Monday, 08:00: digests, invites, online status
        for runner in (consumer, second):
            # What each consumer's scheduler thread does when 08:00 comes.
            runner.consumer._create_scheduler().enqueue_periodic_tasks(eight_am)
        wait_for_jobs_idle()
    finally:
        second.stop()
    assert len(digests('ann@example.com')) == 1 and len(digests('bob@example.com')) == 1
    huey.ledger.flush()
    runs = list(Job.select().where(Job.task == 'activity.generate_all_digests'))
    assert len(runs) == 2 and {r.state for r in runs} == {'succeeded'}
    assert all(r.attempts == 1 for r in runs)   # the one that lost the slot is not retried
    for name in ('workspaces.cleanup_expired_invites', 'online_status.sync_online_status'):
        # Two from the 08:00 tick; the real schedulers may add the current minute's.
        assert Job.select().where(Job.task == name).count() >= 2


def test_sync_online_status_persists_who_was_online(client, team, app):
    from collab import broadcast
    ann = team.user_id(team.ann)

    class FakeSocket:   # stands in for a browser's socket in the registry only
        def send(self, text):
            pass
    sock = FakeSocket()
    broadcast.registry.add(ann, sock)
    try:
        sync_online_status.call_local()
    finally:
        broadcast.registry.remove(ann, sock)
    assert LastSeen.get_by_id(ann).online is True
    sync_online_status.call_local()   # same slot: skipped
    assert LastSeen.get_by_id(ann).online is True


def test_rate_limit_windows_an_hour_old_are_forgotten(app):
    from tasks.housekeeping import forget_old_rate_limits
    from collab.ratelimit import RateLimitWindow
    now = int(time.time())
    RateLimitWindow.create(key='login:old', hits=3, window_start=now - 7200)
    RateLimitWindow.create(key='login:current', hits=1, window_start=now - 30)
    assert forget_old_rate_limits.call_local() == 1
    assert [w.key for w in RateLimitWindow.select()] == ['login:current']


def test_a_batch_job_stores_each_users_notification_once_however_often_it_runs(client):
    from tasks.notifications import send_notifications
    from tests.support import sign_up
    users = [sign_up(client, f'user{n}@example.com', f'User {n}').id for n in range(3)]
    job = send_notifications.s(users, 'digest', {'workspace': 'Garden club'})
    assert huey.execute(job) == 3
    assert huey.execute(job) == 3   # delivered again, as after a crash before the ack
    stored = Notification.select().where(Notification.type == 'digest')
    assert sorted(n.user_id for n in stored) == sorted(users)
