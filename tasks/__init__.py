"""Everything Huey: importing this package registers every task and the ledger."""
from tasks.queue import configure, huey  # noqa: F401
from tasks import ledger, monitor, outbox  # noqa: F401
from tasks import activity, documents, notifications, presence, search, workspaces  # noqa: F401
from tasks import job_search  # noqa: F401
