"""The Redis connection pool every client of the app uses: one that waits.

redis-py's default pool refuses at once ("Too many connections") past 100
connections in use. The gevent web worker runs a greenlet per WebSocket, and
2,000 sockets that mark their users online at the same moment pass that; the
refused ones then lose their socket. This pool holds at most MAX_CONNECTIONS
and makes a caller wait for a free one (cooperatively under gevent), up to
WAIT_SECONDS, as a database pool does.
"""
import redis

MAX_CONNECTIONS = 50
WAIT_SECONDS = 10


def waiting_pool(url, **options):
    return redis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=WAIT_SECONDS,
        socket_timeout=5, socket_connect_timeout=5, **options)
