"""Activity feed tasks."""
from collab import activity
from tasks.queue import huey


@huey.task()
def log_activity(workspace_id, user_id, action, target_type, target_id=None, metadata=None):
    """Append one entry to a workspace's activity feed."""
    activity.record(workspace_id, user_id, action, target_type, target_id, metadata)
