"""Document versions: kept on every save, described and cleaned up by tasks."""
from collections import Counter

from peewee import IntegrityError

from collab.transactions import writing
from collab.models import DocumentVersion


def record_version(doc, user_id):
    """Keep the content of this saved version, inside the save's transaction, so that no
    later save can overwrite it before it is kept. Storing it twice is harmless."""
    try:
        with writing():
            DocumentVersion.create(document=doc, version=doc.version, title=doc.title,
                                   content=doc.content, author=user_id)
    except IntegrityError:
        pass  # this version is already stored


def describe_new_versions(document_id):
    """Fill in lines added/removed for versions not yet described; returns how many.
    Idempotent: a retried or repeated run finds nothing left to do."""
    versions = list(DocumentVersion.select()
                    .where(DocumentVersion.document == document_id)
                    .order_by(DocumentVersion.version))
    described, previous = 0, None
    for version in versions:
        if version.lines_added is None:
            before = previous.content.splitlines() if previous else []
            added, removed = _line_changes(before, version.content.splitlines())
            (DocumentVersion.update(lines_added=added, lines_removed=removed)
             .where(DocumentVersion.id == version.id).execute())
            described += 1
        previous = version
    return described


def _line_changes(before, after):
    """(lines added, lines removed): the lines whose count rose or fell, as multisets.

    Linear in the size of both versions, whatever their content. A line that
    only moved counts as neither (a line diff would count it as removed and
    added again)."""
    old, new = Counter(before), Counter(after)
    return sum((new - old).values()), sum((old - new).values())


def version_count(document_id):
    return DocumentVersion.select().where(DocumentVersion.document == document_id).count()


def prune_versions(document_id, keep):
    """Delete all but the newest `keep` versions; returns how many were deleted."""
    newest = (DocumentVersion.select(DocumentVersion.id)
              .where(DocumentVersion.document == document_id)
              .order_by(DocumentVersion.version.desc()).limit(keep))
    return (DocumentVersion.delete()
            .where((DocumentVersion.document == document_id)
                   & DocumentVersion.id.not_in(newest))
            .execute())


def documents_over(keep):
    """Ids of documents holding more than `keep` versions."""
    from peewee import fn
    return [row.document_id for row in
            DocumentVersion.select(DocumentVersion.document)
            .group_by(DocumentVersion.document)
            .having(fn.COUNT(DocumentVersion.id) > keep)]
