"""Real-time fan-out: which sockets each user has open here, and how events reach them.

A task (in any process) calls `publish(user_ids, event)`. Without Redis the
event goes to this process's registry and, unless this is the web process,
through the local channel in DATA_DIR (collab.local_channel) to the web
process's registry. With REDIS_URL it goes through Redis pub/sub, and every
web process's listener thread hands it to its own registry. Who is online is
kept beside it: asked of the web process over the local channel, or in a
Redis sorted set shared by all web processes. This module never imports Flask.

A socket may say which chat channel its page has open (`subscribe`, after the
caller checked membership): a channel's `message` events go only to the sockets
subscribed to it, however they travel, since the event names its channel.
"""
import collections
import json
import logging
import os
import threading
import time

import redis

from collab import local_channel
from collab.redis_pool import waiting_pool

log = logging.getLogger('collab.realtime')

CHANNEL = 'collab:events'
ONLINE_USERS_KEY = 'collab:presence'   # the sorted set every web process shares
# A user counts as online while a socket refreshed them within this many seconds.
ONLINE_WINDOW = 90


class ConnectionRegistry:
    """user id → this process's open connections (anything with `send(text)`)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_user = {}
        self._sent = {}   # connection → the notifications it was sent lately
        self._channel = {}   # connection → the chat channel its page has open
        self._viewers = {}   # chat channel → {connection: user id} (the reverse of _channel)

    def add(self, user_id, connection):
        """Register; True when this is the user's first connection here."""
        with self._lock:
            connections = self._by_user.setdefault(user_id, set())
            connections.add(connection)
            self._sent[connection] = RecentKeys()
            return len(connections) == 1

    def remove(self, user_id, connection):
        """Unregister; True when the user has no connection left here."""
        with self._lock:
            connections = self._by_user.get(user_id, set())
            connections.discard(connection)
            self._sent.pop(connection, None)
            self._unsubscribe(connection)
            if not connections:
                self._by_user.pop(user_id, None)
                return True
            return False

    def user_ids(self):
        with self._lock:
            return set(self._by_user)

    def subscribe(self, user_id, connection, channel_id):
        """The channel this connection's page has open (None: none); one at a time."""
        with self._lock:
            if connection not in self._sent:
                return
            self._unsubscribe(connection)
            if channel_id is not None:
                self._channel[connection] = channel_id
                self._viewers.setdefault(channel_id, {})[connection] = user_id

    def _unsubscribe(self, connection):
        channel_id = self._channel.pop(connection, None)
        viewers = self._viewers.get(channel_id)
        if viewers is not None:
            viewers.pop(connection, None)
            if not viewers:
                del self._viewers[channel_id]

    def subscribers(self, channel_id):
        """The users with a connection here whose page has this chat channel open."""
        with self._lock:
            return set(self._viewers.get(channel_id, {}).values())

    def forget(self):
        self._lock = threading.Lock()
        self._by_user = {}
        self._sent = {}
        self._channel = {}
        self._viewers = {}

    def count(self, user_id):
        with self._lock:
            return len(self._by_user.get(user_id, ()))

    def deliver(self, user_ids, text):
        """Send to every local connection of these users; a dead one is dropped.
        A notification or message event a connection was already sent is not sent
        to it again; a message event only to the connections subscribed to its channel."""
        key, channel_id = event_key(text)
        with self._lock:
            targets = [(uid, c) for uid in user_ids for c in self._by_user.get(uid, ())
                       if (channel_id is None or self._channel.get(c) == channel_id)
                       and (key is None or self._sent[c].first_time(key))]
        for user_id, connection in targets:
            try:
                connection.send(text)
            except Exception:
                log.info('dropping a dead socket of user %s', user_id)
                self.remove(user_id, connection)
        return len(targets)


registry = ConnectionRegistry()


class RecentKeys:
    """The last LIMIT keys seen, to tell a repeat from a first time."""
    LIMIT = 256

    def __init__(self):
        self._keys = collections.OrderedDict()

    def first_time(self, key):
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.LIMIT:
            self._keys.popitem(last=False)
        return True


def notification_key(text):
    """A notification event's id, or None for any other event."""
    if not text.startswith('{"type": "notification"'):
        return None
    return json.loads(text)['data'].get('id')


MESSAGE_EVENT = '{"type": "message"'


def event_key(text):
    """(the key that tells a repeat of this event, the channel whose subscribers alone
    get it): a notification's id; for a chat message event its channel, and its
    message, change and version. (None, None) for any other event."""
    if not text.startswith(MESSAGE_EVENT):
        return notification_key(text), None
    event = json.loads(text)
    message = event.get('message') or {}
    key = f"message:{message.get('id')}:{event.get('action')}:{message.get('edited_at')}"
    return key, event.get('channel_id')


