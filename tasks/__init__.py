"""Everything Huey: importing this package registers every task and the ledger."""
from tasks.queue import configure, huey  # noqa: F401
from tasks import ledger, monitor  # noqa: F401
from tasks import activity  # noqa: F401
