"""The stand-in for a CollabHuey's storage until it is configured."""


class UnboundStorage:
    """Stands in for the storage until `configure()`: its first use configures
    the instance from the environment (CollabHuey.ensure_configured), so a
    script that imports `tasks` and calls a task enqueues it."""

    def __init__(self, huey):
        self._huey = huey

    def __getattr__(self, name):
        self._huey.ensure_configured()
        return getattr(self._huey.storage, name)
