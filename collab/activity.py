"""The activity feed service, called by tasks, the API and the pages."""
from datetime import datetime, timezone

from collab.fields import iso, utcnow
from collab.models import Activity


def now_stamp():
    """When an action happened, as the text its log job carries."""
    return iso(utcnow())


def record(workspace_id, user_id, action, target_type, target_id=None, metadata=None,
           occurred_at=None):
    """Store one feed entry, dated when the action happened (not when the job ran)."""
    return Activity.create(workspace=workspace_id, user=user_id, action=action,
                           target_type=target_type, target_id=target_id,
                           metadata=metadata or {}, created_at=_parse(occurred_at))


def _parse(stamp):
    if not stamp:
        return utcnow()
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def newest_first(query, before_id=None):
    """Order a feed query by when things happened; page with the last entry seen."""
    if before_id:
        anchor = Activity.get_or_none(Activity.id == before_id)
        if anchor is not None:
            query = query.where((Activity.created_at < anchor.created_at)
                                | ((Activity.created_at == anchor.created_at)
                                   & (Activity.id < anchor.id)))
    return query.order_by(Activity.created_at.desc(), Activity.id.desc())
