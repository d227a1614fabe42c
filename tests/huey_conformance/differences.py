"""Where CollabHuey differs from stock Huey on purpose, by test id.

An id reads 'test_api.py::TestQueue_sqlite::test_retry'; `*` matches any part,
so `TestQueue_*` names the test on both backends. Each listed test must fail
(xfail, strict): one that passes fails the run until it is taken off the list.

A test may meet more than one difference (a tuple of them). A difference
that a small mixin can undo names it (`undone_by`): a test listed only for
such differences also runs on a CollabHuey with their mixins, as
'test_api.py::TestQueue_sqlite_StockTaskDefaults::test_retry', and must pass
there. So a listed test still checks everything but the difference.
"""
import fnmatch
from typing import NamedTuple


class StockTaskDefaults:
    """Tasks without retries= get stock Huey's defaults: no retries."""

    def task(self, retries=0, retry_delay=0, retry_backoff=0, **options):
        return super().task(retries=retries, retry_delay=retry_delay,
                            retry_backoff=retry_backoff, **options)

    def periodic_task(self, validate_datetime, retries=0, retry_delay=0, retry_backoff=0,
                      **options):
        return super().periodic_task(validate_datetime, retries=retries,
                                     retry_delay=retry_delay, retry_backoff=retry_backoff,
                                     **options)


class NoStoredSignal:
    """Without Collab's own 'stored' signal."""

    def report_stored(self, task):
        pass


class Difference(NamedTuple):
    reason: str
    undone_by: type | None = None


RETRY_POLICY = Difference('the default policy: a task gets 3 retries, 2 s apart and doubling, '
                          'unless it sets retries=', StockTaskDefaults)
STORED_SIGNAL = Difference("CollabHuey sends a 'stored' signal of its own once a message is "
                           "written, and the test's handler for every signal sees it",
                           NoStoredSignal)
MOVED_TO_QUEUE = Difference('read_schedule() moves due tasks to the queue in one atomic step '
                            'and returns [], so the test gets no tasks back to enqueue')
UTC = Difference('utc=True: Huey turns the naive local datetime of an eta or expires into UTC '
                 'with local_to_utc(), which drops microseconds; the test compares exactly')
NO_REDIS_PRIORITY = Difference('the Redis storage has no priorities (as stock RedisStorage): '
                               'a prioritized enqueue raises NotImplementedError')
THREAD_WORKERS = Difference("Collab's consumer runs thread workers only; it refuses "
                            "worker_type='process'")
SHUTDOWN_GRACE = Difference('a consumer given no shutdown_timeout waits at most SHUTDOWN_GRACE '
                            'seconds for running tasks (stock: no limit)')
GRACEFUL_SIGTERM = Difference('SIGTERM stops the consumer gracefully, as SIGINT does '
                              '(stock: at once)')
BUSY_TIMEOUT = Difference("the app's SQLite queue waits up to 10 s for a lock; the test "
                          "expects its own SqliteHuey's 3 s")

