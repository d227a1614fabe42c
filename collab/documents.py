"""Document versions: snapshots and their cleanup (called by tasks)."""
from peewee import IntegrityError

from collab.transactions import writing
from collab.models import Document, DocumentVersion


def snapshot_version(document_id, user_id):
    """Store the document's current version once; None when the document is gone."""
    doc = Document.get_or_none(Document.id == document_id)
    if doc is None:
        return None
    try:
        with writing():
            DocumentVersion.create(document=doc, version=doc.version, title=doc.title,
                                   content=doc.content, author=user_id)
    except IntegrityError:
        pass  # this version is already stored: a retried or repeated snapshot
    return doc


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
