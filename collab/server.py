"""Serving the app with gunicorn (threads, so WebSockets work), optionally with
the Huey consumer embedded in the same worker process.

One gunicorn worker: the embedded consumer shares its process with the
WebSocket connections, so in-process notification fan-out reaches them.
"""
import logging
import math
import signal
import sys

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

log = logging.getLogger('collab.server')


class GracefulArbiter(Arbiter):
    """Ctrl-C stops as gently as SIGTERM: stock gunicorn makes SIGINT a quick
    shutdown that exits the worker at once, without waiting for running tasks.
    A second Ctrl-C during the graceful stop still means "now"."""

    def handle_int(self):
        self.handle_term()


class CollabServer(BaseApplication):
    def __init__(self, settings, embedded_consumer=True):
        self.settings = settings
        self.embedded_consumer = embedded_consumer
        self.runner = None
        super().__init__()

    def load_config(self):
        options = {
            'bind': f'{self.settings.host}:{self.settings.port}',
            'workers': 1,
            'worker_class': 'gthread',
            'threads': self.settings.web_threads,
            # The master waits this long for the worker, whose consumer waits
            # SHUTDOWN_GRACE for running tasks: leave room for both.
            'graceful_timeout': math.ceil(self.settings.shutdown_grace) + 10,
            'timeout': 120,
            'accesslog': None,
            'errorlog': '-',
            'loglevel': 'info',
            'proc_name': 'collab',
            # No control socket: it lives in $HOME and concurrent servers would share it.
            'control_socket_disable': True,
            'post_worker_init': self._post_worker_init,
            'worker_exit': self._worker_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from collab import create_app
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
        if not self.embedded_consumer:
            return
        from collab.jobs.runner import ConsumerRunner
        self.runner = ConsumerRunner(self.settings, embedded=True)
        self.runner.start()

    def _worker_exit(self, arbiter, worker):
        if self.runner is not None:
            log.info('stopping the embedded consumer (grace %ss)', self.settings.shutdown_grace)
            self.runner.stop()


def serve(settings, embedded_consumer=True):
    CollabServer(settings, embedded_consumer).run()
