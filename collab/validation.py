"""Small, explicit input checks for JSON bodies and query strings."""
import re

from flask import request

from collab.errors import ApiError

MAX_JSON_BYTES = 256 * 1024
MAX_ID = 2**63 - 1   # the largest id a database integer column can hold
EMAIL_RE = re.compile(r'^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$')


def json_body():
    """The request's JSON object, or a 4xx that says what is wrong."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise ApiError(413, f'request body is larger than {MAX_JSON_BYTES} bytes')
    # Only application/json: a cross-site HTML form cannot send that type,
    # so no other site can post JSON in a visitor's name (e.g. sign them in).
    if not request.is_json:
        raise ApiError(415, 'send the body as JSON with Content-Type: application/json')
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, 'request body must be a JSON object')
    return data


def _string(data, name, required):
    """The raw string value of `name`, or None when absent and optional."""
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, f'{name} is required', name)
        return None
    if not isinstance(value, str):
        raise ApiError(400, f'{name} must be a string', name)
    return no_nul(value, name)


def text(data, name, max_length, required=True, min_length=1):
    """A short text field, stripped, within [min_length, max_length]."""
    value = _string(data, name, required)
    if value is None:
        return None
    value = value.strip()
    if len(value) < min_length:
        raise ApiError(400, f'{name} must be at least {min_length} characters', name)
    if len(value) > max_length:
        raise ApiError(400, f'{name} must be at most {max_length} characters', name)
    return value


def no_nul(value, name):
    """NUL characters are refused: PostgreSQL cannot store them in text."""
    if '\x00' in value:
        raise ApiError(400, f'{name} must not contain NUL characters', name)
    return value


def email(data, name='email'):
    value = text(data, name, 254).lower()
    if not EMAIL_RE.match(value):
        raise ApiError(400, f'{name} is not a valid email address', name)
    return value


def boolean(data, name):
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f'{name} must be true or false', name)
    return value


def int_arg(name, default, low, high):
    """An integer query-string argument within [low, high]."""
    raw = request.args.get(name)
    if raw is None or raw == '':
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f'{name} must be a whole number', name) from None
    if not low <= value <= high:
        raise ApiError(400, f'{name} must be between {low} and {high}', name)
    return value


def row_id(value, what):
    """An id from the URL: one no table can hold (SQLite cannot even compare it) is a 404."""
    if not 0 < value <= MAX_ID:
        raise ApiError(404, f'no such {what}')
    return value


MAX_CONTENT = 200_000


def content(data, name='content', required=True, max_length=MAX_CONTENT):
    """A text body kept exactly as sent (not stripped); may be empty."""
    value = _string(data, name, required)
    if value is not None and len(value) > max_length:
        raise ApiError(413, f'{name} must be at most {max_length} characters', name)
    return value
