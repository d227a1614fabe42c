"""Queue alerts against a local webhook: a job waiting longer than ALERT_QUEUE_WAIT,
and no consumer alive for 60 s, each give one message when they begin and one
when they end, while two real web processes and this one all run the check."""
import threading
import time
from datetime import timedelta

import pytest

from collab.db import close_connection
from collab.fields import utcnow
from collab.jobs.models import ConsumerProcess
from collab.jobs.queue_alerts import CHECK_SECONDS, NO_CONSUMER, QUEUE_WAIT, transition
from tests.sample_tasks import succeed
from tests.support import LiveServer, WorkerProcess, wait_for_state, wait_until

pytestmark = pytest.mark.slow


def process_env(settings, webhook):
    """The settings of the test's app, for processes on the same DATA_DIR."""
    return {'DATA_DIR': str(settings.data_dir), 'SECRET_KEY': settings.secret_key,
            'ALERT_WEBHOOK_URL': webhook.url, 'ALERT_QUEUE_WAIT': str(settings.alert_queue_wait),
            'TASK_MODULES': 'tests.sample_tasks', 'CATCH_UP_PERIODIC': '0'}


def alerts(webhook, name):
    return [r for r in list(webhook.requests) if (r['idempotency_key'] or '').startswith(name + ':')]


def wait_for_alerts(webhook, name, count, timeout=40):
    """The alerts of `name`, once there are `count`; then another round of checks
    in every process, to see that no repeat follows."""
    wait_until(lambda: len(alerts(webhook, name)) >= count, timeout=timeout,
               message=f'{count} {name} alerts')
    time.sleep(CHECK_SECONDS + 1)
    found = alerts(webhook, name)
    assert len(found) == count, found
    return found


@pytest.fixture
def web_processes(app, settings, webhook):
    """Two `python run.py web` on the test's DATA_DIR, besides the app in this process."""
    servers = [LiveServer(settings.data_dir, env=process_env(settings, webhook), command=('web',))
               for _ in range(2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def start_worker(settings, webhook, tmp_path):
    workers = []
    def start():
        workers.append(WorkerProcess(process_env(settings, webhook), tmp_path / 'worker.log').start())
    yield start
    for worker in workers:
        worker.stop()


@pytest.mark.env(ALERT_QUEUE_WAIT='2')
def test_a_long_queue_wait_alerts_once_and_recovers_once(web_processes, webhook, start_worker):
    waiting = succeed(1)   # no consumer runs yet: the job waits
    [fired] = wait_for_alerts(webhook, QUEUE_WAIT, 1)
    assert fired['idempotency_key'] == 'queue_wait:1:firing'
    assert 'oldest queued job has waited' in fired['body']['text']
    assert 'ALERT_QUEUE_WAIT is 2 s' in fired['body']['text']

    start_worker()
    wait_for_state(waiting.id, 'succeeded', timeout=30)
    first, resolved = wait_for_alerts(webhook, QUEUE_WAIT, 2)
    assert first == fired
    assert resolved['idempotency_key'] == 'queue_wait:1:resolved'
    assert 'moving again' in resolved['body']['text']


def test_no_live_consumer_alerts_once_and_recovers_once(app, webhook, web_processes,
                                                        start_worker):
    # A consumer that died two minutes ago, as a SIGKILL leaves its row.
    ConsumerProcess.create(id='gone:1:dead', hostname='gone', pid=1, workers=2, backend='sqlite',
                           started_at=utcnow() - timedelta(minutes=3),
                           last_heartbeat=utcnow() - timedelta(minutes=2))
    [fired] = wait_for_alerts(webhook, NO_CONSUMER, 1)
    assert fired['idempotency_key'] == 'no_consumer:1:firing'
    assert 'no job consumer has been alive' in fired['body']['text']

    start_worker()
    first, resolved = wait_for_alerts(webhook, NO_CONSUMER, 2)
    assert resolved['idempotency_key'] == 'no_consumer:1:resolved'
    assert 'alive again' in resolved['body']['text']
    assert alerts(webhook, QUEUE_WAIT) == []


def test_of_many_checks_at_once_exactly_one_flips_an_alert(app, db_backend):
    """What keeps processes from posting twice: the conditional UPDATE."""
    def flip_all_at_once(firing, threads=8):
        barrier, won = threading.Barrier(threads), []
        def check():
            barrier.wait()
            try:
                won.append(transition(QUEUE_WAIT, firing))
            finally:
                close_connection()
        workers = [threading.Thread(target=check) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        return [episode for episode in won if episode is not None]

    assert flip_all_at_once(True) == [1]
    assert flip_all_at_once(True) == []   # already firing
    assert flip_all_at_once(False) == [1]
    assert flip_all_at_once(True) == [2]   # the next episode
