"""The admin area: the job dashboard pages, the users page, their JSON API and /metrics."""
from collab.admin import api, metrics, views
from collab.admin import users  # noqa: F401  (its routes are on the api and views blueprints)

BLUEPRINTS = [api.bp, views.bp, metrics.bp]
