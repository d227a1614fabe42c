"""Input limits: bodies stopped on the stream (chunked ones too, on the real server),
JSON nesting and surrogates, extreme filter dates, file names in bytes."""
import io
import json
import socket
import zipfile

import pytest

from collab import validation
from collab.models import File, Workspace
from tests.support import LiveServer, sign_up, wait_until

# ------------------------------------------------------------------ the real server

CHUNK = 64 * 1024


@pytest.fixture(scope='module')
def web(tmp_path_factory):
    """`python run.py web`: gunicorn's gevent worker, which reads chunked bodies."""
    server = LiveServer(tmp_path_factory.mktemp('limits') / 'data', command=('web',),
                        env={'SECRET_KEY': 'input-limits-test-secret-key-0123456789'})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope='module')
def uploader(web):
    return sign_up(web.url, 'ann@example.com', 'Ann')


def chunked_request(port, path, content_type, body_bytes, prefix=b'', token=None,
                    finish=False):
    """Open a connection and send a chunked body of about `body_bytes` bytes (after
    `prefix`), without its last chunk unless `finish`; the socket, to read the answer."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=10)
    headers = [f'POST {path} HTTP/1.1', f'Host: 127.0.0.1:{port}', f'Content-Type: {content_type}',
               'Transfer-Encoding: chunked']
    if token:
        headers.append(f'Authorization: Bearer {token}')
    sock.sendall(('\r\n'.join(headers) + '\r\n\r\n').encode())
    if prefix:
        sock.sendall(b'%x\r\n%s\r\n' % (len(prefix), prefix))
    piece = b'%x\r\n%s\r\n' % (CHUNK, b'x' * CHUNK)
    for _ in range(body_bytes // CHUNK):
        sock.sendall(piece)
    if finish:
        sock.sendall(b'0\r\n\r\n')
    return sock


def read_response(sock):
    """(status, headers text, body) of one HTTP/1.1 response with a Content-Length.
    A server still waiting for the body makes this time out (socket.timeout)."""
    data = b''
    while b'\r\n\r\n' not in data:
        data += sock.recv(65536) or _closed()
    head, body = data.split(b'\r\n\r\n', 1)
    head = head.decode('latin-1')
    length = int(next(line.split(':', 1)[1] for line in head.split('\r\n')
                      if line.lower().startswith('content-length:')))
    while len(body) < length:
        body += sock.recv(65536) or _closed()
    return int(head.split()[1]), head, body[:length]


def _closed():
    raise AssertionError('the server closed the connection without an answer')


def test_a_chunked_json_body_past_its_limit_is_answered_413_before_it_is_all_sent(web):
    # Four times the JSON limit is sent, and the body is never finished: only a
    # server that stops reading at the limit can answer.
    sock = chunked_request(web.port, '/api/auth/register', 'application/json',
                           4 * validation.MAX_JSON_BYTES, prefix=b'{"name": "')
    with sock:
        status, _, body = read_response(sock)
    assert status == 413
    assert json.loads(body) == {
        'error': f'request body is larger than {validation.MAX_JSON_BYTES} bytes'}


def test_a_chunked_form_body_past_its_limit_is_answered_413(web):
    sock = chunked_request(web.port, '/login', 'application/x-www-form-urlencoded',
                           2 * validation.MAX_FORM_BYTES, prefix=b'email=a&password=')
    with sock:
        status, _, _ = read_response(sock)
    assert status == 413


def test_a_chunked_upload_past_its_limit_is_answered_413_and_stores_nothing(web, uploader):
    workspace = uploader.call('POST', '/api/workspaces', {'name': 'Uploads'})
    boundary = 'limitboundary'
    prefix = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
              f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    sock = chunked_request(web.port, f"/api/workspaces/{workspace['id']}/files",
                           f'multipart/form-data; boundary={boundary}',
                           validation.MAX_UPLOAD_BYTES + 1024 * 1024, prefix=prefix,
                           token=uploader.token)
    with sock:
        status, _, body = read_response(sock)
    assert status == 413 and 'larger than' in json.loads(body)['error']
    assert uploader.call('GET', f"/api/workspaces/{workspace['id']}/files") == {'files': []}
    assert list((web.data_dir / 'files').glob('*')) == []


def test_the_upload_endpoints_given_the_larger_limit_exist(app):
    assert validation.UPLOAD_ENDPOINTS <= set(app.view_functions)


def worker_pid(server):
    """The gunicorn worker: the one child of the `run.py web` process."""
    pid = server.process.pid
    children = open(f'/proc/{pid}/task/{pid}/children').read().split()
    assert len(children) == 1, children
    return int(children[0])


def peak_rss_mb(pid):
    """The process's peak resident size so far (VmHWM), in MB."""
    for line in open(f'/proc/{pid}/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
    raise AssertionError('no VmHWM')


def test_concurrent_30_mb_chunked_bodies_do_not_grow_the_server(web):
    """The finding: 16 chunked 30 MB bodies at once took the process to 1.3 GB. Four
    bodies are all sent before any is finished, so a server that kept them would
    hold all four at once."""
    pid = worker_pid(web)
    before = peak_rss_mb(pid)
    socks = [chunked_request(web.port, '/api/auth/register', 'application/json',
                             30 * 1024 * 1024, prefix=b'{"name": "') for _ in range(4)]
    grown = peak_rss_mb(pid) - before
    statuses = []
    for sock in socks:
        with sock:
            sock.sendall(b'0\r\n\r\n')
            statuses.append(read_response(sock)[0])
    assert statuses == [413] * 4
    assert grown < 40, f'the server grew by {grown:.0f} MB'   # keeping them: 120 MB and more


# ------------------------------------------------------------------ JSON

def test_json_nested_deeper_than_32_levels_is_a_400_on_an_anonymous_route(client):
    deep = client.post('/api/auth/register', data='[' * 2000, content_type='application/json')
    assert deep.status_code == 400 and 'nest' in deep.json['error']
    too_deep = {'email': 'a@example.com', 'x': json.loads('[' * 32 + ']' * 32)}   # 33 levels
    assert client.post('/api/auth/register', json=too_deep).status_code == 400
    fits = {'x': json.loads('[' * 31 + ']' * 31)}   # 32 levels: read, then checked as usual
    answer = client.post('/api/auth/register', json=fits)
    assert answer.status_code == 400 and answer.json['field'] == 'email'


def test_an_unpaired_surrogate_is_a_400_and_stores_nothing(client, team):
    for body in ('{"name": "\\ud800x"}', '{"name": "ok", "\\udfff": 1}',
                 '{"name": "ok", "more": [{"deep": "\\udc00"}]}'):
        answer = client.post('/api/workspaces', data=body, content_type='application/json',
                             headers=team.ann)
        assert answer.status_code == 400, (body, answer.json)
        assert 'surrogate' in answer.json['error']
    assert [w.name for w in Workspace.select()] == ['Garden club']
    paired = client.post('/api/workspaces', data='{"name": "\\ud83c\\udf31 seeds"}',
                         content_type='application/json', headers=team.ann)
    assert paired.status_code == 201 and paired.json['name'] == '\U0001f331 seeds'


def test_the_longest_document_fits_the_json_limit_however_it_is_escaped(client, team):
    content = '\U0001f331' * validation.MAX_CONTENT
    body = json.dumps({'title': 'Seeds', 'content': content})   # \ud83c\udf31, 12 bytes each
    answer = client.post(f'/api/workspaces/{team.ws_id}/documents', data=body,
                         content_type='application/json', headers=team.ann)
    assert answer.status_code == 201, answer.json
    assert client.get(f"/api/documents/{answer.json['id']}",
                      headers=team.ann).json['content'] == content


# ------------------------------------------------------------------ dates in filters

def test_extreme_dates_in_the_admin_job_filter_are_a_400(client):
    admin = sign_up(client, 'root@example.com', admin=True).headers
    for name, value in (('since', '0001-01-01T00:00+14:00'), ('until', '9999-12-31T23:59-14:00'),
                        ('since', '0001-01-01T00:00'), ('until', '9999-12-31T00:00')):
        answer = client.get('/admin/api/jobs', query_string={name: value}, headers=admin)
        assert answer.status_code == 400, (name, value, answer.json)
        assert answer.json['field'] == name and 'between' in answer.json['error']
    fine = client.get('/admin/api/jobs', query_string={'since': '2026-01-01T00:00+14:00'},
                      headers=admin)
    assert fine.status_code == 200


# ------------------------------------------------------------------ file names

SNOWMEN = '\u2603' * 90   # 270 bytes of UTF-8


def upload(client, team, name, data=b'snow'):
    return client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                       data={'file': (io.BytesIO(data), name)})


