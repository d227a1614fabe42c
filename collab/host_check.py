"""Refuse requests for a Host this server is not (DNS rebinding).

A page on another site can point its own name at 127.0.0.1 and then read
this server as if it were its own origin. Its requests still say that name in
`Host`, so only the names of BASE_URL, the bind address and localhost are
answered.
"""
import functools
import re
from urllib.parse import urlsplit

from flask import current_app, request

from collab.errors import error_response, wants_json

LOCAL_NAMES = frozenset({'localhost', '127.0.0.1', '::1'})
HOST_HEADER = re.compile(r'(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::[0-9]{1,5})?', re.IGNORECASE)


@functools.lru_cache(maxsize=16)
def allowed_hosts(settings):
    """The host names (ports aside) this server answers to."""
    return LOCAL_NAMES | {urlsplit(settings.base_url).hostname, settings.host.strip('[]').lower()}


def host_name(header):
    """The name in a Host header, lower case and without port or brackets; None
    when the header is not `name[:port]` at all."""
    match = HOST_HEADER.fullmatch(header)
    return match.group(1).strip('[]').lower() if match else None


def refuse_foreign_host():
    """before_request: 400 for a Host outside `allowed_hosts`. A request without
    one (HTTP/1.0) passes: browsers always send it, so it is no rebinding."""
    header = request.headers.get('Host')
    if not header or host_name(header) in allowed_hosts(current_app.config['SETTINGS']):
        return None
    message = ('this server does not answer for that Host; set BASE_URL to the address '
               'people use to reach it')
    if wants_json():
        return error_response(400, message)
    return message + '\n', 400, {'Content-Type': 'text/plain; charset=utf-8'}
