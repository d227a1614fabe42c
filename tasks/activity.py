"""Activity feed tasks."""
from huey import crontab

from collab import activity, digest
from collab.models import Member, Workspace
from tasks.notifications import send_batch_notifications
from collab.jobs.instance import huey


@huey.task(exactly_once=True)
def log_activity(workspace_id, user_id, action, target_type, target_id=None, metadata=None,
                 occurred_at=None):
    """Append one entry to a workspace's activity feed (`occurred_at`: ISO time of the action)."""
    activity.record(workspace_id, user_id, action, target_type, target_id, metadata, occurred_at)


@huey.task(exactly_once=True)
def generate_daily_digest(workspace_id):
    """Last 24 h: count and top contributors, as a batch notification to every member."""
    summary = digest.summarize(workspace_id)
    if summary is None:
        return None   # nothing happened: nothing is sent
    members = Member.user_ids(workspace_id)
    send_batch_notifications(members, 'digest', summary)
    return len(members)


@huey.periodic_once(crontab(hour='8', minute='0'), catch_up=True, exactly_once=True)
def generate_all_digests():
    ids = [w.id for w in Workspace.select(Workspace.id)]
    for workspace_id in ids:
        generate_daily_digest(workspace_id)
    return len(ids)
