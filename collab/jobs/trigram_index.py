"""A substring index over one text column of an append-only table, kept off its write path.

SQLite only: an FTS5 table with the trigram tokenizer, its rowid the source
row's integer key. Nothing writes it when a source row is written, so those
writes cost what they did; `catch_up()` copies the rows above the newest
indexed key (the watermark) in short batches, from a periodic task. A source
row's text never changes once written, so an indexed row never goes stale.

A search reads the index for keys <= watermark and scans the few newer rows
directly, so it never misses a row the catch-up has not reached yet. The index
only narrows the candidates: the caller checks every row it returns again with
the very predicate a plain scan uses. Source rows are deleted through
`delete`, which queues their entries for the catch-up to drop, so the index
does not outgrow its table.

Used for the admin's search over job arguments (collab/jobs/args_index.py) and
job logs (collab/jobs/log_search.py, a row per job rather than per source row).
"""
import functools
import heapq
import logging
import time
from dataclasses import dataclass

from peewee import OperationalError, fn

from collab.db import create_missing, database, is_sqlite
from collab.transactions import writing

log = logging.getLogger('collab.admin')
BATCH = 2000            # rows per catch-up transaction: keeps the write lock short
PROBE_ROWS = 500        # matches read per trigram to tell a query's rare ones
MAX_PROBES = 12         # trigrams sampled per query, however long it is
MATCH_TRIGRAMS = 4      # the rarest ones the index is asked for
MIN_LENGTH = 3          # a trigram index cannot serve shorter text


