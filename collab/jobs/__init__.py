"""The job engine: Huey made a truthful job system. It imports no Flask."""
