"""Enqueueing from a view, through the outbox.

The job is written in the view's database transaction, so it is saved if
and only if the change that caused it is; a broker outage delays it, never
loses it or fails the request. The dispatcher is woken when the request ends,
after the transaction has committed.
"""
from flask import g
from huey.api import Task

from collab.jobs import outbox


def enqueue(task, *args, **kwargs):
    """Accept a job: a task function with its arguments, or a prepared Task/pipeline."""
    job = task if isinstance(task, Task) else task.s(*args, **kwargs)
    outbox.put(job)
    g.outbox_pending = True
    return job


def wake_dispatcher(exc=None):
    """teardown_request: the request's transactions are over; send what they accepted."""
    if g.pop('outbox_pending', False):
        outbox.dispatcher.wake()
