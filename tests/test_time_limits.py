"""Every task runs under a time limit: TASK_TIMEOUT, or the task's own `timeout`.

Tasks run on a real consumer (thread workers); the sample tasks are busy in
pure Python, which only a limit that interrupts the worker thread can stop.
"""
import time

import pytest
from huey.exceptions import TaskTimeout

from collab.jobs.models import JobAttempt
from collab.jobs.time_limits import TimeLimit
from collab.settings import SettingsError
from tests.sample_tasks import _busy, calls, spin, spin_within_own_limit
from tests.support import sign_up, wait_for_state, wait_until

LIMIT = '0.3'


@pytest.mark.usefixtures('queue_backend')
@pytest.mark.env(TASK_TIMEOUT=LIMIT)
def test_a_task_past_its_limit_times_out_is_retried_then_fails_with_an_alert(
        app, client, consumer, webhook):
    admin = sign_up(client, 'admin@example.com', admin=True).headers
    started = time.monotonic()
    result = spin('stuck', 60)
    # spin retries once, 1 s later: meanwhile the job waits as 'retrying'.
    retrying = wait_for_state(result.id, 'retrying', timeout=10)
    assert retrying.attempts == 1 and retrying.error == 'timeout'
    failed = wait_for_state(result.id, 'failed', timeout=10)
    assert time.monotonic() - started < 10   # not the 60 s the task wanted
    assert calls['stuck'] == ['started', 'started']   # stopped both times, never finished
    assert (failed.attempts, failed.error) == (2, 'timeout')
    attempts = list(JobAttempt.select().where(JobAttempt.job_id == result.id)
                    .order_by(JobAttempt.id))
    assert [(a.outcome, a.error) for a in attempts] == [('timeout', 'timeout')] * 2

    wait_until(lambda: webhook.requests, timeout=5, message='the alert webhook')
    [alert] = webhook.requests
    assert result.id in alert['body']['text'] and 'failed for good: timeout' in alert['body']['text']

    detail = client.get(f'/admin/api/jobs/{result.id}', headers=admin).json
    assert [(a['outcome'], a['error']) for a in detail['attempts_log']] == [('timeout', 'timeout')] * 2
    page = client.get(f'/admin/jobs/{result.id}', headers=admin).get_data(as_text=True)
    assert page.count('class="attempt"') == 2 and '· timeout ·' in page


@pytest.mark.usefixtures('queue_backend')
@pytest.mark.env(TASK_TIMEOUT=LIMIT)
def test_a_task_or_a_call_that_sets_its_own_timeout_keeps_it(app, consumer):
    own = spin_within_own_limit('own', 0.8)
    call = spin('call', 0.8, timeout=5)
    for result in (own, call):
        assert wait_for_state(result.id, 'succeeded', 'failed', 'retrying').state == 'succeeded'
    assert calls['own'] == calls['call'] == ['started', 'finished']


def test_task_timeout_defaults_to_300_seconds_and_is_validated(make_settings):
    assert make_settings().task_timeout == 300
    assert make_settings(TASK_TIMEOUT='2.5').task_timeout == 2.5
    for bad in ('soon', '0', '-1', '100000'):
        with pytest.raises(SettingsError) as caught:
            make_settings(TASK_TIMEOUT=bad)
        assert caught.value.variable == 'TASK_TIMEOUT'


# ---------------------------------------------------------------- the limit itself

def test_a_limit_ends_the_block_in_task_timeout_even_if_the_task_catches_it():
    started = time.monotonic()
    with pytest.raises(TaskTimeout, match='timeout 0.2s'):
        with TimeLimit(0.2):
            try:
                _busy(5)
            except TaskTimeout:
                _busy(0.1)   # a task that swallows it and goes on
    assert time.monotonic() - started < 2


def test_a_block_done_in_time_is_never_interrupted_later():
    for _ in range(50):
        with TimeLimit(0.05):
            pass
    _busy(0.2)   # past every deadline: no stray exception arrives here
    with TimeLimit(5):
        _busy(0.05)
