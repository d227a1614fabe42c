from collab.workspace_pages import bp  # noqa: F401  (re-exported for collab/__init__.py)
