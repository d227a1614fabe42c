"""HTTP hardening: security headers, Secure session cookies over HTTPS, login throttling."""
from flask import request
from flask.sessions import SecureCookieSessionInterface

from collab import ratelimit, users
from collab.errors import ApiError

LOGIN_TRIES_PER_MINUTE = 10

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",                 # no inline scripts
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def add_security_headers(response):
    response.headers.setdefault('X-Content-Type-Options', 'nosniff')
    response.headers.setdefault('Referrer-Policy', 'same-origin')
    response.headers.setdefault('X-Frame-Options', 'DENY')
    if response.mimetype == 'text/html':
        response.headers.setdefault('Content-Security-Policy', CSP)
    return response


def refuse_nul_in_url():
    """before_request: a NUL character in the path or the query string means nothing
    here, and PostgreSQL cannot even compare text that holds one."""
    if '\x00' in request.path or any('\x00' in key or '\x00' in value
                                     for key, value in request.args.items(multi=True)):
        raise ApiError(400, 'the URL must not contain NUL characters')


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or request.is_secure


def _login_keys(email):
    return (f'login-ip:{request.remote_addr}', f'login-account:{email}')


def check_login_allowed(email):
    """At most LOGIN_TRIES_PER_MINUTE failed sign-ins a minute per client address and per account."""
    for name in _login_keys(email):
        wait = ratelimit.wait_seconds(name, LOGIN_TRIES_PER_MINUTE, 60)
        if wait:
            raise ApiError(429, f'too many failed sign-in attempts; try again in {wait} seconds')


def count_failed_login(email):
    for name in _login_keys(email):
        ratelimit.hit(name, 60)


def authenticate(email, password):
    """users.authenticate, throttled: None for wrong credentials, 429 when over the limit."""
    if '\x00' in email:   # no account has one, and PostgreSQL cannot even compare it
        return None
    check_login_allowed(email)
    user = users.authenticate(email, password)
    if user is None:
        count_failed_login(email)
    return user
