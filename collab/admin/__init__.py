"""The admin area: JSON over the job ledger (the dashboard pages build on it)."""
from collab.admin import api

BLUEPRINTS = [api.bp]