DIFFERENCES = {
    # test_api
    'test_api.py::TestQueue_*::test_cancel_execution': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_cancel_execution_task_retries': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_retries_with_override': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_retry': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_retry_periodic': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_retry_to_success': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_retrying_exceptions_not_surfaced': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_retrytask_explicit': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_task_error': RETRY_POLICY,
    'test_api.py::TestQueue_*::test_read_schedule': MOVED_TO_QUEUE,
    'test_api.py::TestQueue_*::test_scheduling_expires': MOVED_TO_QUEUE,
    'test_api.py::TestQueue_*::test_expires': UTC,
    'test_api.py::TestQueue_*::test_reschedule_expires': UTC,
    'test_api.py::TestQueue_*::test_retrytask_eta_delay': UTC,
    'test_api.py::TestQueue_redis::test_reschedule_priority': NO_REDIS_PRIORITY,
    'test_api.py::TestDecorators_*::test_periodic_task': RETRY_POLICY,
    'test_api.py::TestDecorators_*::test_task_decorator': RETRY_POLICY,
    'test_api.py::TestDecorators_*::test_task_wrapper_retry_attrs': RETRY_POLICY,
    'test_api.py::TestGroupPrimitive_redis::test_group_callback': NO_REDIS_PRIORITY,
    'test_api.py::TestGroupPrimitive_redis::test_group_priorities': NO_REDIS_PRIORITY,
    'test_api.py::TestChordPrimitive_*::test_chord_chaining': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_error': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_error_cb': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_failed_and_revoked_members': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_member_error_callback_independent':
        RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_member_retry_then_success': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_pipeline_member_head_fails': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_pipeline_member_tail_fails': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_total_failure': RETRY_POLICY,
    'test_api.py::TestChordPrimitive_*::test_chord_scheduling': MOVED_TO_QUEUE,
    'test_api.py::TestTaskChaining_*::test_error_callback_retries': RETRY_POLICY,
    'test_api.py::TestTaskChaining_*::test_pipeline_error_midway': RETRY_POLICY,
    'test_api.py::TestTaskChaining_*::test_pipeline_error_retries_then_downstream':
        RETRY_POLICY,
    'test_api.py::TestTaskLocking_*::test_task_locking': RETRY_POLICY,
    'test_api.py::TestRateLimit_*::test_execution': RETRY_POLICY,
    'test_api.py::TestStoreIntermediateErrors_*::test_intermediate_error_withheld':
        RETRY_POLICY,
    'test_api.py::TestStoreIntermediateErrors_*::test_on_error_deferred': RETRY_POLICY,
    'test_api.py::TestStoreIntermediateErrors_*::test_retry_then_success': RETRY_POLICY,
    'test_api.py::TestCustomErrorMetadata_*::test_custom_error': RETRY_POLICY,
    # test_consumer
    'test_consumer.py::TestConsumerConfig_*::test_consumer_config': THREAD_WORKERS,
    'test_consumer.py::TestConsumerConfig_*::test_process_environment_uses_fork':
        THREAD_WORKERS,
    'test_consumer.py::TestConsumerConfig_*::test_shutdown_options': SHUTDOWN_GRACE,
    'test_consumer.py::TestConsumerShutdown_*::test_signal_handlers': GRACEFUL_SIGTERM,
    'test_consumer.py::TestConsumerShutdown_*::test_immediate_stop_ignores_stop_flag':
        GRACEFUL_SIGTERM,
    # test_priority
    'test_priority.py::TestPriority_sqlite::test_priority_retry': RETRY_POLICY,
    'test_priority.py::TestPriority_sqlite::test_schedule_priority': MOVED_TO_QUEUE,
    'test_priority.py::TestPriority_redis::*': NO_REDIS_PRIORITY,
    # test_registry
    'test_registry.py::TestRegistry_*::test_message_wrapping': RETRY_POLICY,
    # test_signals
    'test_signals.py::TestSignals_*::test_handler_error_does_not_block_others': STORED_SIGNAL,
    'test_signals.py::TestSignals_*::test_signal_expired': STORED_SIGNAL,
    'test_signals.py::TestSignals_*::test_signal_timeout': (STORED_SIGNAL, RETRY_POLICY),
    'test_signals.py::TestSignals_*::test_signals_chord': STORED_SIGNAL,
    'test_signals.py::TestSignals_*::test_signals_chord_error': (STORED_SIGNAL, RETRY_POLICY),
    'test_signals.py::TestSignals_*::test_signals_locked': (STORED_SIGNAL, RETRY_POLICY),
    'test_signals.py::TestSignals_*::test_signals_on_retry': (STORED_SIGNAL, RETRY_POLICY),
    'test_signals.py::TestSignals_*::test_signals_ratelimit': (STORED_SIGNAL, RETRY_POLICY),
    'test_signals.py::TestSignals_*::test_signals_revoked': STORED_SIGNAL,
    'test_signals.py::TestSignals_*::test_signals_simple': (STORED_SIGNAL, RETRY_POLICY),
    'test_signals.py::TestSignals_*::test_specific_handler': STORED_SIGNAL,
    # test_storage
    'test_storage.py::TestSqliteStorage_sqlite::test_timeout': BUSY_TIMEOUT,
}

# Tests that cannot run on the app's storage.
NOT_RUN = {
    'test_api.py::TestChordPrimitive_*::test_chord_bookkeeping_cleared':
        "reads MemoryStorage._counters, a private attribute of Huey's in-memory storage",
    'test_storage.py::TestRedisStorage_redis::test_name_not_mangled':
        'builds stock RedisHuey instances on localhost:6379, not on the test redis-server',
}


def differences_for(test_id):
    """The Differences listed for a test id: a tuple, empty when none is."""
    found = _first_match(test_id, DIFFERENCES)
    return () if found is None else (found,) if isinstance(found, Difference) else found


def not_run_reason(test_id):
    return _first_match(test_id, NOT_RUN)


def _first_match(test_id, entries):
    return next((value for pattern, value in entries.items()
                 if fnmatch.fnmatchcase(test_id, pattern)), None)
