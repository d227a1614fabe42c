"""The job engine: Huey made a truthful job system. It imports no Flask."""


def __getattr__(name):
    # `from collab.jobs import report_progress`, the one call a task needs,
    # without importing the ledger whenever any part of the engine is imported.
    if name == 'report_progress':
        from collab.jobs.progress import report_progress
        return report_progress
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
