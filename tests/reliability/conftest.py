"""Fixtures for tests that do real damage: worker subprocesses that get killed, and the
security tests' world of users and workspaces."""
import pytest

from tests.support import WorkerProcess
from tests.support.world import World


@pytest.fixture
def worker_env(settings):
    """The environment a worker subprocess needs to share this test's queue and database."""
    env = {'DATA_DIR': str(settings.data_dir), 'SECRET_KEY': settings.secret_key,
           'DATABASE_URL': settings.database_url, 'TASK_MODULES': 'tests.sample_tasks',
           'HUEY_WORKERS': '8', 'SHUTDOWN_GRACE': '5',
           'CATCH_UP_PERIODIC': '1' if settings.catch_up_periodic else '0'}
    if settings.redis_url:
        env['REDIS_URL'] = settings.redis_url
    return env


@pytest.fixture
def worker_command(request):
    """How `workers` start: `python run.py worker`, or a test's indirect parameter."""
    return getattr(request, 'param', 'run.py worker')


@pytest.fixture
def workers(worker_env, worker_command, tmp_path):
    started = []

    def start():
        worker = WorkerProcess(worker_env, tmp_path / 'workers.log', worker_command).start()
        started.append(worker)
        return worker
    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.stop()


@pytest.fixture
def world(app):
    """Two workspaces full of marked data and a user in every role (tests/support/world.py)."""
    return World(app)


@pytest.fixture
def settled_world(app, consumer):
    """The world once a consumer has done its background work: exports ready,
    notifications delivered, a failed job to act on."""
    built = World(app)
    built.finish_background_work()
    return built
