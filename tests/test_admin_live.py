"""Open dashboards hear over /ws when jobs change."""
import pytest

from tests.sample_tasks import succeed
from tests.support import Listener, ThreadedServer, sign_up, wait_until


@pytest.fixture
def server(app):
    running = ThreadedServer(app).start()
    yield running
    running.stop()


def test_an_admin_socket_gets_a_jobs_event_when_a_job_runs(app, server, client, consumer):
    admin_token = sign_up(client, admin=True).token
    member_token = sign_up(client, 'bob@example.com').token
    admin, member = Listener(server.url, admin_token), Listener(server.url, member_token)
    try:
        succeed(1)
        wait_until(lambda: any(m.get('type') == 'jobs' for m in admin.messages), timeout=10,
                   message='a jobs event on the admin socket')
        assert not any(m.get('type') == 'jobs' for m in member.messages)
    finally:
        admin.close()
        member.close()
