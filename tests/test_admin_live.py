"""Open dashboards hear over /ws when jobs change."""
import pytest

from tests.realtime_support import Listener, ThreadedServer
from tests.sample_tasks import succeed
from tests.support import wait_until


@pytest.fixture
def server(app):
    running = ThreadedServer(app).start()
    yield running
    running.stop()


def test_an_admin_socket_gets_a_jobs_event_when_a_job_runs(app, server, auth, consumer):
    admin_token = auth.headers(admin=True)['Authorization'][7:]
    member_token = auth.headers('bob@example.com')['Authorization'][7:]
    admin, member = Listener(server.url, admin_token), Listener(server.url, member_token)
    try:
        succeed(1)
        wait_until(lambda: any(m.get('type') == 'jobs' for m in admin.messages), timeout=10,
                   message='a jobs event on the admin socket')
        assert not any(m.get('type') == 'jobs' for m in member.messages)
    finally:
        admin.close()
        member.close()
