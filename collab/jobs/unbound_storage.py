"""The stand-in for a CollabHuey's storage until it is configured."""


class UnboundStorage:
    """Stands in for the storage until `configure()`: its first use configures
    the instance from the environment (`configure_on_first_use`), so a script
    that imports `tasks` and calls a task enqueues it."""

    def __init__(self, huey):
        self._huey = huey

    def __getattr__(self, name):
        huey = self._huey
        if huey.configure_on_first_use is None:
            raise RuntimeError('the job queue is not configured: call configure(settings) first')
        huey.configure_on_first_use()
        return getattr(huey.storage, name)
