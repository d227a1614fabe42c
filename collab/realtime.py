"""`/ws`: notifications, who comes online or goes, and the messages of the chat
channel a page has open, pushed to the browser over a WebSocket (flask-sock).

The client sends `{"type": "ping"}`, and `{"type": "subscribe", "channel": ID}`
(or `{"subscribe": {"channel": ID}}`) for the channel its page shows, `null` for
none: members only, answered `subscribed` or an error frame with status 403/404.

Admission happens before the upgrade, as plain HTTP: a session cookie or
`?token=`, and an Origin (when a browser sends one) of this very host —
another site's page must not ride on the user's cookie — and a free slot:
at most WS_MAX_PER_USER sockets per user and WS_MAX in all, else HTTP 429. A
socket then lives in one greenlet of the gevent worker (a thread elsewhere);
it holds no database connection (one is opened per event that needs it), and
others reach it through the registry in collab.broadcast. collab.socket_guard
closes it (4401) once its token, session or user is gone.
"""
import collections
import json
import random
import logging
import threading
import time
from urllib.parse import urlparse

from flask import Blueprint, current_app, g, request
from flask_sock import Sock

from collab import broadcast, channel_live, socket_guard
from collab.db import close_connection, database
from collab.errors import ApiError
from collab.models import Member
from collab.users import token_hash, user_for_token
from collab.validation import MAX_ID

log = logging.getLogger('collab.realtime')

sock = Sock()
bp = Blueprint('realtime', __name__)

# While the socket is quiet, refresh this user's online mark this often (seconds).
REFRESH_SECONDS = 30
SERVER_OPTIONS = {'ping_interval': 25, 'max_message_size': 64 * 1024}
# Close a socket whose client has sent nothing this long (the page pings every 25 s).
IDLE_TIMEOUT = 120

slots = socket_guard.Slots()
watcher = socket_guard.Watcher()


def init_app(app):
    app.config.setdefault('SOCK_SERVER_OPTIONS', SERVER_OPTIONS)
    app.config.setdefault('WS_IDLE_TIMEOUT', IDLE_TIMEOUT)
    sock.init_app(app)
    app.register_blueprint(bp)


@bp.before_request
def admit():
    """Refuse a foreign Origin, a missing login or a full server before the upgrade."""
    origin = request.headers.get('Origin')
    if origin is not None and urlparse(origin).netloc != request.host:
        raise ApiError(403, 'cross-origin WebSocket refused')
    user, token = g.get('user'), g.get('token')
    if user is None and request.args.get('token'):
        token = request.args['token']
        user = user_for_token(token)
    if user is None:
        raise ApiError(401, 'authentication required (session cookie or ?token=)')
    # What the sign-in rests on, for socket_guard to check while the socket lives.
    session = None if token else g.get('login_session')
    g.socket_grant = socket_guard.Grant(user.id, token_hash=token_hash(token) if token else None,
                                        password_hash=None if token else user.password_hash,
                                        session_hash=session.key_hash if session else None)
    settings = current_app.config['SETTINGS']
    try:
        slots.take(user.id, settings.ws_max_per_user, settings.ws_max)
    except socket_guard.Full as exc:
        raise ApiError(429, exc.message) from None
    g.socket_user_id = user.id


@bp.teardown_request
def give_back_slot(exc=None):
    # The socket's whole life is inside its request: this runs when it ends.
    if g.pop('socket_user_id', None) is not None:
        slots.give_back(g.socket_grant.user_id)


def close_all(code, reason):
    """Close every socket of this process (the server is stopping)."""
    for connection in watcher.sockets():
        connection.close(code, reason)


class Connection:
    """One socket; sends and closes from any thread are serialized. It is reachable
    (registered for broadcasts) before it is greeted, so that nothing sent to its
    user while it opens is lost; what comes before the greeting is held and sent
    right after it: the greeting is always the first frame."""

    def __init__(self, ws):
        self.ws = ws
        self._lock = threading.Lock()
        self._held = []   # frames sent before the greeting; None once greeted

    def greet(self, text):
        with self._lock:
            self.ws.send(text)
            held, self._held = self._held, None
            for frame in held:
                self.ws.send(frame)

    def send(self, text):
        with self._lock:
            if self._held is not None:
                self._held.append(text)
            else:
                self.ws.send(text)

    def close(self, code, reason):
        with self._lock:
            try:
                self.ws.close(reason=code, message=reason)
            except Exception:   # already closed
                pass


@sock.route('/ws', bp=bp)
def socket(ws):
    user_id = g.socket_user_id
    close_connection()   # the socket may live for hours: give the connection back now
    settings = current_app.config['SETTINGS']
    SocketSession(ws, user_id, settings, current_app.config['WS_IDLE_TIMEOUT'],
                  g.socket_grant).run()


