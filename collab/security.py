"""HTTP hardening: security headers, Secure session cookies over HTTPS, and throttles
on sign-in, sign-up and invites (counted in collab/ratelimit.py).

Failed sign-ins are limited per address, so an attacker's address is stopped
without locking the account for everyone else. Each account also has a delay
that doubles with every failure past ACCOUNT_FREE_TRIES in a row, against guesses
spread over many addresses; addresses the account has signed in from before pass
it, so the account's own user still gets in during an attack.
"""
from flask import request
from flask.sessions import SecureCookieSessionInterface

from collab import ratelimit, users
from collab.errors import ApiError

LOGIN_TRIES_PER_MINUTE = 10        # failed sign-ins per address
ACCOUNT_FREE_TRIES = 20            # failures in a row on one account before its delay starts
ACCOUNT_MAX_DELAY_EXPONENT = 10    # the delay doubles up to 2**10 s (about 17 minutes)
SIGNUPS_PER_HOUR = 20              # per address
INVITES_PER_HOUR = 50              # per inviting user

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


class Throttled(ApiError):
    """429, with the seconds to wait (the Retry-After header)."""

    def __init__(self, retry_after, message):
        super().__init__(429, f'{message}; try again in {retry_after} seconds')
        self.retry_after = retry_after


def _address():
    return request.remote_addr or 'unknown'


def _address_window():
    return f'login-ip:{_address()}'


def _signed_in_before(email):
    return ratelimit.is_marked(f'signed-in:{email}|{_address()}')


def _take_login_try(email):
    """Count this sign-in try against the address's limit and the account's delay, or
    raise Throttled having counted it against neither. Returns whether it went
    through the account's delay (addresses the account signed in from skip it)."""
    wait = ratelimit.take(_address_window(), LOGIN_TRIES_PER_MINUTE, 60)
    if wait:
        raise Throttled(wait, 'too many failed sign-in attempts from this address')
    if _signed_in_before(email):
        return False
    wait = ratelimit.delay_gate(f'login-account:{email}', ACCOUNT_FREE_TRIES,
                                ACCOUNT_MAX_DELAY_EXPONENT)
    if wait:
        ratelimit.give_back(_address_window(), 60)
        raise Throttled(wait, 'too many failed sign-in attempts on this account')
    return True


def _count_success(email, went_through_delay):
    """A success is not a failed try: it gives its count back, and (when it waited its
    turn) ends the account's delay. A known address's success leaves the delay, which
    an attacker may have built up, as it is."""
    ratelimit.give_back(_address_window(), 60)
    if went_through_delay:
        ratelimit.forget_delay(f'login-account:{email}')
    ratelimit.mark(f'signed-in:{email}|{_address()}')


def authenticate(email, password):
    """users.authenticate, throttled: None for wrong credentials, Throttled (a 429
    ApiError) when over a limit. The try is counted before the password is checked,
    in one atomic step, so tries sent together are never all checked."""
    if '\x00' in email:   # no account has one, and PostgreSQL cannot even compare it
        return None
    went_through_delay = _take_login_try(email)
    user = users.authenticate(email, password)
    if user is not None:
        _count_success(email, went_through_delay)
    return user


def check_signup_allowed():
    """At most SIGNUPS_PER_HOUR sign-up tries an hour per address."""
    wait = ratelimit.take(f'signup-ip:{_address()}', SIGNUPS_PER_HOUR, 3600)
    if wait:
        raise Throttled(wait, 'too many sign-ups from this address')


def check_invite_allowed(user):
    """At most INVITES_PER_HOUR invites an hour per inviting user."""
    wait = ratelimit.take(f'invite-user:{user.id}', INVITES_PER_HOUR, 3600)
    if wait:
        raise Throttled(wait, 'too many invites created')
