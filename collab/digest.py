"""The daily digest: what happened in a workspace in the last 24 hours."""
from datetime import timedelta

from peewee import fn

from collab.fields import iso, utcnow
from collab.models import Activity, User, Workspace

TOP = 5


def summarize(workspace_id, now=None):
    """{workspace, count, top_contributors, since}, or None when nothing happened."""
    now = now or utcnow()
    since = now - timedelta(hours=24)
    recent = Activity.select().where((Activity.workspace == workspace_id)
                                     & (Activity.created_at > since)
                                     & (Activity.created_at <= now))
    count = recent.count()
    workspace = Workspace.get_or_none(Workspace.id == workspace_id)
    if not count or workspace is None:
        return None
    top = (User.select(User.id, User.name, fn.COUNT(Activity.id).alias('actions'))
           .join(Activity, on=(Activity.user == User.id))
           .where((Activity.workspace == workspace_id) & (Activity.created_at > since)
                  & (Activity.created_at <= now))
           .group_by(User.id, User.name)
           .order_by(fn.COUNT(Activity.id).desc(), User.id).limit(TOP))
    contributors = [{'user_id': u.id, 'name': u.name, 'actions': u.actions} for u in top]
    names = ', '.join(c['name'] for c in contributors) or 'nobody'
    return {'workspace_id': workspace_id, 'workspace': workspace.name, 'count': count,
            'top_contributors': contributors, 'since': iso(since),
            'summary': f'{count} actions in the last 24 hours; most active: {names}'}

