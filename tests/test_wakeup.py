"""Waking workers on SQLite: at once when idle, and without a wake-up per task
under load (a worker that just ran a task looks again within POLL_SECONDS, and
a claim that finds more messages behind it wakes the next worker; messages
moved together, from the outbox or the schedule, wake one)."""
import statistics
import threading
import time

import pytest

from collab.transactions import writing
from collab.jobs import outbox
from collab.jobs.wakeup import WakeSignal
from collab.jobs.sqlite_storage import ClaimingSqliteStorage
from tests.sample_tasks import calls, note_start, succeed
from tests.support import wait_until


def waiting(signal, poll=False, timeout=5.0):
    """A thread waiting on `signal`; `.woken_after` is set when it returns."""
    def wait():
        began = time.monotonic()
        signal.wait(timeout, poll=poll)
        thread.woken_after = time.monotonic() - began
    thread = threading.Thread(target=wait)
    thread.woken_after = None
    thread.start()
    return thread


def test_an_enqueue_wakes_a_sleeping_worker_at_once():
    signal = WakeSignal()
    sleeper = waiting(signal)
    time.sleep(0.05)
    signal.notify()
    sleeper.join(2)
    assert sleeper.woken_after < 1.0


def notify_while_polling(signal):
    """Notify while a poller is inside its wait: the test holds the signal's lock
    (a re-entrant one, so notify takes it too), which a poller whose POLL_SECONDS
    ran out needs before it stops counting as polling. Returns the poller."""
    while True:   # a poller may have come and gone before the test looked: another
        poller = waiting(signal, poll=True)
        while poller.is_alive():
            with signal._cond:
                if signal._polling:
                    signal.notify()
                    return poller
            time.sleep(0.0005)


def test_while_a_worker_polls_an_enqueue_wakes_no_one():
    signal = WakeSignal()
    signal.capacity = 2
    sleeper = waiting(signal)
    poller = notify_while_polling(signal)   # it looks again within POLL_SECONDS: no wake-up
    poller.join(2)
    assert poller.woken_after < 0.5
    time.sleep(0.05)
    assert sleeper.is_alive()
    signal.notify()   # no one polls now: the sleeper is woken
    sleeper.join(2)
    assert not sleeper.is_alive() and sleeper.woken_after < 1.0


def test_a_claim_says_whether_more_messages_wait(tmp_path):
    storage = ClaimingSqliteStorage(name='q', filename=str(tmp_path / 'queue.db'))
    storage.claimer = 'consumer-1'
    storage.enqueue(b'first')
    storage.enqueue(b'second')
    first, second = storage.claim(), storage.claim()
    assert (first.data, first.more) == (b'first', True)
    assert (second.data, second.more) == (b'second', False)
    assert storage.claim().data is None


def test_an_idle_consumer_starts_each_task_at_once(consumer):
    time.sleep(2.0)   # idle: the two workers' polling has backed off to 0.2 s and more
    latencies = []
    for n in range(5):
        enqueued = time.monotonic()
        note_start('idle')
        wait_until(lambda: len(calls['idle']) > n, timeout=5, interval=0.002)
        latencies.append(calls['idle'][n] - enqueued)
        time.sleep(0.3)
    assert statistics.median(latencies) < 0.02, latencies


@pytest.mark.env(HUEY_WORKERS='4')
def test_a_burst_after_a_task_runs_in_parallel(consumer):
    time.sleep(3.0)   # idle: three workers sleep for long now
    succeed('first')
    wait_until(lambda: calls['succeed'] == ['first'], timeout=5, interval=0.001)
    # Its worker now polls, so these enqueues wake no one: the claims must.
    for _ in range(4):
        note_start('burst', 0.5)
    wait_until(lambda: len(calls['burst']) == 4, timeout=5, interval=0.005)
    starts = calls['burst']
    assert max(starts) - min(starts) < 0.25, starts


@pytest.mark.env(HUEY_WORKERS='4')
def test_jobs_accepted_together_through_the_outbox_start_in_parallel(consumer):
    time.sleep(3.0)   # idle: the workers sleep for long now
    with writing():   # as a web request accepts them
        for _ in range(4):
            outbox.put(note_start.s('accepted', 0.5))
    outbox.dispatcher.wake()   # as the request ends: one worker is woken, each claim wakes the next
    wait_until(lambda: len(calls['accepted']) == 4, timeout=5, interval=0.005)
    starts = calls['accepted']
    assert max(starts) - min(starts) < 0.25, starts
