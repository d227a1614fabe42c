"""Time limits for tasks run by thread workers.

Huey enforces a task's `timeout` with SIGALRM in process workers and with
gevent.Timeout in greenlets, but in thread workers its timeout context does
nothing: only a task that calls `task.check_timeout()` itself ever stops.
Collab's workers are threads, so one watchdog thread raises TaskTimeout in a
worker whose task runs past its limit (PyThreadState_SetAsyncExc).

The exception arrives between two Python bytecodes: a task blocked inside one
long C call (a socket read, time.sleep) is stopped when that call returns.
"""
import ctypes
import threading
import time

from huey.exceptions import TaskTimeout

IDLE_EXIT = 0.5   # seconds without a limit to watch, then the watchdog thread ends


class LimitReached(TaskTimeout):
    """Raised asynchronously in the worker; `TimeLimit` turns it into Huey's TaskTimeout."""


class TimeLimit:
    """`with TimeLimit(seconds):` -- TaskTimeout once `seconds` have passed.

    Once the limit has fired, the block always ends in TaskTimeout, even when
    the task caught the exception and went on or raised another one.
    """

    def __init__(self, seconds):
        self.seconds = seconds
        self.thread_id = None
        self.deadline = None
        self.fired = False

    def __enter__(self):
        self.thread_id = threading.get_ident()
        self.deadline = time.monotonic() + self.seconds
        watchdog.watch(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            fired = watchdog.unwatch(self)
            if fired:
                # Drop the exception should it not have arrived yet: it must not
                # surface later, in code that is not the task's.
                _raise_in(self.thread_id, None)
        except LimitReached:
            fired = True   # it arrived just now, after the task's own code
        if not fired:
            return False
        # The same message as Huey's cooperative check_timeout().
        raise TaskTimeout(f'timeout {self.seconds}s') from exc


class Watchdog:
    """One thread for every limit of the process: it sleeps until the nearest deadline."""

    def __init__(self):
        self._cond = threading.Condition()
        self._limits = set()
        self._wake_at = None   # the deadline the thread sleeps until; None: no limit
        self._thread = None

    def watch(self, limit):
        with self._cond:
            self._limits.add(limit)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name='time-limits',
                                                daemon=True)
                self._thread.start()
            if self._wake_at is None or limit.deadline < self._wake_at:
                self._cond.notify()

    def unwatch(self, limit):
        """Done with `limit`; returns whether it fired. After this it never fires."""
        with self._cond:
            self._limits.discard(limit)
            return limit.fired

    def _run(self):
        idle_since = None
        with self._cond:
            while True:
                now = time.monotonic()
                for limit in [lim for lim in self._limits if lim.deadline <= now]:
                    self._limits.discard(limit)
                    limit.fired = True
                    _raise_in(limit.thread_id, LimitReached)
                self._wake_at = min((lim.deadline for lim in self._limits), default=None)
                if self._wake_at is not None:
                    idle_since = None
                    self._cond.wait(self._wake_at - now)
                elif idle_since is None or now - idle_since < IDLE_EXIT:
                    idle_since = idle_since or now
                    self._cond.wait(IDLE_EXIT)
                else:
                    # Nothing to watch for a while: a stopped consumer leaves no thread behind.
                    self._thread = None
                    return


def _raise_in(thread_id, exc_class):
    """Raise `exc_class` in that thread at its next bytecode; None clears a pending one."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               None if exc_class is None
                                               else ctypes.py_object(exc_class))


watchdog = Watchdog()
