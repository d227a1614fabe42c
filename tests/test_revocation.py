"""Revocation with a real consumer, on SQLite and Redis queue storage.

A claim tells the worker whether any revoke flag exists, so the usual read
before each run is skipped when none does, and a finished run's flag is
deleted with its claim's ack: these tests hold revocation to Huey's meaning.
"""
import pytest
from huey.constants import EmptyData
from collab.jobs.instance import huey
from tests.sample_tasks import calls, flaky, sleep_for, succeed
from tests.support import wait_for_state, wait_until

pytestmark = pytest.mark.usefixtures('queue_backend')


@pytest.fixture
def claimer(app):
    huey.storage.claimer = 'test-claimer'
    yield huey.storage
    huey.storage.claimer = None


def test_a_claim_says_whether_any_revoke_flag_exists(claimer):
    succeed(1)
    first = claimer.claim()
    assert first.data is not None and first.revocations is False
    huey.revoke_by_id('someone-else')
    succeed(2)
    second = claimer.claim()
    assert second.data is not None and second.revocations is True
    claimer.ack_many([first.token, second.token], ['r:someone-else'])
    assert claimer.peek_data('r:someone-else') is EmptyData
    assert claimer.claim().data is None and claimer.claimed('test-claimer') == []


def test_jobs_run_while_another_job_is_revoked(app, consumer):
    huey.revoke_by_id('not-this-one')
    result = succeed(5)
    wait_for_state(result.id, 'succeeded')
    assert calls['succeed'] == [5]


def test_a_revoked_kind_of_task_is_skipped_until_restored(app, consumer):
    succeed.revoke()
    skipped = succeed(1)
    wait_for_state(skipped.id, 'revoked')
    succeed.restore()
    ran = succeed(2)
    wait_for_state(ran.id, 'succeeded')
    assert calls['succeed'] == [2]


def test_a_flag_set_while_a_job_runs_is_cleared_after_it(app, consumer):
    result = sleep_for(0.5, key='revoked-mid-run')
    wait_until(lambda: calls['revoked-mid-run'], timeout=10, message='the job to start')
    huey.revoke_by_id(result.id)
    wait_for_state(result.id, 'succeeded')
    huey.ledger.flush()
    assert huey.storage.peek_data(f'r:{result.id}') is EmptyData


def test_a_retry_revoked_after_its_failed_run_never_runs(app, consumer):
    result = flaky('revoked-retry', failures=1)   # retries after 1 s
    wait_for_state(result.id, 'retrying')
    huey.revoke_by_id(result.id)
    wait_for_state(result.id, 'revoked', timeout=10)
    assert len(calls['revoked-retry']) == 1
