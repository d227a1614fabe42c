"""An index for the admin's search over job arguments, kept off the ledger's write path.

SQLite only: an FTS5 table with the trigram tokenizer, one row per job, its
rowid the job's `seq`. Nothing writes it when a job is recorded, so the
ledger's inserts cost what they did; `catch_up()` copies the jobs above the
newest indexed seq (the watermark) in short batches, every minute
(tasks/housekeeping.py). A job's arguments never change once it is recorded, so
an indexed row never goes stale.

A search reads the index for seq <= watermark and scans the few newer rows
directly, so it never misses a job the catch-up has not reached yet. The index
only narrows the candidates: every row it returns is checked again with the
very predicate a plain scan uses (JobFilter.conditions()), so the results are
those of the scan. Deleting jobs (pruning, the admin's delete) queues their
entries for the catch-up to drop (`delete_jobs`), so the index does not outgrow
the ledger.

PostgreSQL keeps the plain scan: a substring index there needs the pg_trgm
extension, which this server does not install.
"""
import functools
import logging
import time
from dataclasses import dataclass

from peewee import JOIN, IntegerField, OperationalError, fn
from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from collab.db import database, is_sqlite
from collab.jobs.models import Job
from collab.models import BaseModel
from collab.transactions import writing

log = logging.getLogger('collab.admin')
BATCH = 2000            # jobs per catch-up transaction: keeps the write lock short
PROBE_ROWS = 500        # matches read per trigram to tell a query's rare ones
MAX_PROBES = 12         # trigrams sampled per query, however long it is
MATCH_TRIGRAMS = 4      # the rarest ones the index is asked for
MIN_LENGTH = 3          # a trigram index cannot serve shorter text
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


def install():
    """Create the index table if missing (collab.schema calls it on every start)."""
    if not is_sqlite():
        return
    try:
        database.create_tables([JobArgsIndex, JobArgsForget], safe=True)
    except OperationalError as exc:
        # An SQLite older than 3.34 has no trigram tokenizer: searches keep scanning.
        log.warning('no job search index (%s); the admin search scans the job table', exc)


def installed():
    return is_sqlite() and JobArgsIndex.table_exists()


def watermark():
    """The newest indexed seq: every job at or below it is in the index."""
    return JobArgsIndex.select(fn.MAX(JobArgsIndex.rowid)).scalar() or 0


# ---------------------------------------------------------------- keeping it current

def catch_up(seconds=None, batch=BATCH):
    """Drop the entries of deleted jobs and index the jobs above the watermark,
    `batch` of each per transaction, oldest first.

    Stops when nothing is left or, with `seconds`, after the first batch that ends
    past that budget (the next run resumes where this one stopped). Safe to run
    in several processes at once: each batch reads what it works on inside its
    own write transaction. Returns how many jobs were indexed."""
    if not installed():
        return 0
    deadline = None if seconds is None else time.monotonic() + seconds
    indexed = 0
    while True:
        dropped = _drop_batch(batch)
        added = _index_batch(batch)
        indexed += added
        if not (dropped or added) or (deadline is not None and time.monotonic() >= deadline):
            return indexed


def _index_batch(batch):
    with writing():
        mark = watermark()
        newer = Job.select(Job.seq).where(Job.seq > mark).order_by(Job.seq).limit(batch)
        upper = Job.select(fn.MAX(newer.c.seq)).from_(newer).scalar()
        if upper is None:
            return 0
        rows = Job.select(Job.seq, Job.args).where((Job.seq > mark) & (Job.seq <= upper))
        insert = JobArgsIndex.insert_from(rows, [JobArgsIndex.rowid, JobArgsIndex.args])
        return insert.as_rowcount().execute()


def _drop_batch(batch):
    with writing():
        seqs = [seq for seq, in JobArgsForget.select(JobArgsForget.seq).limit(batch).tuples()]
        if seqs:
            JobArgsIndex.delete().where(JobArgsIndex.rowid.in_(seqs)).execute()
            JobArgsForget.delete().where(JobArgsForget.seq.in_(seqs)).execute()
        return len(seqs)


