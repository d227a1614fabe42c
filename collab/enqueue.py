"""Enqueueing from a view: a queue that cannot take the job fails the request cleanly."""
import logging

from collab.errors import ApiError

log = logging.getLogger('collab.web')


def enqueue(task, *args, **kwargs):
    """Call a task; if the queue is down, raise a 503 (inside atomic(), nothing is saved)."""
    try:
        return task(*args, **kwargs)
    except Exception:
        log.exception('could not enqueue %s', getattr(task, 'name', task))
        raise ApiError(503, 'the job queue is unavailable, so nothing was saved; '
                            'try again in a moment') from None
