"""Presence: the live registry persisted every five minutes."""
from huey import crontab

from collab import broadcast, online_status
from collab.jobs.engine import huey
from collab.jobs.slots import periodic


@periodic(crontab(minute='*/5'))
def sync_online_status():
    online = broadcast.presence(huey.settings).online_user_ids()
    return online_status.persist(online)