class SocketSession:
    def __init__(self, ws, user_id, settings, idle_timeout=IDLE_TIMEOUT, grant=None):
        self.ws, self.user_id, self.idle_timeout = ws, user_id, idle_timeout
        self.connection = Connection(ws)
        self.grant = grant
        self.broadcaster = broadcast.broadcaster(settings)
        self.online_users = broadcast.online_users(settings)

    def run(self):
        self.broadcaster.start_listener()
        first = broadcast.registry.add(self.user_id, self.connection)
        if self.grant is not None:
            watcher.watch(self.connection, self.grant)
        try:
            self.online_users.touch(self.user_id)
            if first:
                self.announce(online=True)
            self.connection.greet(json.dumps({'type': 'hello', 'user_id': self.user_id}))
            self.receive_loop()
        finally:
            watcher.forget(self.connection)
            if broadcast.registry.remove(self.user_id, self.connection):
                self._leave()

    def receive_loop(self):
        heard = time.monotonic()
        # Sockets opened together would refresh together, every one a Redis write
        # in the same instant: each refreshes at its own point of the interval.
        next_refresh = heard + random.uniform(0.5, 1.0) * REFRESH_SECONDS
        while True:
            now = time.monotonic()
            left = self.idle_timeout - (now - heard)
            if left <= 0:
                self.ws.close(reason=1001, message='idle timeout')
                return
            text = self.ws.receive(timeout=max(min(next_refresh - now, left), 0))
            if text is None:
                if time.monotonic() >= next_refresh:
                    self.online_users.touch(self.user_id)
                    next_refresh = time.monotonic() + REFRESH_SECONDS
                continue
            heard = time.monotonic()
            self.handle(text)

    def handle(self, text):
        try:
            message = json.loads(text)
        except (TypeError, ValueError, RecursionError):   # not JSON, or nested past the parser
            message = None
        kind = message.get('type') if isinstance(message, dict) else None
        if kind == 'ping':
            self.online_users.touch(self.user_id)
            self.connection.send(json.dumps({'type': 'pong'}))
        elif kind == 'subscribe' or (isinstance(message, dict) and 'subscribe' in message):
            self.subscribe(message)
        else:
            self.connection.send(json.dumps({'type': 'error',
                                             'error': 'unknown message; send {"type": "ping"} '
                                                      'or {"type": "subscribe", "channel": ID}'}))

    def subscribe(self, message):
        """Follow one channel (replacing any other): only a member of its workspace may."""
        wanted = message.get('subscribe') if kind_of(message) != 'subscribe' else message
        channel_id = wanted.get('channel', False) if isinstance(wanted, dict) else False
        if channel_id is None:
            broadcast.registry.subscribe(self.user_id, self.connection, None)
            self.connection.send(json.dumps({'type': 'subscribed', 'channel': None}))
            return
        if type(channel_id) is not int or not 0 < channel_id <= MAX_ID:
            self.connection.send(json.dumps({
                'type': 'error', 'status': 400, 'error': 'subscribe needs {"channel": ID}'}))
            return
        refusal = channel_live.subscribable(self.user_id, channel_id)
        if refusal is not None:
            broadcast.registry.subscribe(self.user_id, self.connection, None)
            status, why = refusal
            self.connection.send(json.dumps({'type': 'error', 'status': status,
                                             'channel': channel_id, 'error': why}))
            return
        broadcast.registry.subscribe(self.user_id, self.connection, channel_id)
        self.connection.send(json.dumps({'type': 'subscribed', 'channel': channel_id}))

    def _leave(self):
        try:
            self.online_users.leave(self.user_id)
            self.announce(online=False)
        except Exception:
            log.exception('could not announce that user %s left', self.user_id)

    def announce(self, online):
        """Tell the user's co-members (in every web process) that they came or went.

        Each peer hears only of the workspaces it shares with the user (the rest
        are none of its business). Peers sharing the same ones get one event
        together: one query, and one publish per distinct set of workspaces."""
        with database.connection_context():
            shared = shared_workspaces(self.user_id)
        audiences = collections.defaultdict(list)
        for peer, workspace_ids in shared.items():
            audiences[tuple(workspace_ids)].append(peer)
        for workspace_ids, peers in audiences.items():
            # 'presence' is the event type the browsers' app.js listens for.
            self.broadcaster.publish(peers, {'type': 'presence', 'user_id': self.user_id,
                                             'online': online,
                                             'workspace_ids': list(workspace_ids)})


def kind_of(message):
    return message.get('type') if isinstance(message, dict) else None


def shared_workspaces(user_id):
    """peer user id → the ids of the workspaces it shares with this user, ascending."""
    Peer = Member.alias()
    rows = (Peer.select(Peer.user, Peer.workspace)
            .join(Member, on=(Member.workspace == Peer.workspace))
            .where((Member.user == user_id) & (Peer.user != user_id))
            .order_by(Peer.workspace)
            .tuples())
    shared = collections.defaultdict(list)
    for peer, workspace_id in rows:
        shared[peer].append(workspace_id)
    return shared
