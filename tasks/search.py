"""The search index, rebuilt nightly."""
from huey import crontab

from collab import search
from tasks.queue import huey
from tasks.slots import DAY, once_per_slot


@huey.periodic_task(crontab(hour='2', minute='0'))
@once_per_slot(DAY)
def full_reindex():
    return search.rebuild()
