"""The ledger's signal receivers: each builds a small event and hands it to the writer.

They run in the task's thread, so they do as little as they can; rows are
built by the writer.
"""
import time
import traceback

from huey import signals as S

from collab.fields import utcnow
from collab.jobs.engine import SIGNAL_DEAD_LETTER, SIGNAL_STORED
from collab.jobs.ledger.events import (DeadLetterReceived, Duplicate, Finished, Recovered, Run, Scheduled,
                                       Skipped, Stored)
from collab.jobs.models import DUPLICATE, EXPIRED, FAILED, INTERRUPTED, RETRYING, REVOKED, SUCCEEDED

ERROR_LIMIT = 2000

TRACEBACK_LIMIT = 20_000

FAILURE_SIGNALS = (S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_LOCKED, S.SIGNAL_RATE_LIMITED,
                   S.SIGNAL_CANCELED)


class Receivers:
    """The receivers for one Huey instance, writing through one writer."""

    def __init__(self, huey, writer):
        self.huey, self.put = huey, writer.put

    def connect(self):
        for receiver, signals in [
                (self.stored, (SIGNAL_STORED,)),
                (self.scheduled, (S.SIGNAL_SCHEDULED,)),
                (self.executing, (S.SIGNAL_EXECUTING,)),
                (self.complete, (S.SIGNAL_COMPLETE,)),
                (self.failed, FAILURE_SIGNALS),
                (self.interrupted, (S.SIGNAL_INTERRUPTED,)),
                (self.skipped, (S.SIGNAL_REVOKED, S.SIGNAL_EXPIRED)),
                (self.dead_letter, (SIGNAL_DEAD_LETTER,))]:
            self.huey.signal(*signals)(receiver)

    def stored(self, signal, task):
        context = self.huey.context
        self.put(Stored(task, task.enqueued_at or utcnow(), task.retries, task.eta,
                        context.current, context.group_id))

    def scheduled(self, signal, task):
        self.put(Scheduled(task, utcnow(), task.retries, task.eta))

    def executing(self, signal, task):
        if task.duplicate_delivery:
            return   # not a run: recorded as a duplicate when it completes
        task.run_started = time.monotonic()
        # The attempt's key: its captured logs (collab.jobs.job_logs) are filed under it.
        task.run_started_at = started_at = utcnow()
        self.put(Run(task, task.retries, started_at, self.huey.consumer_id))

    def complete(self, signal, task):
        if not task.duplicate_delivery:
            self._finish(task, SUCCEEDED, 'succeeded')
        elif task.run_started is None:   # known before the run began
            self.put(Duplicate(task.id, utcnow(), self.huey.consumer_id))
        else:   # another delivery committed while this one ran
            self._finish(task, SUCCEEDED, DUPLICATE)

    def failed(self, signal, task, exc=None):
        error, tb = describe_failure(signal, exc)
        final = not task.retries
        state = FAILED if final else RETRYING
        if signal == S.SIGNAL_CANCELED and final:
            state = REVOKED
        self._finish(task, state, signal if signal != S.SIGNAL_ERROR else 'error', error, tb)

    def interrupted(self, signal, task):
        self._finish(task, INTERRUPTED, 'interrupted', 'interrupted: the consumer stopped mid-run')

    def skipped(self, signal, task):
        state = REVOKED if signal == S.SIGNAL_REVOKED else EXPIRED
        self.put(Skipped(task, task.retries, state, utcnow()))

    def dead_letter(self, signal, task, data, error, source):
        self.put(DeadLetterReceived(bytes(data or b''), error[:ERROR_LIMIT], source,
                                    self.huey.consumer_id))

    def recovered(self, task, reason, final):
        """Not a signal: crash recovery reports a job whose consumer died."""
        self.put(Recovered(task.id, reason, utcnow(), final))

    def _finish(self, task, state, outcome, error=None, tb=None):
        started = task.run_started
        duration = round((time.monotonic() - started) * 1000, 3) if started else None
        self.put(Finished(task.id, state, utcnow(), duration, outcome, error, tb))


def describe_failure(signal, exc):
    """(error, traceback) for a failed run: the exception, or what the signal means."""
    if exc is None:
        return {S.SIGNAL_TIMEOUT: 'timeout', S.SIGNAL_LOCKED: 'lock was held',
                S.SIGNAL_RATE_LIMITED: 'rate limited', S.SIGNAL_CANCELED: 'canceled'
                }.get(signal, signal), None
    error = f'{type(exc).__name__}: {exc}'[:ERROR_LIMIT]
    tb = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return error, tb[-TRACEBACK_LIMIT:]
