"""The JSON API: one blueprint per resource."""
from collab.api import auth, workspaces

BLUEPRINTS = [auth.bp, workspaces.bp]