class TrigramIndex:
    """`index` (an FTS5Model: rowid and one SearchField) over `text` of the rows
    of `key`'s table; `forget` (a model with an integer primary key) queues the
    keys of deleted rows."""

    def __init__(self, index, forget, key, text):
        self.index, self.forget, self.key, self.text = index, forget, key, text
        self.source = key.model
        self.table = index._meta.table_name
        self.column = getattr(index, text.name)

    def install(self):
        """Create the tables if missing (collab.schema calls it on every start)."""
        if not is_sqlite():
            return
        try:
            create_missing([self.index, self.forget])
        except OperationalError as exc:
            # An SQLite older than 3.34 has no trigram tokenizer: searches keep scanning.
            log.warning('no %s (%s); the admin search scans instead', self.table, exc)

    def installed(self):
        return is_sqlite() and self.index.table_exists()

    def watermark(self):
        """The newest indexed key: every row at or below it is in the index."""
        return self.index.select(fn.MAX(self.index.rowid)).scalar() or 0

    def newest_key(self, mark):
        """The index's newest rowid, given the watermark: the same, where rowids are
        the source rows' keys."""
        return mark

    # ------------------------------------------------------------ keeping it current

    def catch_up(self, seconds=None, batch=BATCH):
        """Drop the entries of deleted rows and index the rows above the watermark,
        `batch` of each per transaction, oldest first.

        Stops when nothing is left or, with `seconds`, after the first batch that
        ends past that budget (the next run resumes where this one stopped). Safe
        to run in several processes at once: each batch reads what it works on
        inside its own write transaction. Returns how many rows were indexed."""
        if not self.installed():
            return 0
        deadline = None if seconds is None else time.monotonic() + seconds
        indexed = 0
        while True:
            dropped = self._drop_batch(batch)
            added = self._index_batch(batch)
            indexed += added
            if not (dropped or added) or (deadline is not None and time.monotonic() >= deadline):
                return indexed

    def _index_batch(self, batch):
        key = self.key
        with writing():
            mark = self.watermark()
            newer = self.source.select(key).where(key > mark).order_by(key).limit(batch)
            upper = self.source.select(fn.MAX(getattr(newer.c, key.column_name))).from_(newer).scalar()
            if upper is None:
                return 0
            rows = self.source.select(key, self.text).where((key > mark) & (key <= upper))
            insert = self.index.insert_from(rows, [self.index.rowid, self.column])
            return insert.as_rowcount().execute()

    def _drop_batch(self, batch):
        forget_key = self.forget._meta.primary_key
        with writing():
            keys = [k for k, in self.forget.select(forget_key).limit(batch).tuples()]
            if keys:
                self.index.delete().where(self.index.rowid.in_(keys)).execute()
                self.forget.delete().where(forget_key.in_(keys)).execute()
            return len(keys)

    def delete(self, condition):
        """Delete the source rows matching `condition`, keeping the index right;
        returns how many. Call it inside the caller's write transaction.

        Dropping an entry costs about as much as indexing the row did, too much
        to add to a delete of many thousand rows (a prune holds SQLite's write
        lock meanwhile): their keys are queued for the catch-up instead. Until
        it runs, a search skips the entries: their rows are gone."""
        if self.installed():
            keys = self.source.select(self.key).where(condition)
            self.forget.insert_from(keys, [self.forget._meta.primary_key]).on_conflict_ignore().execute()
        deleted = self.source.delete().where(condition).execute()
        if self.installed():
            self._forget_above_newest()
        return deleted

    def _forget_above_newest(self):
        """Drop the entries above the newest row left, at once.

        SQLite gives a new row the key after the newest one left, so the keys of
        deleted newest rows are handed out again: their entries must go before
        that, or a new row would sit below the watermark without being indexed;
        and they must leave the queue, or its drop would take the new row's entry."""
        newest = self.source.select(fn.COALESCE(fn.MAX(self.key), 0))
        self.index.delete().where(self.index.rowid > newest).execute()
        forget_key = self.forget._meta.primary_key
        self.forget.delete().where(forget_key > newest).execute()

    # ------------------------------------------------------------ searching

    def prepare(self, fragment):
        """A Search for this fragment, or None when the index cannot serve it."""
        if len(fragment) < MIN_LENGTH or not self.installed():
            return None
        return Search(self, fragment, self.watermark())

    def match_query(self, fragment, mark):
        """The fragment's rarest trigrams, ANDed.

        Any subset of a text's trigrams finds a superset of the rows containing
        it, and the caller rechecks every row, so the choice is only about
        speed: an AND with a trigram found in every row ("com", "arg") costs a
        walk of its whole posting list."""
        trigrams = _trigrams(fragment)
        # None: an empty index (nothing to divide by), where no trigram is common.
        shares = {t: share or 0 for t, share in zip(trigrams, self._shares(trigrams, mark))}
        by_rarity = sorted(trigrams, key=shares.get)
        # One in most rows narrows nothing and costs the most: leave those out.
        useful = [t for t in by_rarity[1:MATCH_TRIGRAMS] if shares[t] < 0.5]
        return ' AND '.join(_quoted(t) for t in [by_rarity[0], *useful])

    def _shares(self, trigrams, mark):
        """About which share of the indexed rows holds each trigram, from its
        newest PROBE_ROWS matches: how far back they reach (all of them: exact).
        Not from the newest rows alone, which may all be of one kind. One
        statement, as each walk costs little more than its setup."""
        table = self.table
        one = f"""(SELECT CASE WHEN COUNT(*) = ? THEN COUNT(*) * 1.0 / (? - MIN(rowid) + 1)
                                ELSE COUNT(*) * 1.0 / ? END
                   FROM (SELECT rowid FROM {table} WHERE {table} MATCH ?
                         ORDER BY rowid DESC LIMIT ?))"""
        params = [value for t in trigrams
                  for value in (PROBE_ROWS, mark, mark, _quoted(t), PROBE_ROWS)]
        return database.execute_sql('SELECT ' + ', '.join([one] * len(trigrams)),
                                    params).fetchone()


@dataclass
class Search:
    """One search over one index, prepared once per page: its fragment and the watermark."""
    over: TrigramIndex
    fragment: str
    mark: int

    @functools.cached_property
    def match(self):
        """The FTS5 query, worked out once and only if the index is read."""
        return self.over.match_query(self.fragment, self.over.newest_key(self.mark))


def _trigrams(fragment):
    """Distinct trigrams in order, at most MAX_PROBES spread over the fragment.
    Lower case, as the tokenizer folds them (the fragment is ASCII: JSON-escaped)."""
    text = fragment.lower()
    found = list(dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2)))
    if len(found) <= MAX_PROBES:
        return found
    return [found[i * len(found) // MAX_PROBES] for i in range(MAX_PROBES)]


def _quoted(trigram):
    """An FTS5 string: taken literally, with " doubled."""
    return '"' + trigram.replace('"', '""') + '"'


def newest_first(walks, limit):
    """The walks (each newest first) merged, each job once, at most `limit`."""
    seen, merged = set(), []
    for job in heapq.merge(*walks, key=lambda job: -job.seq):
        if job.seq not in seen:
            seen.add(job.seq)
            merged.append(job)
            if len(merged) == limit:
                break
    return merged
