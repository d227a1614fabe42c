"""Guards on this process's WebSockets: how many are open (per user and in all),
and whether each one's sign-in still holds.

Slots are taken before the upgrade and given back when the socket's request
ends, so two sockets opening at once cannot both take the last one. The
sign-in check is one watcher for all sockets: every few seconds it asks the
database, a few queries for all of them together (not one per socket), which
tokens and sessions still exist unexpired, and which users are still there
with the same password hash, and closes the others with close code 4401. A
token socket ends when its token is deleted (signing out through the API,
`DELETE /api/me/tokens/<id>`, a password change) or expires; a session socket
when its session ends (signing out, a password change elsewhere) or the
user's password changes; either when its user is deleted. This module
imports no Flask.
"""
import logging
import threading
import time

from collab.background import BackgroundThread
from collab.db import database
from collab.fields import utcnow
from collab.models import ApiToken, LoginSession, User

log = logging.getLogger('collab.realtime')

CHECK_SECONDS = 2.0   # a revoked sign-in's socket is closed within about this long
REVOKED_CODE = 4401
CHUNK = 100           # ids per IN (...) query
PAUSE_SECONDS = 0.005  # between two such queries, for the requests waiting meanwhile


class Full(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class Slots:
    def __init__(self):
        self._lock = threading.Lock()
        self._by_user = {}
        self.total = 0

    def take(self, user_id, per_user, overall):
        with self._lock:
            if self.total >= overall:
                raise Full(f'the server holds its maximum of {overall} WebSockets; try again later')
            mine = self._by_user.get(user_id, 0)
            if mine >= per_user:
                raise Full(f'at most {per_user} WebSockets per user; close another tab first')
            self._by_user[user_id] = mine + 1
            self.total += 1

    def give_back(self, user_id):
        with self._lock:
            left = self._by_user.get(user_id, 0) - 1
            if left > 0:
                self._by_user[user_id] = left
            else:
                self._by_user.pop(user_id, None)
            self.total = max(self.total - 1, 0)


class Grant:
    """What admitted one socket: a token (its hash), or a session (its key's hash,
    and the password hash then)."""

    def __init__(self, user_id, token_hash=None, password_hash=None, session_hash=None):
        self.user_id, self.token_hash, self.password_hash = user_id, token_hash, password_hash
        self.session_hash = session_hash

    def holds(self, live_tokens, live_sessions, passwords):
        if self.user_id not in passwords:
            return False
        if self.token_hash and self.token_hash not in live_tokens:
            return False
        if self.session_hash and self.session_hash not in live_sessions:
            return False
        return not self.password_hash or passwords[self.user_id] == self.password_hash


class Watcher:
    """Closes sockets whose grant no longer holds; `close(code, reason)` is called on them."""

    def __init__(self, interval=CHECK_SECONDS):
        self.interval = interval
        self._lock = threading.Lock()
        self._watched = {}    # socket → Grant
        self._thread = BackgroundThread(self._run, 'socket-watcher')

    def watch(self, sock, grant):
        with self._lock:
            self._watched[sock] = grant
        self._thread.ensure_running()

    def forget(self, sock):
        with self._lock:
            self._watched.pop(sock, None)

    def sockets(self):
        with self._lock:
            return list(self._watched)

    def _run(self):
        while True:
            time.sleep(self.interval)
            try:
                self.check()
            except Exception:
                log.exception('checking the sockets\' sign-ins failed; trying again')

    def check(self):
        with self._lock:
            watched = list(self._watched.items())
        if not watched:
            return 0
        tokens = {g.token_hash for _, g in watched if g.token_hash}
        sessions = {g.session_hash for _, g in watched if g.session_hash}
        user_ids = {g.user_id for _, g in watched}
        with database.connection_context():
            live_tokens = _unexpired(ApiToken, ApiToken.token_hash, tokens)
            live_sessions = _unexpired(LoginSession, LoginSession.key_hash, sessions)
            passwords = dict(_found(User, (User.id, User.password_hash), User.id, user_ids))
        closed = 0
        for sock, grant in watched:
            if not grant.holds(live_tokens, live_sessions, passwords):
                self.forget(sock)
                sock.close(REVOKED_CODE, 'signed out')
                closed += 1
        return closed


def _unexpired(model, key, values):
    """Which of `values` (of column `key`) name a row of `model` that has not expired."""
    now = model.expires_at.db_value(utcnow())
    return {value for (value,) in _found(model, (key,), key, values,
                                         condition=(model.expires_at, now))}


def _found(model, columns, key, values, condition=None):
    """The rows of `columns` of `model` whose `key` is one of `values`, in slices of
    CHUNK, and only those whose `condition` column (if any) is above its value.

    Written as plain SQL: with thousands of sockets, building the queries through
    the ORM cost twice what running them did. A pause after each slice: under
    gevent this runs on the event loop that serves every connection, so a check
    of thousands of sockets must hold it for a moment at a time, and requests
    are served in between."""
    param = database.param
    select = (f'SELECT {", ".join(quote(c.column_name) for c in columns)} '
              f'FROM {quote(model._meta.table_name)} WHERE ')
    if condition is not None:
        select += f'{quote(condition[0].column_name)} > {param} AND '
    select += f'{quote(key.column_name)} IN '
    for part in _chunks(values):
        parameters = ([condition[1]] if condition is not None else []) + part
        yield from database.execute_sql(select + f'({", ".join([param] * len(part))})', parameters)
        time.sleep(PAUSE_SECONDS)


def quote(name):
    opening, closing = database.quote   # '""' or '``'
    return f'{opening}{name}{closing}'


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]
