"""Small, explicit input checks for request bodies and query strings."""
import re
from datetime import datetime, timezone

import flask
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from collab import files
from collab.errors import ApiError

# A document of MAX_CONTENT characters outside the BMP fits, however it is sent:
# JSON-escaped as a surrogate pair (12 bytes each, as Python's json.dumps
# sends it), or URL-encoded in a page's form (12 bytes each).
MAX_JSON_BYTES = 2560 * 1024
MAX_FORM_BYTES = 4 * 1024 * 1024
MAX_UPLOAD_BYTES = files.MAX_FILE_BYTES + 64 * 1024   # one file and its multipart framing
UPLOAD_ENDPOINTS = frozenset({'api_files.upload', 'workspace_pages.upload'})
MAX_JSON_DEPTH = 32
MAX_ID = 2**63 - 1   # the largest id a database integer column can hold
EMAIL_RE = re.compile(r'^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$')
SURROGATE = re.compile('[\ud800-\udfff]')
# Filter dates: far enough apart for any job, near enough that converting a
# time zone can never leave datetime's range (year 1 to 9999).
EARLIEST, LATEST = datetime(1970, 1, 1), datetime(9999, 1, 1)


class BodyStream(LimitedStream):
    """A body stream that never yields more than `limit` bytes, and raises 413 when
    the body goes on past them. Werkzeug's own (3.1) raises only on a read after
    the limit: reading it whole, as get_data() and the form parser do, returns
    the first `limit` bytes of a longer chunked body as if they were all of it."""

    def __init__(self, source, limit):
        super().__init__(source, limit, is_max=True)
        self.source = source

    def readall(self):
        data = super().readall()
        if self.is_exhausted and self.source.read(1):
            raise RequestEntityTooLarge()
        return data


class Request(flask.Request):
    """Flask's request with a body limit for each kind of request, enforced on the
    stream, chunked bodies included: no more than the limit is ever read.

    The limit is fixed when the stream is first read, which may be before the
    view (the CSRF check reads forms); the URL rule is matched by then, so it
    is chosen by endpoint and content type.
    """

    @cached_property
    def stream(self):
        limit = self.max_content_length
        # Set by servers that end the stream themselves (gunicorn always; werkzeug's
        # for chunked bodies). Without it werkzeug reads at most Content-Length.
        if self.shallow or limit is None or 'wsgi.input_terminated' not in self.environ:
            return super().stream
        if (self.content_length or 0) > limit:
            raise RequestEntityTooLarge()
        return BodyStream(self.environ['wsgi.input'], limit)

    @property
    def max_content_length(self):
        if self._max_content_length is not None:
            return self._max_content_length
        ceiling = super().max_content_length   # MAX_CONTENT_LENGTH
        if self.url_rule is not None and self.url_rule.endpoint in UPLOAD_ENDPOINTS:
            limit = MAX_UPLOAD_BYTES
        else:
            limit = MAX_JSON_BYTES if self.is_json else MAX_FORM_BYTES
        return limit if ceiling is None else min(limit, ceiling)

    @max_content_length.setter
    def max_content_length(self, value):
        self._max_content_length = value


def json_body():
    """The request's JSON object, or a 4xx that says what is wrong."""
    # Only application/json: a cross-site HTML form cannot send that type,
    # so no other site can post JSON in a visitor's name (e.g. sign them in).
    if not request.is_json:
        raise ApiError(415, 'send the body as JSON with Content-Type: application/json')
    try:
        data = request.get_json(silent=True)   # at most MAX_JSON_BYTES are read
    except RecursionError:   # the parser's own depth limit, far past ours
        raise ApiError(400, f'JSON must not nest more than {MAX_JSON_DEPTH} levels') from None
    if not isinstance(data, dict):
        raise ApiError(400, 'request body must be a JSON object')
    check_json(data)
    return data


def check_json(value):
    """400 for nesting deeper than MAX_JSON_DEPTH, or a string (or key) holding an
    unpaired surrogate, which no database or UTF-8 encoder accepts. Walked
    with a stack, not recursion, so no input can exhaust the interpreter's."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _no_surrogate(item)
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise ApiError(400, f'JSON must not nest more than {MAX_JSON_DEPTH} levels')
        if isinstance(item, dict):
            for key in item:
                _no_surrogate(key)
            item = item.values()
        pending.extend((child, depth + 1) for child in item)


def _no_surrogate(text_value):
    if SURROGATE.search(text_value):
        raise ApiError(400, 'JSON strings must not hold unpaired surrogates (\\ud800-\\udfff)')


def moment(data, name):
    """An ISO 8601 date and time (a form's datetime-local works too), as naive UTC;
    None when absent. A 400 names the field when it is not one, or is out of range."""
    value = text(data, name, 40, required=False, min_length=0)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace('Z', '+00:00'))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except ValueError:
        raise ApiError(400, f'{name} must be an ISO 8601 date and time', name) from None
    except OverflowError:   # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        parsed = None
    if parsed is None or not EARLIEST <= parsed <= LATEST:
        raise ApiError(400, f'{name} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}',
                       name)
    return parsed


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


def lowered(value, name, max_length):
    """`value` in lower case, still at most `max_length` characters ('İ' lowers to two)."""
    value = value.lower()
    if len(value) > max_length:
        raise ApiError(400, f'{name} must be at most {max_length} characters', name)
    return value


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
    value = text(data, name, 254).lower()   # lower() can lengthen it: 'İ' is two characters
    if len(value) > 254:
        raise ApiError(400, f'{name} must be at most 254 characters', name)
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