def test_a_file_name_is_cut_to_255_bytes_on_a_character_boundary(client, team):
    stored = upload(client, team, SNOWMEN + '.txt')
    assert stored.status_code == 201
    name = stored.json['name']
    assert len(name.encode()) <= 255 and name == '\u2603' * 83 + '.txt'
    plain = upload(client, team, 'x' * 300)
    assert plain.json['name'] == 'x' * 255


def export_zip(client, team):
    started = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann)
    assert started.status_code == 202, started.json
    url = f"/api/exports/{started.json['export_id']}"

    def finished():
        state = client.get(url, headers=team.ann).json
        return state if state['state'] in ('ready', 'failed') else None
    done = wait_until(finished, timeout=20, message='the export to finish')
    assert done['state'] == 'ready', done
    return zipfile.ZipFile(io.BytesIO(client.get(done['download_url'], headers=team.ann).data))


def test_an_export_shortens_a_long_stored_name_instead_of_failing(client, team, consumer):
    row = File.get_by_id(upload(client, team, 'snow.txt', b'flakes').json['id'])
    # A row stored when names were cut to 255 characters, not bytes.
    File.update(name=SNOWMEN).where(File.id == row.id).execute()
    archive = export_zip(client, team)
    [entry] = [n for n in archive.namelist() if n.startswith('files/')]
    assert len(entry.split('/')[-1].encode()) <= 255
    assert entry.startswith(f'files/{row.id}-\u2603')
    assert archive.read(entry) == b'flakes'
    manifest = json.loads(archive.read('files.json'))
    assert manifest[0]['name'] == SNOWMEN and manifest[0]['path'] == entry
