"""The admin area: the job dashboard pages, their JSON API and /metrics."""
from collab.admin import api, metrics, views

BLUEPRINTS = [api.bp, views.bp, metrics.bp]
