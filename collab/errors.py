"""API errors: `{"error": "...", "field": "..."}` with a 4xx status, never a 500 page."""
import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from collab import disk

log = logging.getLogger('collab.web')


class ApiError(Exception):
    """`details` are more members of the JSON error (e.g. a quota's used bytes)."""

    def __init__(self, status, message, field=None, **details):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.details = details


def error_response(status, message, field=None, **details):
    body = {'error': message}
    if field:
        body['field'] = field
    body.update(details)
    return jsonify(body), status


def wants_json():
    return (request.path.startswith(('/api/', '/admin/api/', '/healthz'))
            or request.accept_mimetypes.best == 'application/json')


def disk_full_response():
    """507 Insufficient Storage: the write failed whole, and may be sent again later."""
    if disk.note_full():
        log.warning('DATA_DIR is out of space: writes answer 507 until space is freed')
    if wants_json():
        return error_response(507, disk.MESSAGE)
    return 'Out of disk space; nothing was saved. Try again once space is freed.', 507


def init_app(app):
    @app.errorhandler(ApiError)
    def _api_error(exc):
        return error_response(exc.status, exc.message, exc.field, **exc.details)

    @app.errorhandler(RequestEntityTooLarge)
    def _body_too_large(exc):
        # Raised by werkzeug once a body (chunked or not) passes the request's limit.
        if not wants_json():
            return exc
        return error_response(413, f'request body is larger than '
                                   f'{request.max_content_length} bytes')

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if not wants_json():
            return exc
        return error_response(exc.code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        if disk.is_full_error(exc):
            return disk_full_response()
        log.exception('unhandled error on %s %s', request.method, request.path)
        if wants_json():
            return error_response(500, 'internal error; it has been logged')
        return 'Internal error; it has been logged.', 500
