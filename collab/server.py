"""Serving the app with gunicorn's gevent worker: one greenlet per connection.

A WebSocket then costs a greenlet and its buffers, not an OS thread, so
thousands of them stay open while ordinary requests go on being answered. The
worker's standard library is monkey-patched by gunicorn, so the app's
background threads (the outbox dispatcher, the ledger writer, the dashboard
events notifier, the Redis listener) run as greenlets. That fits only because
no CPU-heavy work runs here: the consumer is its own process (`collab.supervisor`
under `python run.py`, or `python run.py worker`), and a greenlet that
computes for a second stalls every connection for that second.

One gunicorn worker: the registry of open sockets (collab.broadcast) is per
process, and one event loop on one core answers thousands of idle sockets.
"""
import math
import signal
import sys

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.ggevent import GeventWorker

# Open connections the worker accepts beyond WS_MAX sockets: plain requests and
# clients still sending their headers (dropped after REQUEST_HEADER_TIMEOUT).
EXTRA_CONNECTIONS = 1000
# Seconds a stopping worker lets requests in flight finish. WebSockets are
# closed at once (close code 1001), so they do not hold the stop.
WEB_GRACE = 10


class GracefulArbiter(Arbiter):
    """Ctrl-C stops as gently as SIGTERM: stock gunicorn makes SIGINT a quick
    shutdown that exits the worker at once, without letting requests finish.
    A second Ctrl-C during the graceful stop still means "now"."""

    def handle_int(self):
        self.handle_term()


class CollabWorker(GeventWorker):
    """gunicorn's gevent worker that closes the open WebSockets when it stops.

    The header timeout is gunicorn's own: the async worker reads every request's
    request line and headers, the first one of a connection included, under
    `gevent.Timeout(keepalive)`, and drops the connection when it fires. So
    `keepalive` is set to REQUEST_HEADER_TIMEOUT (tests/test_connections.py
    checks that a slow client is dropped)."""

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        import gevent
        from collab import realtime
        gevent.spawn(realtime.close_all, 1001, 'server stopping')


class CollabServer(BaseApplication):
    def __init__(self, settings):
        self.settings = settings
        super().__init__()

    def load_config(self):
        options = {
            'bind': f'{self.settings.host}:{self.settings.port}',
            'workers': 1,
            'worker_class': f'{__name__}.CollabWorker',
            'worker_connections': self.settings.ws_max + EXTRA_CONNECTIONS,
            'keepalive': math.ceil(self.settings.request_header_timeout),
            'graceful_timeout': WEB_GRACE,
            'timeout': 120,
            'accesslog': None,
            'errorlog': '-',
            'loglevel': 'info',
            'proc_name': 'collab',
            # No control socket: it lives in $HOME and concurrent servers would share it.
            'control_socket_disable': True,
            'post_worker_init': self._post_worker_init,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from collab.app import create_app
        return create_app(self.settings)

    def run(self):
        try:
            GracefulArbiter(self).run()
        except RuntimeError as exc:
            print(f'error: {exc}', file=sys.stderr)
            sys.exit(1)

    def _post_worker_init(self, worker):
        # Ctrl-C in a terminal reaches the worker too: make it the graceful stop.
        signal.signal(signal.SIGINT, worker.handle_exit)


def serve(settings):
    CollabServer(settings).run()
