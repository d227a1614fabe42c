"""The JSON API: one blueprint per resource."""
from collab.api import (activity, auth, channels, document_search, documents, exports, files,
                        invites, members, notifications, openapi, password_reset, tokens,
                        workspaces)
from collab.api.common import IdConverter  # noqa: F401  (collab/app.py registers it)
from collab.api import openapi_admin  # noqa: F401  (adds the admin's operations to openapi)

BLUEPRINTS = [auth.bp, workspaces.bp, members.bp, invites.bp, documents.bp, document_search.bp,
              channels.bp, files.bp, activity.bp, notifications.bp, exports.bp,
              tokens.bp, password_reset.bp, openapi.bp]
