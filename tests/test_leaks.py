"""Nothing leaks: presence names only shared workspaces, DATA_DIR is its owner's
only, links come from BASE_URL and other Hosts are refused, webhook URLs stay
out of the logs, and a short SECRET_KEY never starts a server."""
import http.client
import io
import json
import os
import stat
import subprocess
import sys
import urllib.request

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from collab.settings import SettingsError
from tests.support import (ADMIN, ROOT, Listener, LiveServer, bearer_token, free_port,
                           garden_club, page_csrf_token, sign_in, sign_up)

BASE_URL = 'https://collab.example.test'
PUSH_SECRET, ALERT_SECRET = 'push-path-secret', 'alert-path-secret'


# ------------------------------------------------------------------ presence

def test_presence_names_only_the_workspaces_the_receiver_shares(queue_backend, server, team,
                                                                client):
    """Bob is in Ann's Garden club and in a band with Carol: each of them hears of
    Bob's coming online with their one shared workspace, never the other (in-process
    fan-out, and through Redis)."""
    carol = sign_up(client, 'carol@example.com', 'Carol')
    band = client.post('/api/workspaces', json={'name': 'Band'}, headers=team.bob).json
    invite = client.post(f"/api/workspaces/{band['id']}/invites",
                         json={'email': 'carol@example.com'}, headers=team.bob).json
    assert client.post(f"/api/invites/{invite['token']}/accept",
                       headers=carol.headers).status_code == 200
    ann, carol_socket = Listener(server.url, bearer_token(team.ann)), Listener(server.url, carol.token)
    bob = Listener(server.url, bearer_token(team.bob))
    bob_id = team.user_id(team.bob)
    for listener, shared in ((ann, [team.ws_id]), (carol_socket, [band['id']])):
        came = listener.wait_for(lambda m: m['type'] == 'presence' and m['user_id'] == bob_id,
                                 'Bob online')
        assert came['online'] is True and came['workspace_ids'] == shared
    bob.close()
    gone = ann.wait_for(lambda m: m['type'] == 'presence' and not m['online'], 'Bob offline')
    assert gone['workspace_ids'] == [team.ws_id]
    ann.close()
    carol_socket.close()


# ------------------------------------------------------------------ a real server

@pytest.fixture(scope='module')
def live(tmp_path_factory):
    """`python run.py` on a DATA_DIR an older version left readable by others, with
    BASE_URL set and both webhooks pointing at a port nobody listens on."""
    data_dir = tmp_path_factory.mktemp('leaks') / 'data'
    (data_dir / 'old-uploads').mkdir(parents=True)
    (data_dir / 'old-uploads' / 'notes.txt').write_text('from an older version')
    for path, mode in ((data_dir, 0o755), (data_dir / 'old-uploads', 0o755),
                       (data_dir / 'old-uploads' / 'notes.txt', 0o644)):
        os.chmod(path, mode)
    dead = free_port()
    server = LiveServer(data_dir, env={
        'BASE_URL': BASE_URL, 'SECRET_KEY': '',   # a key file, generated
        'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password'],
        'PUSH_WEBHOOK_URL': f'http://pushuser:push-password@127.0.0.1:{dead}/{PUSH_SECRET}',
        'ALERT_WEBHOOK_URL': f'http://alertuser:alert-password@127.0.0.1:{dead}/{ALERT_SECRET}'})
    old_umask = os.umask(0o022)   # what a shell usually gives: the server must not keep it
    try:
        server.start()
    finally:
        os.umask(old_umask)
    server.club = garden_club(server.url)
    yield server
    server.stop()


def loose_modes(data_dir):
    """data_dir and everything in it that its group or others may use, with the mode."""
    found = {}
    for root, _, files in os.walk(data_dir):
        for path in (root, *(os.path.join(root, name) for name in files)):
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if mode & 0o077:
                found[path] = oct(mode)
    return found


def upload(base_url, account, workspace_id, name, payload):
    boundary, body = encode_multipart({'file': FileStorage(io.BytesIO(payload), name)})
    request = urllib.request.Request(
        f'{base_url}/api/workspaces/{workspace_id}/files', data=body, method='POST',
        headers={'Content-Type': f'multipart/form-data; boundary={boundary}', **account.headers})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_data_dir_is_private_after_start_and_after_an_upload(live):
    live.wait_for_output('was readable by others: made 2 directories 0700 and 1 files 0600')
    assert loose_modes(live.data_dir) == {}
    assert stat.S_IMODE(os.stat(live.data_dir).st_mode) == 0o700
    for name in ('collab.db', 'secret_key', 'old-uploads/notes.txt'):
        assert stat.S_IMODE(os.stat(live.data_dir / name).st_mode) == 0o600, name
    before = sum(len(files) for _, _, files in os.walk(live.data_dir))
    ann, _, workspace_id = live.club
    assert upload(live.url, ann, workspace_id, 'minutes.txt', b'we met') == 201
    assert sum(len(files) for _, _, files in os.walk(live.data_dir)) > before
    assert loose_modes(live.data_dir) == {}