def delete_jobs(condition):
    """Delete the jobs matching `condition`, keeping the index right; returns how many.
    Call it inside the caller's write transaction.

    Dropping an entry costs about as much as indexing the job did, too much to
    add to a delete of many thousand jobs (a prune holds SQLite's write lock
    meanwhile): their seqs are queued for the catch-up instead. Until it runs,
    a search skips the entries: their job rows are gone."""
    if installed():
        JobArgsForget.insert_from(Job.select(Job.seq).where(condition),
                                  [JobArgsForget.seq]).on_conflict_ignore().execute()
    deleted = Job.delete().where(condition).execute()
    if installed():
        _forget_above_newest()
    return deleted


def _forget_above_newest():
    """Drop the entries above the newest job left, at once.

    SQLite gives a new job the seq after the newest one left, so the seqs of
    deleted newest jobs are handed out again: their entries must go before
    that, or a new job would sit below the watermark without being indexed;
    and they must leave the queue, or its drop would take the new job's entry."""
    newest = Job.select(fn.COALESCE(fn.MAX(Job.seq), 0))
    JobArgsIndex.delete().where(JobArgsIndex.rowid > newest).execute()
    JobArgsForget.delete().where(JobArgsForget.seq > newest).execute()


# ---------------------------------------------------------------- searching

@dataclass
class Search:
    """One search, prepared once per page: its args fragment and the watermark."""
    fragment: str
    mark: int

    @functools.cached_property
    def match(self):
        """The FTS5 query, worked out once and only if the index is read."""
        return _match_query(self.fragment, self.mark)


def prepare(fragment):
    """A Search for this args fragment, or None when the index cannot serve it."""
    if len(fragment) < MIN_LENGTH or not installed():
        return None
    return Search(fragment, watermark())


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


def _match_query(fragment, mark):
    """The fragment's rarest trigrams, ANDed.

    Any subset of a text's trigrams finds a superset of the rows containing it,
    and the caller rechecks every row, so the choice is only about speed: an
    AND with a trigram found in every row ("com", "arg") costs a walk of its
    whole posting list."""
    trigrams = _trigrams(fragment)
    shares = dict(zip(trigrams, _shares(trigrams, mark)))
    by_rarity = sorted(trigrams, key=shares.get)
    # One in most rows narrows nothing and costs the most: leave those out.
    useful = [t for t in by_rarity[1:MATCH_TRIGRAMS] if shares[t] < 0.5]
    return ' AND '.join(_quoted(t) for t in [by_rarity[0], *useful])


def _trigrams(fragment):
    """Distinct trigrams in order, at most MAX_PROBES spread over the fragment.
    Lower case, as the tokenizer folds them (the fragment is ASCII: JSON-escaped)."""
    text = fragment.lower()
    found = list(dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2)))
    if len(found) <= MAX_PROBES:
        return found
    return [found[i * len(found) // MAX_PROBES] for i in range(MAX_PROBES)]


def _shares(trigrams, mark):
    """About which share of the indexed rows holds each trigram, from its newest
    PROBE_ROWS matches: how far back they reach (all of them: exact). Not from
    the newest rows alone, which may all be of one kind. One statement, as each
    walk costs little more than its setup."""
    one = f"""(SELECT CASE WHEN COUNT(*) = ? THEN COUNT(*) * 1.0 / (? - MIN(rowid) + 1)
                            ELSE COUNT(*) * 1.0 / ? END
               FROM (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?
                     ORDER BY rowid DESC LIMIT ?))"""
    params = [value for t in trigrams
              for value in (PROBE_ROWS, mark, mark, _quoted(t), PROBE_ROWS)]
    return database.execute_sql('SELECT ' + ', '.join([one] * len(trigrams)), params).fetchone()


def _quoted(trigram):
    """An FTS5 string: taken literally, with " doubled."""
    return '"' + trigram.replace('"', '""') + '"'
