"""Portable field types shared by the domain and job models."""
import json
from datetime import datetime, timezone

from peewee import TextField


class JSONText(TextField):
    """JSON kept as text: the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, separators=(',', ':'), default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


def utcnow():
    """Naive UTC: every timestamp in the database is UTC without tzinfo."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso(moment):
    """ISO 8601 UTC with milliseconds, as the API promises."""
    if moment is None:
        return None
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'
