"""Search in one workspace: its documents (ranked full text, collab.fulltext), its
chat messages and its file names. Every hit says its `kind` and where it is (`url`).

Messages and file names are matched by substring (every word of the query,
case-insensitive), newest first: a team's chat is searched as people remember
it, and neither needs an index to keep in step. The caller has checked that the
user is a member of the workspace: nothing here crosses into another one.
"""
import html

from peewee import JOIN

from collab import fulltext
from collab.models import Channel, File, Message, User

KINDS = ('document', 'message', 'file')
SNIPPET_CHARS = 80


def search(workspace_id, query, limit=20, kinds=KINDS):
    """Documents first (best first), then messages, then files: at most `limit` of each."""
    words = fulltext.terms(query)
    if not words:
        return []
    hits = []
    if 'document' in kinds:
        hits += [document_hit(hit) for hit in fulltext.search(workspace_id, query, limit)]
    if 'message' in kinds:
        hits += message_hits(workspace_id, words, limit)
    if 'file' in kinds:
        hits += file_hits(workspace_id, words, limit)
    return hits


def document_hit(hit):
    return dict(hit, kind='document', url=f"/d/{hit['id']}")


def message_hits(workspace_id, words, limit):
    query = (Message.select(Message.id, Message.body, Message.created_at, Channel.id,
                            Channel.name, User.name)
             .join(Channel, on=(Channel.id == Message.channel))
             .switch(Message).join(User, JOIN.LEFT_OUTER, on=(User.id == Message.user))
             .where(Channel.workspace == workspace_id))
    for word in words:
        query = query.where(Message.body.contains(word))
    rows = query.order_by(Message.id.desc()).limit(limit).tuples()
    return [{'kind': 'message', 'id': message_id, 'channel_id': channel_id,
             'title': f"#{channel} · {author or 'a former member'}",
             'snippet': snippet(body, words), 'score': 0.0,
             'url': f'/c/{channel_id}#message-{message_id}'}
            for message_id, body, _, channel_id, channel, author in rows]


def file_hits(workspace_id, words, limit):
    query = File.select(File.id, File.name).where(File.workspace == workspace_id)
    for word in words:
        query = query.where(File.name.contains(word))
    rows = query.order_by(File.id.desc()).limit(limit).tuples()
    return [{'kind': 'file', 'id': file_id, 'title': name, 'snippet': snippet(name, words),
             'score': 0.0, 'url': f'/api/files/{file_id}'}
            for file_id, name in rows]


def snippet(text, words):
    """Up to SNIPPET_CHARS around the first hit, escaped, every hit in <mark>."""
    lowered = text.lower()
    first = min((i for i in (lowered.find(w.lower()) for w in words) if i >= 0), default=0)
    start = max(0, first - SNIPPET_CHARS // 4)
    part = text[start:start + SNIPPET_CHARS]
    marked = _mark(part, words)
    return ('…' if start else '') + marked + ('…' if start + SNIPPET_CHARS < len(text) else '')


def _mark(part, words):
    """Escape `part`, wrapping each occurrence of a word (any case) in <mark>."""
    lowered, spans, out, at = part.lower(), [], [], 0
    for word in words:
        w, i = word.lower(), part.lower().find(word.lower())
        while w and i >= 0:
            spans.append((i, i + len(w)))
            i = lowered.find(w, i + len(w))
    for begin, end in sorted(spans):
        if begin < at:
            continue
        out += [html.escape(part[at:begin]), '<mark>', html.escape(part[begin:end]), '</mark>']
        at = end
    out.append(html.escape(part[at:]))
    return ''.join(out)
