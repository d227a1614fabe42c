"""API errors: `{"error": "...", "field": "..."}` with a 4xx status, never a 500 page."""
import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger('collab.web')


class ApiError(Exception):
    def __init__(self, status, message, field=None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def error_response(status, message, field=None):
    body = {'error': message}
    if field:
        body['field'] = field
    return jsonify(body), status


def wants_json():
    return (request.path.startswith(('/api/', '/admin/api/', '/healthz'))
            or request.accept_mimetypes.best == 'application/json')


def init_app(app):
    @app.errorhandler(ApiError)
    def _api_error(exc):
        return error_response(exc.status, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc):
        if not wants_json():
            return exc
        return error_response(exc.code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception('unhandled error on %s %s', request.method, request.path)
        if wants_json():
            return error_response(500, 'internal error; it has been logged')
        return 'Internal error; it has been logged.', 500
