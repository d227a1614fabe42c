"""Tables of the admin area: job counts per task and state, kept by triggers.

Counting a million job rows on every refresh is too slow, so the database
itself keeps the counts current (see counts.py): every insert, state change
and delete on `job` adjusts them, whichever process or code path wrote it.
"""
from peewee import AutoField, CharField, CompositeKey, IntegerField

from collab.models import BaseModel


class JobStateCount(BaseModel):
    """How many job rows a task has in a state."""
    task = CharField(max_length=100)
    state = CharField(max_length=12)
    n = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey('task', 'state')


class JobStateDelta(BaseModel):
    """PostgreSQL only: count changes appended by the triggers, folded into
    JobStateCount when read. Appending never waits on a row lock, so ledger
    writers in several processes cannot deadlock on the counts."""
    id = AutoField()
    task = CharField(max_length=100)
    state = CharField(max_length=12)
    n = IntegerField()


ADMIN_MODELS = [JobStateCount, JobStateDelta]
