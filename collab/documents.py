"""Document versions: kept on every save, described and cleaned up by tasks; a save
based on an older version than the current one is a conflict."""
from collections import Counter

from peewee import IntegrityError

from collab.errors import ApiError
from collab.fields import iso
from collab.transactions import writing
from collab.validation import MAX_ID
from collab.models import DocumentVersion, User


class DocumentConflict(ApiError):
    """A save based on an older version than the document's: 409, with the version
    it would have overwritten, so that the one who saved can merge theirs on top."""

    def __init__(self, doc, base_version):
        self.doc = doc
        super().__init__(409, f'this document is at version {doc.version} now, not at '
                              f'version {base_version} that your save was based on; '
                              'save again based on the current version to keep your text',
                         'base_version', current=current_version(doc))


def base_version(value):
    """The version a save was based on (None: a save that overwrites whatever is there)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ApiError(400, 'base_version must be a version number (a whole number from 1)',
                       'base_version')
    return value


def current_version(doc):
    """The document as it is now, with who saved this version."""
    author = User.get_or_none(User.id == doc.updated_by_id) if doc.updated_by_id else None
    return {'version': doc.version, 'title': doc.title, 'content': doc.content,
            'author_id': doc.updated_by_id, 'author_name': author.name if author else None,
            'updated_at': iso(doc.updated_at)}


def record_version(doc, user_id, restored_from=None):
    """Keep the content of this saved version, inside the save's transaction, so that no
    later save can overwrite it before it is kept. Storing it twice is harmless."""
    try:
        with writing():
            DocumentVersion.create(document=doc, version=doc.version, title=doc.title,
                                   content=doc.content, author=user_id,
                                   restored_from=restored_from)
    except IntegrityError:
        pass  # this version is already stored


def find_version(document_id, number):
    """One stored version of the document, or a 404 (never kept, or cleaned up since)."""
    row = DocumentVersion.get_or_none((DocumentVersion.document == document_id)
                                      & (DocumentVersion.version == number))
    if row is None:
        raise ApiError(404, f'no such version: version {number} of this document is not '
                            'kept (it never existed, or old versions were cleaned up)')
    return row


def author_names(versions):
    """{user id: name} of the versions' authors, in one query."""
    ids = {v.author_id for v in versions if v.author_id is not None}
    if not ids:
        return {}
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(ids))}


def with_author(version, names, content=True):
    """A version as the API shows it: with its author's name (None once they are gone)."""
    return dict(version.to_dict(content=content), author_name=names.get(version.author_id))


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
