"""Fixtures: the app on a temporary DATA_DIR, real Redis and PostgreSQL, a real consumer.

REQUIRE_REDIS=1, REQUIRE_BROWSER=1 and REQUIRE_POSTGRES=1 turn "skipped: not
available" into failures, so CI can never pass by skipping.
"""
import os
import uuid
from urllib.parse import urlencode

import pytest

from collab.app import create_app
from collab.db import close_connection, database
from collab.settings import Settings
from collab.jobs.instance import huey
from tests import sample_tasks  # noqa: F401  (registers the test tasks)
from tests.support import (ADMIN, LiveServer, RedisServer, Team, ThreadedServer, WebhookServer,
                           free_port, require)

pytest_plugins = ['tests.support.mail']   # its smtp_server fixture

# ------------------------------------------------------------------ services

@pytest.fixture(scope='session')
def redis_server(tmp_path_factory):
    if not RedisServer.available():
        require('REQUIRE_REDIS', 'redis-server is not installed')
    server = RedisServer(free_port(), tmp_path_factory.mktemp('redis'))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    if not redis_server.running:
        redis_server.start()
    redis_server.client().flushall()
    return redis_server.url()


@pytest.fixture
def postgres_url():
    """A fresh schema in TEST_DATABASE_URL's database, dropped afterwards."""
    base = os.environ.get('TEST_DATABASE_URL')
    if not base:
        require('REQUIRE_POSTGRES', 'TEST_DATABASE_URL is not set')
    import psycopg2
    schema = f'test_{uuid.uuid4().hex[:12]}'
    with psycopg2.connect(base) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA {schema}')
    sep = '&' if '?' in base else '?'
    yield base + sep + urlencode({'options': f'-csearch_path={schema}'})
    close_connection()
    conn = psycopg2.connect(base)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA {schema} CASCADE')
    conn.close()


@pytest.fixture
def webhook():
    server = WebhookServer()
    server.start()
    yield server
    server.stop()


# ------------------------------------------------------------------ settings and app

@pytest.fixture
def make_settings(tmp_path):
    def make(**env):
        # No catch-up runs of the catalogue's periodic tasks at each consumer start,
        # unless a test asks for them: they would add jobs to every test.
        values = {'DATA_DIR': str(tmp_path / 'data'),
                  'SECRET_KEY': 'test-secret-key-of-32-characters-at-least',
                  'HUEY_WORKERS': '2', 'SHUTDOWN_GRACE': '5', 'CATCH_UP_PERIODIC': '0',
                  # Tests sign people up freely; tests/test_signup_policy.py sets SIGNUP.
                  'SIGNUP': 'open'}
        values.update({k: v for k, v in env.items() if v is not None})
        return Settings.from_mapping(values)
    return make


@pytest.fixture(params=['sqlite', 'redis'])
def queue_backend(request):
    """Run a test on both queue storages."""
    return request.param


@pytest.fixture(params=['sqlite', 'postgres'])
def db_backend(request):
    """Run a test on both databases."""
    return request.param


@pytest.fixture
def settings(request, make_settings):
    """Settings for this test: SQLite unless the test asks for queue_backend/db_backend."""
    env = {}
    if 'queue_backend' in request.fixturenames and request.getfixturevalue('queue_backend') == 'redis':
        env['REDIS_URL'] = request.getfixturevalue('redis_url')
    if 'db_backend' in request.fixturenames and request.getfixturevalue('db_backend') == 'postgres':
        env['DATABASE_URL'] = request.getfixturevalue('postgres_url')
    if 'webhook' in request.fixturenames:
        url = request.getfixturevalue('webhook').url
        env['ALERT_WEBHOOK_URL'] = env['PUSH_WEBHOOK_URL'] = url
    marker = request.node.get_closest_marker('env')
    if marker:
        env.update(marker.kwargs)
    return make_settings(**env)


@pytest.fixture
def app(settings):
    sample_tasks.reset()
    app = create_app(settings)
    app.config['TESTING'] = True
    # A cheap hash: thousands of sign-ups. test_auth.py checks the default, scrypt.
    app.config['PASSWORD_HASH_METHOD'] = 'pbkdf2:sha256:1000'
    yield app
    huey.ledger.flush()
    huey.storage.close()
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def server(app):
    """The test app behind a real threaded HTTP server in this process (WebSockets too)."""
    running = ThreadedServer(app).start()
    yield running
    running.stop()


@pytest.fixture
def consumer(app, settings):
    """A real Huey consumer (threads) with its scheduler, as `python run.py` embeds it."""
    from collab.jobs.runner import ConsumerRunner
    runner = ConsumerRunner(settings, embedded=True)   # HUEY_WORKERS: 2 unless a test sets it
    runner.start()
    yield runner
    runner.stop()


# ------------------------------------------------------------------ real server and browser

@pytest.fixture
def live_server(tmp_path):
    """`python run.py` (the gevent web server and its consumer process) with a bootstrap admin (ADMIN)."""
    server = LiveServer(tmp_path / 'live-data', env={
        'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password']})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server_queue(live_server):
    """This process bound to the live server's database and queue (to enqueue into it
    and read its ledger)."""
    # Here, not at the top: importing the catalogue registers its periodic tasks.
    import tasks
    from collab.startup import prepare
    settings = Settings.from_mapping({'DATA_DIR': str(live_server.data_dir),
                                      'SECRET_KEY': live_server.env['SECRET_KEY']})
    prepare(settings)
    tasks.configure(settings)
    yield
    huey.ledger.flush()
    huey.storage.close()
    close_connection()


CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync']


@pytest.fixture(scope='session')
def browser():
    """Debian's headless Chromium, driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        require('REQUIRE_BROWSER', f'{CHROMIUM} is not installed')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# ------------------------------------------------------------------ users

@pytest.fixture
def team(client):
    """Ann, Bob and Eve around one workspace (tests/support/team.py)."""
    return Team(client)


def pytest_configure(config):
    config.addinivalue_line('markers', 'env(**values): extra settings for the test')
    config.addinivalue_line('markers', 'browser: needs Chromium')
    config.addinivalue_line('markers', 'slow: takes several seconds')
