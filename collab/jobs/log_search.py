"""The admin's search over job logs: a trigram index with one row per job.

Its rowid is the job's `seq`, as in the args index (collab/jobs/args_index.py),
so a search walks it newest first and stops after a page, however many jobs
logged the word. The row holds the records of every log row of the job
(`joblogchunk`) indexed so far. A job that logs again after its row was
indexed has it rebuilt by the next catch-up: a job's logs grow only while it
runs, so few rows are rebuilt.

The index is caught up with the args index, off the job path (every minute,
tasks/housekeeping.py). The newest log row it holds is kept in
`job_log_search_mark`; log rows above it are scanned, so a search never misses
what the catch-up has not reached yet. Every job the index finds is checked
again with the very predicate a plain scan uses (`LogSearch.condition`).
PostgreSQL keeps the plain scan.
"""
import functools
import json

from peewee import JOIN, SQL, IntegerField, fn
from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from collab.db import create_missing, database, is_sqlite
from collab.jobs.models import Job, JobLogChunk
from collab.jobs.trigram_index import TrigramIndex, newest_first
from collab.models import BaseModel
from collab.transactions import writing

# Tables of the index this one replaced (one entry per log row): dropped on start.
OLD_TABLES = ('job_log_index', 'job_log_forget')


class JobLogIndex(FTS5Model):
    rowid = RowIDField()      # the job's seq
    records = SearchField()   # its log rows' records as stored (JSON text), a line each

    class Meta:
        database = database
        table_name = 'job_log_search'
        options = {'tokenize': 'trigram', 'detail': 'none', 'columnsize': 0}


class JobLogForget(BaseModel):
    """The seq of a job whose logs were deleted: the next catch-up drops its entry."""
    seq = IntegerField(primary_key=True)

    class Meta:
        table_name = 'job_log_search_forget'


class JobLogMark(BaseModel):
    """One row: the id of the newest log row the index holds."""
    id = IntegerField(primary_key=True)
    chunk_id = IntegerField()

    class Meta:
        table_name = 'job_log_search_mark'


class JobLogSearchIndex(TrigramIndex):
    """The trigram index, keyed by job rather than by the rows it reads."""

    def __init__(self):
        super().__init__(JobLogIndex, JobLogForget, Job.seq, JobLogChunk.records)

    def install(self):
        super().install()
        if is_sqlite():
            for table in OLD_TABLES:
                database.execute_sql(f'DROP TABLE IF EXISTS {table}')
            create_missing([JobLogMark])

    def watermark(self):
        """The newest log row indexed: every one at or below it is in the index."""
        return JobLogMark.select(JobLogMark.chunk_id).scalar() or 0

    def newest_key(self, mark):
        newest = self.index.select(self.index.rowid).order_by(self.index.rowid.desc()).limit(1)
        return newest.scalar() or 0

    def _index_batch(self, batch):
        """(Re)build the rows of the jobs with log rows among the next `batch` ones."""
        with writing():
            mark = self.watermark()
            chunks = [c for c, in JobLogChunk.select(JobLogChunk.id).where(JobLogChunk.id > mark)
                      .order_by(JobLogChunk.id).limit(batch).tuples()]
            if not chunks:
                return 0
            upper = chunks[-1]
            logged = [seq for seq, in Job.select(Job.seq).distinct()
                      .join(JobLogChunk, on=JobLogChunk.job_id == Job.job_id)
                      .where(JobLogChunk.id > mark, JobLogChunk.id <= upper).tuples()]
            self.index.delete().where(self.index.rowid.in_(logged)).execute()
            # Rebuilt from every log row the job has: a deletion queued for its seq
            # (a job deleted before the seq was handed out again) is done with.
            self.forget.delete().where(self.forget.seq.in_(logged)).execute()
            rows = (Job.select(Job.seq, fn.GROUP_CONCAT(JobLogChunk.records, '\n'))
                    .join(JobLogChunk, on=JobLogChunk.job_id == Job.job_id)
                    .where(Job.seq.in_(logged), JobLogChunk.id <= upper).group_by(Job.seq))
            self.index.insert_from(rows, [self.index.rowid, self.column]).execute()
            JobLogMark.insert(id=1, chunk_id=upper).on_conflict_replace().execute()
            return len(chunks)

    def delete(self, job_ids):
        """Delete the logs of the jobs in `job_ids` (a list or a subquery) while
        their rows still exist, keeping the index right; returns how many rows.
        Call it inside the caller's write transaction."""
        condition = JobLogChunk.job_id.in_(job_ids)
        if not self.installed():
            return JobLogChunk.delete().where(condition).execute()
        seqs = Job.select(Job.seq).where(Job.job_id.in_(job_ids))
        self.forget.insert_from(seqs, [self.forget.seq]).on_conflict_ignore().execute()
        deleted = JobLogChunk.delete().where(condition).execute()
        # SQLite hands the ids of deleted newest rows out again: a row written on one
        # must sit above the mark, or it would never be indexed.
        newest = JobLogChunk.select(fn.COALESCE(fn.MAX(JobLogChunk.id), 0))
        JobLogMark.update(chunk_id=fn.MIN(JobLogMark.chunk_id, newest)).execute()
        return deleted


