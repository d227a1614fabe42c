"""Document versions and their search index."""
from huey import crontab

from collab import documents, fulltext
from collab.jobs.instance import huey


@huey.task(exactly_once=True)
def process_document_version(document_id, user_id):
    """Describe the new versions (lines added/removed, against the one before); start
    the cleanup when over VERSIONS_KEEP. The save itself keeps each version's content.

    Returns the document id: the next pipeline stage, index_document, takes it.
    """
    keep = huey.settings.versions_keep
    documents.describe_new_versions(document_id)
    if documents.version_count(document_id) > keep:
        cleanup_old_versions(document_id, keep)
    return document_id


@huey.task(exactly_once=True)
def index_document(document_id):
    """Re-index one document (removes it from the index when it is gone)."""
    return fulltext.index_document(document_id)


@huey.task(exactly_once=True)
def cleanup_old_versions(document_id, keep):
    """Keep the newest `keep` versions."""
    return documents.prune_versions(document_id, keep)


@huey.periodic_once(crontab(day_of_week='0', hour='0', minute='0'), catch_up=True,
                    exactly_once=True)
def cleanup_all_old_versions():
    keep = huey.settings.versions_keep
    return sum(documents.prune_versions(doc_id, keep) for doc_id in documents.documents_over(keep))


def version_pipeline(document_id, user_id):
    """The pipeline every save starts: snapshot, then re-index."""
    return process_document_version.s(document_id, user_id).then(index_document)


@huey.periodic_once(crontab(hour='2', minute='0'), catch_up=True, exactly_once=True)
def full_reindex():
    """The search index, rebuilt nightly."""
    return fulltext.rebuild()
