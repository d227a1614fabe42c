"""Log lines for retries and failures, and an alert on a final failure.

Starts and completions are logged by Huey itself (logger `huey`).

The alert is POSTed from one background thread, so a slow or failing webhook
never holds up a worker; its failures are logged.
"""
import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from huey import signals as S

from collab.jobs.names import task_name
from collab.redaction import url_for_logs

log = logging.getLogger('collab.tasks')
ALERT_TIMEOUT = 5

_alerts = ThreadPoolExecutor(max_workers=1, thread_name_prefix='alert')


def install(huey):
    """Log retries and failures of `huey`'s jobs; alert on final failures."""

    def log_retry(signal, task):
        log.warning('retrying %s %s in %ss (%d retries left)', task_name(task), task.id,
                    task.retry_delay, task.retries)

    def log_failure(signal, task, exc=None):
        reason = f'{type(exc).__name__}: {exc}' if exc is not None else signal
        if task.retries:
            log.warning('attempt of %s %s failed: %s', task_name(task), task.id, reason)
            return
        report_final_failure(huey, task, reason)

    huey.signal(S.SIGNAL_RETRYING)(log_retry)
    huey.signal(S.SIGNAL_ERROR, S.SIGNAL_TIMEOUT, S.SIGNAL_LOCKED)(log_failure)


def report_final_failure(huey, task, reason):
    """Log a job that failed for good and alert ALERT_WEBHOOK_URL when it is set."""
    log.error('%s %s failed for good: %s', task_name(task), task.id, reason)
    url = huey.settings.alert_webhook_url if huey.settings else None
    if url:
        text = f':rotating_light: job {task_name(task)} ({task.id}) failed for good: {reason}'
        _alerts.submit(post_alert, url, {'text': text[:3000]}, task.id)


def post_alert(url, payload, job_id):
    """POST a Slack-compatible JSON message; log, never raise. The failed job's
    id is its Idempotency-Key: a receiver can drop a repeat."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={'Content-Type': 'application/json',
                                              'Idempotency-Key': job_id})
    try:
        with urllib.request.urlopen(request, timeout=ALERT_TIMEOUT) as response:
            response.read()
    except Exception as exc:
        # The URL's path is a secret (a Slack webhook's is its credential).
        log.error('alert webhook at %s failed: %s', url_for_logs(url), exc)
