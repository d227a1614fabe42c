"""The task catalogue: importing this package registers every task on `huey`."""
from collab.jobs.engine import configure, huey  # noqa: F401
from collab.jobs import ledger, alerts, outbox  # noqa: F401
from tasks import activity, documents, housekeeping, notifications, online_status, workspaces  # noqa: F401
