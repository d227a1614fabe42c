"""The JSON API: one blueprint per resource."""
from collab.api import (activity, auth, channels, documents, exports, files, invites,
                        members, notifications, search, workspaces)

BLUEPRINTS = [auth.bp, workspaces.bp, members.bp, invites.bp, documents.bp, search.bp,
              channels.bp, files.bp, activity.bp, notifications.bp, exports.bp]