def raw_get(port, path, host):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    connection.request('GET', path, headers={'Host': host})
    response = connection.getresponse()
    answer = response.status, response.getheader('Content-Type'), response.read().decode()
    connection.close()
    return answer


def test_a_foreign_host_is_refused_and_the_known_ones_answered(live):
    port = live.port
    status, kind, body = raw_get(port, '/api/auth/csrf', f'rebound.example:{port}')
    assert (status, kind) == (400, 'application/json')
    assert 'BASE_URL' in json.loads(body)['error']
    status, kind, body = raw_get(port, '/login', f'rebound.example:{port}')
    assert status == 400 and kind.startswith('text/plain') and 'BASE_URL' in body
    assert raw_get(port, '/ws', f'rebound.example:{port}')[0] == 400   # the socket too
    for host in ('collab.example.test', f'127.0.0.1:{port}', f'localhost:{port}',
                 f'[::1]:{port}', f'LOCALHOST:{port}'):
        assert raw_get(port, '/healthz', host)[0] == 200, host


def test_invite_links_start_with_base_url(live):
    ann, _, workspace_id = live.club
    invite = ann.call('POST', f'/api/workspaces/{workspace_id}/invites',
                      {'email': 'dora@example.com'})
    assert invite['invite_url'] == f"{BASE_URL}/invites/{invite['token']}"


@pytest.mark.env(BASE_URL=BASE_URL)
def test_the_invite_page_link_starts_with_base_url(team, client):
    sign_in(client, 'ann@example.com')
    page = client.post(f'/w/{team.ws_id}/invites', follow_redirects=True,
                       data={'email': 'dora@example.com', 'csrf_token': page_csrf_token(client)})
    assert f'{BASE_URL}/invites/' in page.text
    assert 'http://localhost/invites/' not in page.text


def test_webhook_urls_stay_out_of_the_logs(live):
    """A push to Bob fails for good at the dead webhook, and so does the alert about it."""
    ann, _, workspace_id = live.club
    ann.call('POST', f'/api/workspaces/{workspace_id}/documents',
             {'title': 'Seeds', 'content': 'Order by March'})
    live.wait_for_output('alert webhook at', timeout=90)
    output = live.output()
    assert 'alert webhook at http://127.0.0.1:' in output
    for secret in (PUSH_SECRET, ALERT_SECRET, 'push-password', 'alert-password'):
        assert secret not in output


# ------------------------------------------------------------------ start-up

def test_a_short_secret_key_stops_run_py_with_one_line(tmp_path):
    env = {**os.environ, 'DATA_DIR': str(tmp_path / 'data'), 'SECRET_KEY': 'a',
           'PORT': str(free_port())}
    done = subprocess.run([sys.executable, 'run.py'], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        'error: SECRET_KEY: must be at least 32 characters long, got 1; unset it to have a key '
        'generated into DATA_DIR']


def test_settings_show_no_secret_when_printed(make_settings):
    settings = make_settings(PUSH_WEBHOOK_URL=f'https://push.example/{PUSH_SECRET}',
                             ALERT_WEBHOOK_URL=f'https://hooks.example/{ALERT_SECRET}',
                             METRICS_TOKEN='metrics-token-value', ADMIN_PASSWORD='admin-pw')
    shown = repr(settings)
    for secret in (PUSH_SECRET, ALERT_SECRET, 'metrics-token-value', 'admin-pw',
                   settings.secret_key):
        assert secret not in shown


def test_base_url_defaults_to_the_listening_address_and_must_be_a_plain_url(make_settings):
    assert make_settings().base_url == 'http://127.0.0.1:5000'
    assert make_settings(HOST='::1', PORT='8080').base_url == 'http://[::1]:8080'
    assert make_settings(BASE_URL='https://collab.example.test/').base_url == BASE_URL
    for bad in ('ftp://collab.example.test', 'https://collab.example.test/?next=1',
                'https://user:pw@collab.example.test'):
        with pytest.raises(SettingsError) as refused:
            make_settings(BASE_URL=bad)
        assert refused.value.variable == 'BASE_URL'
