"""A workspace's activity feed, newest first."""
from flask import Blueprint, jsonify
from peewee import JOIN

from collab import activity
from collab.api.common import ID, before_id
from collab.api.workspaces import membership
from collab.auth import login_required
from collab.models import Activity, User
from collab.validation import int_arg

bp = Blueprint('api_activity', __name__, url_prefix='/api')


def feed(workspace_id, limit, before=None):
    query = (Activity.select(Activity, User.id, User.name).join(User, JOIN.LEFT_OUTER)
             .where(Activity.workspace == workspace_id))
    return list(activity.newest_first(query, before).limit(limit))


def entry(row):
    data = row.to_dict()
    data['user_name'] = row.user.name if row.user_id else None
    data.update(sentence=activity.sentence(data), link=activity.link(data))
    return data


@bp.get(f'/workspaces/<{ID}:workspace_id>/activity')
@login_required
def list_activity(workspace_id):
    workspace, _ = membership(workspace_id)
    limit = int_arg('limit', 50, 1, 1000)
    rows = feed(workspace.id, limit, before_id())
    return jsonify({'activity': [entry(r) for r in rows],
                    'next_before': rows[-1].id if len(rows) == limit else None})
