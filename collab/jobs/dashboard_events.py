"""Tell admins' open dashboards that jobs changed, over their /ws sockets.

The ledger writer calls `changed()` after each committed batch; a small thread
sends at most one `{"type": "jobs"}` event per second, so a busy queue costs
one message a second, and the dashboard refetches its live region on it.
"""
import logging
import threading
import time

from collab import broadcast
from collab.background import BackgroundThread
from collab.db import database
from collab.models import User

log = logging.getLogger('collab.ledger')

INTERVAL = 1.0


class JobChangeNotifier:
    def __init__(self, huey, interval=INTERVAL):
        self.huey = huey
        self.interval = interval
        self._changed = threading.Event()
        self._thread = BackgroundThread(self._run, 'job-events')

    def changed(self):
        self._changed.set()
        self._thread.ensure_running()

    def _run(self):
        while True:
            self._changed.wait()
            self._changed.clear()
            try:
                self._publish()
            except Exception as exc:
                log.warning('could not tell the dashboards that jobs changed: %s', exc)
            time.sleep(self.interval)   # changes meanwhile go out in the next round

    def _publish(self):
        settings = self.huey.settings
        if settings is None:
            return
        with database.connection_context():   # not held between rounds
            admins = [row.id for row in User.select(User.id).where(User.is_admin == True)]  # noqa: E712
        if admins:
            broadcast.broadcaster(settings).publish(admins, {'type': 'jobs'})

