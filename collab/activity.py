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


# What each action reads as; {user} is who did it, the rest comes from its metadata.
SENTENCES = {
    'workspace.created': '{user} created the workspace {name}',
    'document.created': '{user} created “{title}”',
    'document.updated': '{user} edited “{title}”',
    'document.deleted': '{user} deleted “{title}”',
    'channel.created': '{user} created #{name}',
    'message.posted': '{user} posted in #{channel}',
    'message.deleted': '{user} deleted a message in #{channel}',
    'file.uploaded': '{user} uploaded {name}',
    'file.deleted': '{user} deleted {name}',
    'invite.created': '{user} invited {email}',
    'invite.revoked': '{user} revoked an invite',
    'member.joined': '{user} joined',
    'member.left': '{user} left',
    'member.removed': '{user} removed a member',
    'member.role_changed': "{user} changed a member's role to {to}",
    'export.requested': '{user} started an export',
    'export.deleted': '{user} deleted an export',
}
LINK_INVITE = '{user} made an invite link'

# The page an entry links to, by what it is about (none once that is deleted).
TARGET_LINKS = {'workspace': '/w/{target_id}', 'document': '/d/{target_id}',
                'channel': '/c/{target_id}', 'file': '/api/files/{target_id}',
                # The workspace's list of exports: one may not be ready (or kept) yet.
                'export': '/w/{workspace_id}#exports'}
GONE = {'document.deleted', 'message.deleted', 'file.deleted', 'export.deleted'}


class _Blank(dict):
    def __missing__(self, key):
        return '?'


def sentence(entry):
    """An entry (Activity.to_dict() with user_name) as a sentence: "Ann edited “Spec”"."""
    meta = entry.get('metadata') or {}
    template = SENTENCES.get(entry['action'], '{user}: {action}')
    if entry['action'] == 'invite.created' and not meta.get('email'):
        template = LINK_INVITE
    values = _Blank({k: v for k, v in meta.items() if isinstance(v, (str, int))},
                    user=entry.get('user_name') or 'Someone', action=entry['action'])
    return template.format_map(values)


def link(entry):
    """The page the entry is about, or None."""
    if entry['action'] in GONE or not isinstance(entry.get('target_id'), int):
        return None
    meta = entry.get('metadata') or {}
    if entry['target_type'] == 'message' and isinstance(meta.get('channel_id'), int):
        return f"/c/{meta['channel_id']}#message-{entry['target_id']}"
    path = TARGET_LINKS.get(entry['target_type'])
    return path.format(target_id=entry['target_id'],
                       workspace_id=entry['workspace_id']) if path else None
