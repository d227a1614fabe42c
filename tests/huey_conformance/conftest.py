"""Each adapted Huey case gets its backend, the app's settings and database, and
its place in the list of differences (marked xfail, strict) or of tests not run."""
import threading
import time

import pytest

from collab.jobs.queue_alerts import checker as queue_alerts
from collab.db import close_connection, database, open_database
from collab.settings import Settings
from collab.startup import prepare
from tests.huey_conformance.adapter import OnCollabHuey
from tests.huey_conformance.differences import differences_for, not_run_reason


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        case = item.parent.obj
        if not (isinstance(case, type) and issubclass(case, OnCollabHuey)) or case.undone:
            continue   # a twin must pass
        test_id = item.nodeid.split('huey_conformance/', 1)[1]
        if reason := not_run_reason(test_id):
            item.add_marker(pytest.mark.skip(reason=f'not run: {reason}'))
        elif differences := differences_for(test_id):
            reasons = '; '.join(difference.reason for difference in differences)
            item.add_marker(pytest.mark.xfail(reason=f'intentional difference: {reasons}',
                                              strict=True))


def base_env(data_dir):
    # One worker, as a stock consumer has unless told; as in tests/conftest.py,
    # no catch-up runs of periodic tasks at a consumer's start.
    return {'DATA_DIR': str(data_dir), 'SECRET_KEY': 'huey-conformance-secret-of-32-characters',
            'HUEY_WORKERS': '1', 'SHUTDOWN_GRACE': '5', 'CATCH_UP_PERIODIC': '0'}


@pytest.fixture(scope='session')
def app_database(tmp_path_factory):
    """The app database, prepared once: a Collab consumer records itself there."""
    settings = Settings.from_mapping(base_env(tmp_path_factory.mktemp('conformance-app')))
    prepare(settings)
    close_connection()
    return settings.database_url


@pytest.fixture(autouse=True)
def collab_backend(request, tmp_path, monkeypatch):
    case = request.instance
    if not isinstance(case, OnCollabHuey):
        yield
        return
    app_database = request.getfixturevalue('app_database')
    env = {**base_env(tmp_path / 'data'), 'DATABASE_URL': app_database}
    if case.backend == 'redis':
        env['REDIS_URL'] = request.getfixturevalue('redis_url')
    case.settings = Settings.from_mapping(env)
    bound = database.obj   # what the app's tests bound; given back afterwards
    open_database(app_database)
    monkeypatch.chdir(tmp_path)   # where some of Huey's tests create files of their own
    # Huey's tests pass local times and CollabHuey keeps UTC (utc=True): with
    # the local zone UTC, both read the same clock.
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    # Process-wide, as the ledger's writer is: a web process runs it too, and
    # a consumer that stops leaves it to the process.
    queue_alerts.start(case.settings)
    threads = set(threading.enumerate())
    yield
    left_running = still_running(set(threading.enumerate()) - threads)
    huey = getattr(case, 'huey', None)
    if huey is not None:
        close_storage(getattr(huey, 'bound_storage', None) or huey.storage)
    close_connection()
    database.initialize(bound)
    monkeypatch.undo()
    time.tzset()
    # As in Huey: once a consumer is stopped, nothing of it runs on.
    assert not left_running, f'threads still running after the test: {left_running}'


def still_running(threads, grace=1.0):
    deadline = time.monotonic() + grace
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return sorted(thread.name for thread in threads if thread.is_alive())


def close_storage(storage):
    storage.close()
    pool = getattr(storage, 'pool', None)
    if pool is not None:
        pool.disconnect()

