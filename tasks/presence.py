"""Presence: the live registry persisted every five minutes."""
from huey import crontab

from collab import broadcast, presence
from tasks.queue import huey
from tasks.slots import periodic


@periodic(crontab(minute='*/5'))
def sync_online_status():
    online = broadcast.presence(huey.settings).online_user_ids()
    return presence.persist(online)
