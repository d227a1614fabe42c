"""Real-time fan-out: which sockets each user has open here, and how events reach them.

A task (in any process) calls `publish(user_ids, event)`. Without Redis the
event goes straight to this process's registry — the embedded consumer shares
the web process. With REDIS_URL it goes through Redis pub/sub, and every web
process's listener thread hands it to its own registry. Who is online is
kept beside it: in this process, or in a Redis sorted set shared by all web
processes. This module never imports Flask.
"""
import json
import logging
import threading
import time

import redis

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

    def add(self, user_id, connection):
        """Register; True when this is the user's first connection here."""
        with self._lock:
            connections = self._by_user.setdefault(user_id, set())
            connections.add(connection)
            return len(connections) == 1

    def remove(self, user_id, connection):
        """Unregister; True when the user has no connection left here."""
        with self._lock:
            connections = self._by_user.get(user_id, set())
            connections.discard(connection)
            if not connections:
                self._by_user.pop(user_id, None)
                return True
            return False

    def user_ids(self):
        with self._lock:
            return set(self._by_user)

    def count(self, user_id):
        with self._lock:
            return len(self._by_user.get(user_id, ()))

    def deliver(self, user_ids, text):
        """Send to every local connection of these users; a dead one is dropped."""
        with self._lock:
            targets = [(uid, c) for uid in user_ids for c in self._by_user.get(uid, ())]
        for user_id, connection in targets:
            try:
                connection.send(text)
            except Exception:
                log.info('dropping a dead socket of user %s', user_id)
                self.remove(user_id, connection)
        return len(targets)


registry = ConnectionRegistry()


class LocalBroadcaster:
    """Fan-out inside this process."""

    def publish(self, user_ids, event):
        return registry.deliver(list(user_ids), json.dumps(event, default=str))

    def start_listener(self):
        pass

    def close(self):
        pass


class RedisBroadcaster:
    """Fan-out across processes through one Redis pub/sub channel."""

    def __init__(self, url):
        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
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
    """Online users of this process (the single-process deployment)."""

    def touch(self, user_id):
        pass

    def leave(self, user_id):
        pass

    def online_user_ids(self):
        return registry.user_ids()


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


_current = {'url': object(), 'broadcaster': None, 'online_users': None}
_build_lock = threading.Lock()


def _build(redis_url):
    with _build_lock:
        if _current['url'] != redis_url:
            if _current['broadcaster'] is not None:
                _current['broadcaster'].close()
            if redis_url:
                broadcaster = RedisBroadcaster(redis_url)
                _current['online_users'] = RedisOnlineUsers(broadcaster.client)
            else:
                broadcaster = LocalBroadcaster()
                _current['online_users'] = LocalOnlineUsers()
            _current.update(url=redis_url, broadcaster=broadcaster)
    return _current


def broadcaster(settings):
    """The Broadcaster for these settings (one per process, rebuilt if REDIS_URL changes)."""
    return _build(settings.redis_url)['broadcaster']


def online_users(settings):
    """Who is online now (live, not the persisted LastSeen): one per process, rebuilt
    if REDIS_URL changes."""
    return _build(settings.redis_url)['online_users']
