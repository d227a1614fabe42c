"""The activity feed service, called by tasks and views."""
from collab.models import Activity


def record(workspace_id, user_id, action, target_type, target_id=None, metadata=None):
    return Activity.create(workspace=workspace_id, user=user_id, action=action,
                           target_type=target_type, target_id=target_id,
                           metadata=metadata or {})
