"""The search index, rebuilt nightly."""
from huey import crontab

from collab import search
from tasks.slots import periodic


@periodic(crontab(hour='2', minute='0'), catch_up=True)
def full_reindex():
    return search.rebuild()
