"""Full-text search over documents.

SQLite: an FTS5 table (playhouse.sqlite_ext) keyed by document id, ranked by
bm25 with a snippet. PostgreSQL: its built-in full-text search computed on the
fly (`to_tsvector` / `ts_rank` / `ts_headline`) — correct at any size, fast
enough for a small team; add a GIN expression index when documents number in
the hundreds of thousands. Queries are reduced to plain words, so user input
can never be a syntax error.
"""
import html
import re

from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from collab.db import database, is_sqlite
from collab.models import Document
from collab.transactions import writing

WORD_RE = re.compile(r'\w+', re.UNICODE)
MAX_TERMS = 16
# Private markers around a hit: the snippet is escaped first, then they become <mark>.
HIT_START, HIT_END = '\x02', '\x03'


class DocumentIndex(FTS5Model):
    rowid = RowIDField()          # the document's id
    workspace_id = SearchField(unindexed=True)
    title = SearchField()
    content = SearchField()

    class Meta:
        database = database
        table_name = 'document_index'
        options = {'tokenize': 'porter unicode61'}


def create_index():
    """Create the FTS5 table (SQLite only); safe on every start."""
    if is_sqlite():
        with database.connection_context():
            DocumentIndex.create_table(safe=True)


def index_document(document_id):
    """Bring one document's index entry in line with the table; gone documents leave it."""
    if not is_sqlite():
        return  # PostgreSQL searches the documents table itself
    doc = Document.get_or_none(Document.id == document_id)
    with writing():
        DocumentIndex.delete().where(DocumentIndex.rowid == document_id).execute()
        if doc is not None:
            DocumentIndex.insert(rowid=doc.id, workspace_id=doc.workspace_id,
                                 title=doc.title, content=doc.content).execute()
    return doc is not None


def rebuild():
    """Drop and rebuild the whole index; returns how many documents it holds."""
    if not is_sqlite():
        return Document.select().count()
    with writing():
        DocumentIndex.delete().execute()
        rows = Document.select(Document.id, Document.workspace, Document.title,
                               Document.content).tuples().iterator()
        batch = []
        for doc_id, workspace_id, title, content in rows:
            batch.append({'rowid': doc_id, 'workspace_id': workspace_id,
                          'title': title, 'content': content})
            if len(batch) == 200:
                DocumentIndex.insert_many(batch).execute()
                batch = []
        if batch:
            DocumentIndex.insert_many(batch).execute()
    return DocumentIndex.select().count()


def terms(query):
    return WORD_RE.findall(query or '')[:MAX_TERMS]


def search(workspace_id, query, limit=20):
    """Ranked hits: [{id, title, version, snippet (HTML-safe, hits in <mark>), score}]."""
    words = terms(query)
    if not words:
        return []
    if is_sqlite():
        return _search_sqlite(workspace_id, words, limit)
    return _search_postgres(workspace_id, words, limit)


def _search_sqlite(workspace_id, words, limit):
    # Every word must match; the last one also as a prefix, as users type.
    match = ' '.join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'
    sql = ('SELECT d.id, d.title, d.version, '
           "snippet(document_index, 2, ?, ?, '…', 16), bm25(document_index, 0.0, 4.0, 1.0) "
           'FROM document_index JOIN document d ON d.id = document_index.rowid '
           'WHERE document_index MATCH ? AND document_index.workspace_id = ? '
           'ORDER BY bm25(document_index, 0.0, 4.0, 1.0) LIMIT ?')
    cursor = database.execute_sql(sql, (HIT_START, HIT_END, match, workspace_id, limit))
    return [_hit(doc_id, title, version, snippet, -score)
            for doc_id, title, version, snippet, score in cursor.fetchall()]


def _search_postgres(workspace_id, words, limit):
    query = ' & '.join(words[:-1] + [words[-1] + ':*'])
    vector = "to_tsvector('simple', d.title || ' ' || d.content)"
    sql = (f"SELECT d.id, d.title, d.version, "
           f"ts_headline('simple', d.content, to_tsquery('simple', %s), "
           f"'StartSel=\x02, StopSel=\x03, MaxWords=16, MinWords=5'), "
           f"ts_rank({vector}, to_tsquery('simple', %s)) AS score "
           f"FROM document d WHERE d.workspace_id = %s AND {vector} @@ to_tsquery('simple', %s) "
           f"ORDER BY score DESC LIMIT %s")
    cursor = database.execute_sql(sql, (query, query, workspace_id, query, limit))
    return [_hit(*row) for row in cursor.fetchall()]


def _hit(doc_id, title, version, snippet, score):
    safe = html.escape(snippet or '').replace(HIT_START, '<mark>').replace(HIT_END, '</mark>')
    return {'id': doc_id, 'title': title, 'version': version, 'snippet': safe,
            'score': round(float(score), 6)}
