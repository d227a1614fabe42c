"""Collab: a self-hosted collaboration server.

The web app is built by `collab.app.create_app`. Importing this package loads
nothing else, so a process that serves no pages (the supervisor, a worker)
does not load Flask on its account.
"""