class LocalBroadcaster:
    """Fan-out on one machine: to this process's sockets, and to the web process's
    through the local channel. The web process listens from its first socket on."""

    def __init__(self, data_dir, secret_key):
        self.data_dir, self.secret_key = data_dir, secret_key
        self.client = local_channel.ChannelClient(data_dir, secret_key)
        self._server = None
        self._lock = threading.Lock()
        self._said_why_not = False

    @property
    def listening(self):
        return self._server is not None

    def publish(self, user_ids, event):
        user_ids = list(user_ids)
        text = json.dumps(event, default=str)
        delivered = registry.deliver(user_ids, text)
        if not self.listening:
            self.client.publish(user_ids, text)
        return delivered

    def start_listener(self):
        """Receive other processes' events (called for every socket: cheap once listening)."""
        if self._server is not None:
            return
        with self._lock:
            if self._server is not None:
                return
            server = local_channel.ChannelServer(self.data_dir, self.secret_key,
                                                 registry.deliver, registry.user_ids)
            try:
                started = server.start()
            except OSError as exc:
                self._why_not(f'the realtime channel could not listen ({exc}): only events '
                              'published in this process reach its sockets')
                return
            if not started:
                self._why_not('another process already listens on the realtime channel in '
                              f'{self.data_dir}: events from other processes reach its sockets, '
                              'not these')
                return
            self._server = server
            self.client.close()   # this process now delivers its own events directly

    def _why_not(self, message):
        if not self._said_why_not:
            self._said_why_not = True
            log.warning(message)

    def close(self):
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
        self.client.close()

    def forget_after_fork(self):
        if self._server is not None:
            self._server.forget_after_fork()
            self._server = None
        self.client.forget_after_fork()
        self._lock = threading.Lock()


class RedisBroadcaster:
    """Fan-out across processes through one Redis pub/sub channel."""

    def __init__(self, url):
        self.url = url
        self.client = redis.Redis(connection_pool=waiting_pool(url))
        self._listener = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def publish(self, user_ids, event):
        message = json.dumps({'users': list(user_ids), 'event': event}, default=str)
        return self.client.publish(CHANNEL, message)

    def start_listener(self):
        """Deliver published events to this process's sockets (web processes only)."""
        with self._lock:
            if self._listener is None or not self._listener.is_alive():
                self._ready = threading.Event()
                self._listener = threading.Thread(target=self._listen, name='realtime-listener',
                                                  daemon=True)
                self._listener.start()
        self._ready.wait(5)

    def close(self):
        self._stopping.set()

    def _listen(self):
        while not self._stopping.is_set():
            try:
                self._listen_once()
            except redis.RedisError as exc:
                log.warning('realtime listener lost Redis (%s); reconnecting', exc)
                time.sleep(1)

    def _listen_once(self):
        # Its own connection without a read timeout: a quiet channel is not an error.
        client = redis.Redis.from_url(self.url, socket_connect_timeout=5, health_check_interval=30)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(CHANNEL)
        self._ready.set()
        try:
            while not self._stopping.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message and message['type'] == 'message':
                    payload = json.loads(message['data'])
                    registry.deliver(payload['users'], json.dumps(payload['event']))
        finally:
            pubsub.close()
            client.close()


class LocalOnlineUsers:
    """Online users on this machine: this process's, and the web process's when
    that is another (asked over the local channel, so always current)."""

    def __init__(self, broadcaster):
        self.broadcaster = broadcaster

    def touch(self, user_id):
        pass

    def leave(self, user_id):
        pass

    def online_user_ids(self):
        here = registry.user_ids()
        if self.broadcaster.listening:
            return here
        return here | self.broadcaster.client.online_user_ids()


class RedisOnlineUsers:
    """Online users of every web process: a sorted set of user id → last refresh."""

    def __init__(self, client):
        self.client = client

    def touch(self, user_id):
        self.client.zadd(ONLINE_USERS_KEY, {str(user_id): time.time()})

    def leave(self, user_id):
        self.client.zrem(ONLINE_USERS_KEY, str(user_id))

    def online_user_ids(self):
        cutoff = time.time() - ONLINE_WINDOW
        self.client.zremrangebyscore(ONLINE_USERS_KEY, '-inf', cutoff)
        return {int(uid) for uid in self.client.zrangebyscore(ONLINE_USERS_KEY, cutoff, '+inf')}


_current = {'key': object(), 'broadcaster': None, 'online_users': None}
_build_lock = threading.Lock()


def _build(settings):
    key = settings.redis_url or ('local', str(settings.data_dir), settings.secret_key)
    with _build_lock:
        if _current['key'] != key:
            if _current['broadcaster'] is not None:
                _current['broadcaster'].close()
            if settings.redis_url:
                broadcaster = RedisBroadcaster(settings.redis_url)
                _current['online_users'] = RedisOnlineUsers(broadcaster.client)
            else:
                broadcaster = LocalBroadcaster(settings.data_dir, settings.secret_key)
                _current['online_users'] = LocalOnlineUsers(broadcaster)
            _current.update(key=key, broadcaster=broadcaster)
    return _current


def _forget_after_fork():
    """A forked child owns neither the parent's sockets nor its end of the channel."""
    global _build_lock
    _build_lock = threading.Lock()
    registry.forget()
    if isinstance(_current['broadcaster'], LocalBroadcaster):
        _current['broadcaster'].forget_after_fork()


os.register_at_fork(after_in_child=_forget_after_fork)


def broadcaster(settings):
    """The Broadcaster for these settings (one per process, rebuilt if REDIS_URL,
    DATA_DIR or SECRET_KEY changes)."""
    return _build(settings)['broadcaster']


def online_users(settings):
    """Who is online now (live, not the persisted LastSeen): one per process, rebuilt
    as `broadcaster` is."""
    return _build(settings)['online_users']