INDEX = JobLogSearchIndex()
delete_for = INDEX.delete


class LogSearch:
    """The log part of one admin search: `condition` on Job (the job's logs contain
    `fragment`, as stored in JSON), and, where the index can serve it, a walk of
    the jobs it finds (`newest`). `search` is None where it cannot (PostgreSQL,
    fewer than 3 characters): the callers scan with `condition` instead."""

    def __init__(self, fragment):
        self.rows = JobLogChunk.records.contains(fragment)
        self.condition = fn.EXISTS(JobLogChunk.select(SQL('1')).where(
            (JobLogChunk.job_id == Job.job_id) & self.rows))
        self.search = INDEX.prepare(fragment)

    def newest(self, fields, conditions, limit, cursor=None):
        """Up to `limit` jobs with the fragment in their logs passing `conditions`,
        newest first, below `cursor`: the index's, and those of the log rows above its mark."""
        indexed = list(self.indexed_query(fields, conditions, limit, cursor)) \
            if self.search.mark else []
        return newest_first([indexed, self._not_indexed_yet(fields, conditions, limit, cursor)],
                            limit)

    def indexed_query(self, fields, conditions, limit, cursor):
        """The walk of the index: the jobs it finds, checked with `condition`."""
        # CROSS JOIN keeps the index as the outer loop, walked newest first.
        query = (JobLogIndex.select(*fields).join(Job, JOIN.CROSS)
                 .where(Job.seq == JobLogIndex.rowid, JobLogIndex.match(self.search.match),
                        self.condition, *conditions))
        if cursor is not None:
            query = query.where(JobLogIndex.rowid < cursor)
        return query.order_by(JobLogIndex.rowid.desc()).limit(limit).objects(Job)

    @functools.cached_property
    def _ids_not_indexed_yet(self):
        """The jobs with matching log rows above the mark (a page's list and its
        counts share them). Read in key order: a DISTINCT would have SQLite walk
        the job_id index, every log row."""
        rows = JobLogChunk.select(JobLogChunk.job_id).where(JobLogChunk.id > self.search.mark,
                                                            self.rows)
        return list(dict.fromkeys(job_id for job_id, in rows.tuples()))

    def _not_indexed_yet(self, fields, conditions, limit, cursor):
        ids = self._ids_not_indexed_yet
        if not ids:
            return []
        found = fn.json_each(json.dumps(ids)).alias('found')
        # CROSS JOIN: the ids stay the outer loop, whatever index the conditions could walk.
        query = (Job.select(*fields).from_(found).join(Job, JOIN.CROSS)
                 .where(Job.job_id == SQL('found.value'), *conditions))
        if cursor is not None:
            query = query.where(Job.seq < cursor)
        return list(query.order_by(Job.seq.desc()).limit(limit))
