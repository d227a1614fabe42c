"""Each adapted Huey case gets its backend, the app's settings and database, and
its place in the list of differences (marked xfail, strict) or of tests not run."""
import fnmatch
import time

import pytest

from collab.db import close_connection, open_database
from collab.settings import Settings
from collab.startup import prepare
from tests.huey_conformance.adapter import OnCollabHuey
from tests.huey_conformance.differences import DIFFERENCES, NOT_RUN


def conformance_id(item):
    """'test_api.py::TestQueue_sqlite::test_revoke' for an adapted case's item."""
    return item.nodeid.split('huey_conformance/', 1)[1]


def listed(test_id, entries):
    return next((reason for pattern, reason in entries.items()
                 if fnmatch.fnmatchcase(test_id, pattern)), None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if not (isinstance(item.parent.obj, type) and issubclass(item.parent.obj, OnCollabHuey)):
            continue
        test_id = conformance_id(item)
        if reason := listed(test_id, NOT_RUN):
            item.add_marker(pytest.mark.skip(reason=f'not run: {reason}'))
        elif reason := listed(test_id, DIFFERENCES):
            item.add_marker(pytest.mark.xfail(reason=f'intentional difference: {reason}',
                                              strict=True))


def base_env(data_dir):
    # As tests/conftest.py: no catch-up runs of periodic tasks at a consumer's start.
    return {'DATA_DIR': str(data_dir), 'SECRET_KEY': 'huey-conformance',
            'HUEY_WORKERS': '2', 'SHUTDOWN_GRACE': '5', 'CATCH_UP_PERIODIC': '0'}


@pytest.fixture(scope='session')
def app_database(tmp_path_factory):
    """The app database, prepared once: a Collab consumer records itself there."""
    settings = Settings.from_mapping(base_env(tmp_path_factory.mktemp('conformance-app')))
    prepare(settings)
    close_connection()
    return settings.database_url


@pytest.fixture(autouse=True)
def collab_backend(request, tmp_path, monkeypatch, app_database):
    case = request.instance
    if not isinstance(case, OnCollabHuey):
        yield
        return
    env = {**base_env(tmp_path / 'data'), 'DATABASE_URL': app_database}
    if case.backend == 'redis':
        env['REDIS_URL'] = request.getfixturevalue('redis_url')
    case.settings = Settings.from_mapping(env)
    open_database(app_database)
    monkeypatch.chdir(tmp_path)   # where some of Huey's tests create files of their own
    # Huey's tests pass local times and CollabHuey keeps UTC (utc=True): with
    # the local zone UTC, both read the same clock.
    monkeypatch.setenv('TZ', 'UTC')
    time.tzset()
    yield
    huey = getattr(case, 'huey', None)
    if huey is not None:
        close_storage(getattr(huey, 'bound_storage', None) or huey.storage)
    close_connection()
    monkeypatch.undo()
    time.tzset()


def close_storage(storage):
    storage.close()
    pool = getattr(storage, 'pool', None)
    if pool is not None:
        pool.disconnect()
