"""The task catalogue: importing this package registers every task on `huey`.

`huey` is Collab's Huey instance, so `huey_consumer tasks.huey` and
`python run.py worker` run the same jobs in the same way. Until
`configure(settings)` is called, the first use of the queue configures it
from the environment, as `python run.py worker` would: a script that imports
`tasks` and calls a task enqueues it.
"""
import importlib

from collab.jobs import outbox
from collab.jobs.instance import huey
from tasks import (activity, documents, housekeeping, mail, notifications,  # noqa: F401
                   online_status, workspaces)


def configure(settings, storage=None):
    """Bind `huey` to the storage and signing key of these settings, and register
    the extra task modules they name (TASK_MODULES)."""
    for module in settings.task_modules:
        importlib.import_module(module)
    configured = huey.configure(settings, storage)
    # Every process that runs jobs sends what they accept in their transaction
    # (collab.jobs.effects) from its own outbox dispatcher: a worker does not
    # wait for a web process to do it.
    outbox.dispatcher.start()
    return configured


def configure_from_environment():
    """Settings from the environment (and `.env`), the database ready, the queue bound."""
    from collab.settings import Settings
    from collab.file_modes import restrict_umask
    from collab.startup import prepare
    restrict_umask()   # before DATA_DIR and anything in it is created
    settings = Settings.from_env()
    prepare(settings)
    configure(settings)


huey.configure_on_first_use = configure_from_environment
