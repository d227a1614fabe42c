"""Waking idle workers when work arrives, instead of letting them poll."""
import threading

# Right after work, a worker (or the outbox dispatcher) looks again this soon
# instead of waiting to be woken.
POLL_SECONDS = 0.005


class WakeSignal:
    """Wakes an idle worker as soon as a task is enqueued in this process.

    Stock workers poll an empty queue with a backoff that grows to seconds;
    counting pending wake-ups (at most one per worker) means a wake-up sent
    while a worker is between its empty read and its sleep is not lost.

    Under load a wake-up per task would cost more than the task: a worker that
    has just run a task sleeps only POLL_SECONDS and looks again, and while one
    does, an enqueue wakes no one; that worker takes the task, and a claim that
    finds more behind it wakes the next worker (CollabHuey.dequeue).
    docs/performance.md has the figures.
    """
    def __init__(self):
        self._cond = threading.Condition()
        self._pending = 0
        self._polling = 0
        self.capacity = 1

    def notify(self):
        """Tasks were enqueued: wake an idle worker, unless one is about to look."""
        with self._cond:
            if not self._polling and self._pending < self.capacity:
                self._pending += 1
                self._cond.notify()

    def notify_all(self):
        with self._cond:
            self._pending = self.capacity
            self._cond.notify_all()

    def wait(self, timeout, poll=False):
        """Sleep until woken or `timeout` passes; `poll`: at most POLL_SECONDS."""
        with self._cond:
            if poll:
                self._polling += 1
                timeout = min(timeout, POLL_SECONDS)
            try:
                if not self._pending:
                    self._cond.wait(timeout)
                if self._pending:
                    self._pending -= 1
            finally:
                if poll:
                    self._polling -= 1
