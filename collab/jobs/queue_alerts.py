"""Queue alerts: the oldest waiting job has waited longer than ALERT_QUEUE_WAIT,
or no consumer has been alive for NO_CONSUMER_SECONDS.

Every web process and every consumer runs the check (a consumer cannot tell
that no consumer is alive; the web process can). Each alert is a row in
`alertstate`: the process whose conditional UPDATE flips it is the only one
that posts, so an episode gives ALERT_WEBHOOK_URL one message when it begins
and one when it ends, however many processes look.
"""
import logging
import threading
import time

from peewee import BooleanField, CharField, DateTimeField, IntegerField, fn

from collab.background import BackgroundThread
from collab.db import close_connection, create_missing
from collab.fields import utcnow
from collab.jobs.alerts import post_alert
from collab.jobs.models import QUEUED, ConsumerProcess, Job, live_consumers
from collab.jobs.totals import fold_deltas
from collab.models import BaseModel
from collab.transactions import writing

log = logging.getLogger('collab.alerts')

CHECK_SECONDS = 5
NO_CONSUMER_SECONDS = 60
QUEUE_WAIT, NO_CONSUMER = 'queue_wait', 'no_consumer'


class AlertState(BaseModel):
    """Whether an alert is firing; `episode` counts its firings (the Idempotency-Key)."""
    name = CharField(max_length=32, primary_key=True)
    firing = BooleanField(default=False)
    episode = IntegerField(default=0)
    changed_at = DateTimeField(default=utcnow)


def install():
    """Create the table if missing (collab.schema calls it)."""
    create_missing([AlertState])


def oldest_wait_seconds(now=None):
    """How long the first queued job has been due, in seconds (0 when none waits).
    The first by insertion order, off the (state, seq) index: cheap at any size."""
    row = (Job.select(Job.enqueued_at, Job.scheduled_for).where(Job.state == QUEUED)
           .order_by(Job.seq).limit(1).first())
    if row is None:
        return 0.0
    due = max(row.enqueued_at, row.scheduled_for or row.enqueued_at)
    return max(0.0, ((now or utcnow()) - due).total_seconds())


def last_consumer_alive():
    """The last moment any consumer was known alive (its stop, or its latest
    heartbeat), or None when none ever ran."""
    return ConsumerProcess.select(
        fn.MAX(fn.COALESCE(ConsumerProcess.stopped_at, ConsumerProcess.last_heartbeat))).scalar()


def _naive(value):
    """SQLite gives MAX() of timestamps back as text."""
    if isinstance(value, str):
        return ConsumerProcess.last_heartbeat.python_value(value)
    return value


def no_consumer_for(since, now=None):
    """Seconds with no live consumer (0 while one is alive): since the last sign
    of one or, when none ever ran, since `since` (when this process began to
    look: a fresh install's first consumer may still be starting)."""
    if live_consumers().exists():
        return 0.0
    last = _naive(last_consumer_alive())
    return max(0.0, ((now or utcnow()) - (last or since)).total_seconds())


def transition(name, firing):
    """Flip alert `name` to `firing`; its episode number if this call flipped it,
    else None (it was already so, or another process flipped it first)."""
    with writing():
        AlertState.insert(name=name).on_conflict_ignore().execute()
        bump = AlertState.episode + 1 if firing else AlertState.episode
        changed = (AlertState.update(firing=firing, episode=bump, changed_at=utcnow())
                   .where((AlertState.name == name) & (AlertState.firing != firing)).execute())
        if not changed:
            return None
        return AlertState.get_by_id(name).episode


MESSAGES = {
    (QUEUE_WAIT, True): ':hourglass: the oldest queued job has waited {value:.0f} s '
                        '(ALERT_QUEUE_WAIT is {limit:.0f} s)',
    (QUEUE_WAIT, False): ':white_check_mark: the queue is moving again '
                         '(oldest wait {value:.0f} s)',
    (NO_CONSUMER, True): ':rotating_light: no job consumer has been alive for {value:.0f} s',
    (NO_CONSUMER, False): ':white_check_mark: a job consumer is alive again',
}


def check_once(settings, since):
    """Evaluate both alerts and post each flip this process wins."""
    url = settings.alert_webhook_url
    if not url:
        return
    now = utcnow()
    wait = oldest_wait_seconds(now)
    silent = no_consumer_for(since, now)
    known = dict(AlertState.select(AlertState.name, AlertState.firing).tuples())
    for name, value, limit in ((QUEUE_WAIT, wait, settings.alert_queue_wait),
                               (NO_CONSUMER, silent, NO_CONSUMER_SECONDS)):
        firing = value > limit
        if known.get(name, False) == firing:
            continue   # the usual case: no write
        episode = transition(name, firing)
        if episode is None:
            continue
        text = MESSAGES[name, firing].format(value=value, limit=limit)
        log.warning('alert %s %s: %s', name, 'firing' if firing else 'resolved', text)
        key = f'{name}:{episode}:{"firing" if firing else "resolved"}'
        post_alert(url, {'text': text}, key)


class AlertChecker:
    """One thread per process, every CHECK_SECONDS: folds the job totals'
    deltas (collab.jobs.totals) and, with ALERT_WEBHOOK_URL set, checks the
    alerts. `start(settings)` again (another app in the same process) goes on
    with those settings."""

    def __init__(self):
        self._settings, self._since = None, None
        self._lock = threading.Lock()
        self._thread = BackgroundThread(self._run, 'queue-alerts')

    def start(self, settings):
        with self._lock:
            if self._settings is not settings:
                self._settings, self._since = settings, utcnow()
        self._thread.ensure_running()

    def _run(self):
        while True:
            time.sleep(CHECK_SECONDS)
            with self._lock:
                settings, since = self._settings, self._since
            try:
                fold_deltas()
                check_once(settings, since)
            except Exception:
                log.exception('queue alert check failed; will try again')
            finally:
                close_connection()


checker = AlertChecker()
