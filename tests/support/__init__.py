"""What the tests share: servers, clients, users, a team, waiting for jobs.

Test modules import these from here, never from one another; fixtures are in
the conftest.py files. The modules behind it:

- servers: redis-server (bench.local's, shared with the benchmark), a webhook
  receiver, the app in a thread or as `python run.py`, worker processes, `require`;
- clients: JSON over HTTP to a running server, the pages' CSRF token, a WebSocket listener
  and the close code a socket receives;
- users: the one way tests set up users, through the HTTP API;
- team: Ann, Bob and Eve around one workspace;
- jobs: waiting for a job's state, or for every job to be done;
- world and routes: the security tests' world and their table of every route
  (imported from those modules themselves).
"""
from bench.local import free_port, wait_until
from tests.support.clients import (Listener, bearer_token, close_code, close_frame, http_json,
                                   page_csrf_token)
from tests.support.jobs import job, wait_for_jobs_idle, wait_for_state
from tests.support.servers import (ROOT, LiveServer, RedisServer, ThreadedServer, WebhookServer,
                                   WorkerProcess, require)
from tests.support.team import Team, garden_club
from tests.support.users import (ADMIN, PASSWORD, Account, register, sign_in, sign_up,
                                 page_client, sign_in_page, sign_up_member)

__all__ = ['ADMIN', 'PASSWORD', 'ROOT', 'Account', 'Listener', 'LiveServer', 'RedisServer',
           'Team', 'ThreadedServer', 'WebhookServer', 'WorkerProcess', 'bearer_token', 'close_code',
           'close_frame', 'free_port',
           'garden_club', 'http_json', 'job', 'page_csrf_token', 'register', 'require',
           'page_client', 'sign_in', 'sign_in_page', 'sign_up', 'sign_up_member',
           'wait_for_jobs_idle', 'wait_for_state', 'wait_until']
