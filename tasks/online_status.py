"""Online status: the live registry of who is online, persisted every five minutes."""
from huey import crontab

from collab import broadcast, online_status
from collab.jobs.instance import huey


@huey.periodic_once(crontab(minute='*/5'), exactly_once=True)
def sync_online_status():
    online = broadcast.online_users(huey.settings).online_user_ids()
    return online_status.persist(online)
