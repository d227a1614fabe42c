"""A daemon thread of the process, started when first needed. This module imports no Flask."""
import threading


class BackgroundThread:
    """Runs `target` in a daemon thread named `name`, started by the first
    `ensure_running()` and started again should it have died."""

    def __init__(self, target, name):
        self._target, self._name = target, name
        self._thread = None
        self._lock = threading.Lock()

    @property
    def running(self):
        thread = self._thread
        return thread is not None and thread.is_alive()

    def ensure_running(self):
        if self.running:   # the usual case, on a hot path: no lock
            return
        with self._lock:
            if not self.running:
                self._thread = threading.Thread(target=self._target, name=self._name,
                                                daemon=True)
                self._thread.start()
