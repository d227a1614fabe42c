"""Presence persisted: who is online now, and when each user was last seen."""
from collab.transactions import writing
from collab.fields import utcnow
from collab.models import Presence, User


def persist(online_ids):
    """Mark these users online (last seen now) and everyone else offline."""
    now = utcnow()
    online_ids = set(online_ids)
    existing = {uid for (uid,) in User.select(User.id).where(User.id.in_(online_ids)).tuples()}
    with writing():
        for user_id in existing:
            (Presence.insert(user=user_id, online=True, last_seen_at=now)
             .on_conflict(conflict_target=[Presence.user],
                          update={Presence.online: True, Presence.last_seen_at: now})
             .execute())
        went_offline = (Presence.update(online=False)
                        .where((Presence.online == True) & Presence.user.not_in(existing or {0}))  # noqa: E712
                        .execute())
    return {'online': len(existing), 'went_offline': went_offline}
