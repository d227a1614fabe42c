"""The live online registry persisted: who was online at the last sync, and when each
user was last seen."""
from collab.transactions import writing
from collab.fields import utcnow
from collab.models import LastSeen, User


def persist(online_ids):
    """Mark these users online (last seen now) and everyone else offline."""
    now = utcnow()
    online_ids = set(online_ids)
    existing = {uid for (uid,) in User.select(User.id).where(User.id.in_(online_ids)).tuples()}
    with writing():
        for user_id in existing:
            (LastSeen.insert(user=user_id, online=True, last_seen_at=now)
             .on_conflict(conflict_target=[LastSeen.user],
                          update={LastSeen.online: True, LastSeen.last_seen_at: now})
             .execute())
        went_offline = (LastSeen.update(online=False)
                        .where((LastSeen.online == True) & LastSeen.user.not_in(existing or {0}))  # noqa: E712
                        .execute())
    return {'online': len(existing), 'went_offline': went_offline}
