"""The admin's search over job arguments: a trigram index (collab/jobs/trigram_index.py)
of each job's args, its rowid the job's `seq`, kept off the ledger's write path
and caught up every minute (tasks/housekeeping.py).

Every row it returns is checked again with the very predicate a plain scan
uses (JobFilter.args_condition()), so the results are those of the scan. Deleting
jobs (pruning, the admin's delete) goes through `delete_jobs`, which keeps the
index right.

PostgreSQL keeps the plain scan: a substring index there needs the pg_trgm
extension, which this server does not install.
"""
from peewee import JOIN, IntegerField
from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from collab.db import database
from collab.jobs.models import Job
from collab.jobs.trigram_index import TrigramIndex
from collab.models import BaseModel

TABLE = 'job_args_index'


class JobArgsForget(BaseModel):
    """The seq of a deleted job whose index entry the next catch-up drops."""
    seq = IntegerField(primary_key=True)

    class Meta:
        table_name = 'job_args_forget'


class JobArgsIndex(FTS5Model):
    rowid = RowIDField()    # the job's seq
    args = SearchField()    # the job's args as stored (JSON text)

    class Meta:
        database = database
        table_name = TABLE
        # detail=none: rowids only (no positions), a third of the size; the
        # candidates are rechecked anyway. columnsize=0: no ranking is needed.
        options = {'tokenize': 'trigram', 'detail': 'none', 'columnsize': 0}


INDEX = TrigramIndex(JobArgsIndex, JobArgsForget, Job.seq, Job.args)
install, installed, watermark = INDEX.install, INDEX.installed, INDEX.watermark
catch_up, prepare = INDEX.catch_up, INDEX.prepare


def delete_jobs(condition):
    """Delete the jobs matching `condition`, keeping the index right; returns how many.
    Call it inside the caller's write transaction."""
    return INDEX.delete(condition)


# ---------------------------------------------------------------- searching

def newest(search, fields, conditions, limit, cursor=None):
    """Up to `limit` jobs passing `conditions` (the filter, with its args
    predicate), newest first, below `cursor`: the un-indexed tail by a scan,
    then the index for the rest."""
    tail = Job.select(*fields).where(Job.seq > search.mark, *conditions)
    if cursor is not None:
        tail = tail.where(Job.seq < cursor)
    jobs = list(tail.order_by(Job.seq.desc()).limit(limit))
    if len(jobs) < limit and search.mark:
        jobs += _indexed(search, fields, conditions, limit - len(jobs), cursor)
    return jobs


def _indexed(search, fields, conditions, limit, cursor):
    # CROSS JOIN keeps the index as the outer loop, walked newest first, so a
    # common term stops after a page; the planner would otherwise start from a
    # state index and probe the index once per row.
    query = (JobArgsIndex.select(*fields)
             .join(Job, JOIN.CROSS)
             .where(Job.seq == JobArgsIndex.rowid, JobArgsIndex.match(search.match),
                    JobArgsIndex.rowid <= search.mark, *conditions))
    if cursor is not None:
        query = query.where(JobArgsIndex.rowid < cursor)
    return list(query.order_by(JobArgsIndex.rowid.desc()).limit(limit).objects(Job))
