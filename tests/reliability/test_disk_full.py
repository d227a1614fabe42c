"""A DATA_DIR that runs out of space loses nothing.

DATA_DIR is a small tmpfs of its own. `python run.py` runs on it while the
test fills it: writes answer 507 with a JSON error and /healthz says the disk
is full; every write that was accepted stays readable and its job still runs;
once the test frees space the same server takes writes again, and both
SQLite databases pass `PRAGMA integrity_check`.
"""
import contextlib
import errno
import io
import json
import os
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest
from peewee import OperationalError, SqliteDatabase
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from collab import disk
from tests.support import ADMIN, LiveServer, http_json, sign_in, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

DISK_BYTES = 24 * 1024 * 1024
LEFT_FREE = 1536 * 1024       # what the filler leaves for the server to fill
UPLOAD_BYTES = 96 * 1024


@contextlib.contextmanager
def small_disk(path, size=DISK_BYTES):
    """A tmpfs of `size` bytes mounted at `path` (needs root and mount(2))."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs',
                                  str(path)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip('cannot mount a tmpfs for DATA_DIR here: no mount command')
    if mounted.returncode != 0:
        pytest.skip(f'cannot mount a tmpfs for DATA_DIR here (root and mount(2) are needed): '
                    f'{mounted.stderr.strip()}')
    try:
        yield path
    finally:
        if subprocess.run(['umount', str(path)], capture_output=True).returncode != 0:
            subprocess.run(['umount', '-l', str(path)], capture_output=True)


def fill(path, leave):
    """Write `path` until only `leave` bytes are free on its file system."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while (free := free_bytes(path)) > leave:
            os.write(fd, b'\0' * min(1024 * 1024, free - leave))
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)


def free_bytes(path):
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def upload(base_url, token, workspace_id, name, payload):
    """(status, JSON body) of a multipart upload to a running server."""
    boundary, body = encode_multipart({'file': FileStorage(io.BytesIO(payload), name)})
    request = urllib.request.Request(
        f'{base_url}/api/workspaces/{workspace_id}/files', data=body, method='POST',
        headers={'Content-Type': f'multipart/form-data; boundary={boundary}',
                 'Authorization': f'Bearer {token}'})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'null')


def download(base_url, token, url):
    request = urllib.request.Request(base_url + url, headers={'Authorization': f'Bearer {token}'})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def activity(server, token, workspace_id):
    """Every activity entry of the workspace, through the feed's pages."""
    entries, before = [], ''
    while True:
        status, body = http_json(server.url, 'GET', f'/api/workspaces/{workspace_id}/activity'
                                 f'?limit=1000{before}', token=token)
        assert status == 200, body
        entries += body['activity']
        if not body['next_before']:
            return entries
        before = f'&before={body["next_before"]}'


def assert_disk_full_error(status, body):
    assert status == 507 and body == {'error': disk.MESSAGE}, (status, body)


def integrity(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute('PRAGMA integrity_check').fetchall()
    finally:
        conn.close()


@contextlib.contextmanager
def serving_on_small_disk(tmp_path, app_db=None):
    """`python run.py` (web and consumer) on a DATA_DIR of its own small disk, with the
    app database in it or at `app_db`; once the server has stopped cleanly, both
    SQLite databases must pass their integrity check."""
    with small_disk(tmp_path / 'data') as data_dir:
        env = {'ADMIN_EMAIL': ADMIN['email'], 'ADMIN_PASSWORD': ADMIN['password'],
               'CATCH_UP_PERIODIC': '0'}
        if app_db:
            env['DATABASE_URL'] = f'sqlite:///{app_db}'
        server = LiveServer(data_dir, env=env)
        server.start()
        try:
            yield server, data_dir
        finally:
            code = server.stop()
        assert code == 0, server.output()[-3000:]
        for path in (app_db or data_dir / 'collab.db', data_dir / 'queue.db'):
            assert integrity(path) == [('ok',)], path


def test_the_errors_of_a_full_disk_are_recognised_as_they_are_raised(tmp_path):
    """From a file write, and from SQLite through Peewee, at a statement and at a
    COMMIT. SQLite has rolled back already, so Peewee's ROLLBACK fails too: the
    disk-full error is the context of the error raised."""
    with small_disk(tmp_path / 'tiny', size=1024 * 1024) as path:
        db = SqliteDatabase(str(path / 'app.db'), pragmas={'journal_mode': 'wal'})
        db.execute_sql('CREATE TABLE t (x BLOB)')
        fill(path / 'filler', 0)
        with pytest.raises(OSError) as written:
            (path / 'more').write_bytes(b'x' * 65536)
        with pytest.raises(OperationalError) as inserted, db.atomic():
            db.execute_sql('INSERT INTO t VALUES (?)', (os.urandom(256 * 1024),))
        with pytest.raises(OperationalError) as committed, db.atomic():
            for _ in range(20):
                db.execute_sql('INSERT INTO t VALUES (?)', (os.urandom(1000),))
        db.close()
    for raised in (written, inserted, committed):
        assert disk.is_full_error(raised.value), repr(raised.value)
    assert disk.is_full_error(OSError(errno.EFBIG, 'File too large'))   # RLIMIT_FSIZE
    assert not disk.is_full_error(OperationalError('database is locked'))
    assert not disk.is_full_error(OSError(errno.EACCES, 'Permission denied'))


def test_a_full_disk_answers_507_loses_nothing_and_recovers_without_a_restart(tmp_path):
    with serving_on_small_disk(tmp_path) as (server, data_dir):
        run_out_of_space_and_recover(server, data_dir)


def test_the_jobs_of_writes_accepted_as_the_disk_filled_all_run_once_it_has_space(tmp_path):
    with serving_on_small_disk(tmp_path) as (server, data_dir):
        token, workspace_id, file_ids, version = run_out_of_space_and_recover(server, data_dir)
        wanted = {('file.uploaded', i) for i in file_ids} | {
            ('document.updated', v) for v in range(2, version + 1)}

        def logged():
            seen = {(e['action'], e['target_id'] if e['action'] == 'file.uploaded'
                     else e['metadata'].get('version'))
                    for e in activity(server, token, workspace_id)}
            return wanted <= seen
        wait_until(logged, timeout=30, interval=0.5, message='an activity entry for every write')


def test_writes_accepted_while_the_queue_cannot_grow_keep_their_jobs_in_the_outbox(tmp_path):
    """The app database is on another disk: saves still succeed while DATA_DIR (and
    queue.db in it) is full, their jobs wait in the outbox, and run once there is space."""
    (tmp_path / 'app').mkdir()
    with serving_on_small_disk(tmp_path, app_db=tmp_path / 'app' / 'collab.db') as (
            server, data_dir):
        token = sign_in(server.url, ADMIN['email'], ADMIN['password']).token
        status, ws = http_json(server.url, 'POST', '/api/workspaces', {'name': 'Queue'}, token)
        assert status == 201, ws
        status, doc = http_json(server.url, 'POST', f'/api/workspaces/{ws["id"]}/documents',
                                {'title': 'Notes', 'content': 'v1'}, token)
        assert status == 201, doc
        wait_until(lambda: 'document.created' in actions(server, token, ws['id']), timeout=30,
                   message='the jobs so far to run')   # none is in flight as the disk fills
        filler = data_dir / 'filler'
        fill(filler, 0)
        for n in range(10):
            status, saved = http_json(server.url, 'PUT', f'/api/documents/{doc["id"]}',
                                      {'content': f'save {n}'}, token)
            assert status == 200, saved
        status, health = http_json(server.url, 'GET', '/healthz')
        assert status == 503 and health['disk'] == 'full' and health['db'] == 'ok', health

        filler.unlink()
        wait_until(lambda: actions(server, token, ws['id']).count('document.updated') == 10,
                   timeout=30, interval=0.5, message='an activity entry for every save')
        assert http_json(server.url, 'GET', '/healthz')[0] == 200


def actions(server, token, workspace_id):
    return [e['action'] for e in activity(server, token, workspace_id)]


def run_out_of_space_and_recover(server, data_dir):
    token = sign_in(server.url, ADMIN['email'], ADMIN['password']).token
    status, ws = http_json(server.url, 'POST', '/api/workspaces', {'name': 'Full'}, token)
    assert status == 201, ws
    status, doc = http_json(server.url, 'POST', f'/api/workspaces/{ws["id"]}/documents',
                            {'title': 'Notes', 'content': 'v1'}, token)
    assert status == 201, doc
    pid = server.process.pid
    filler = data_dir / 'filler'
    fill(filler, LEFT_FREE)

    # Uploads until the disk refuses one, then document saves until it refuses one too.
    uploaded = {}
    for n in range(10 * LEFT_FREE // UPLOAD_BYTES):
        payload = os.urandom(UPLOAD_BYTES)
        status, body = upload(server.url, token, ws['id'], f'part-{n}.bin', payload)
        if status != 201:
            assert_disk_full_error(status, body)
            break
        uploaded[body['id']] = payload
    else:
        pytest.fail('uploads never ran out of space')
    saved = None
    for n in range(5000):
        status, body = http_json(server.url, 'PUT', f'/api/documents/{doc["id"]}',
                                 {'content': f'save {n} ' + 'x' * 2000}, token)
        if status != 200:
            assert_disk_full_error(status, body)
            break
        saved = body
    else:
        pytest.fail('document saves never ran out of space')

    status, health = http_json(server.url, 'GET', '/healthz')
    assert status == 503 and health['disk'] == 'full', (status, health)
    assert health['db'] == 'ok' and health['queue'] == 'ok', health

    # What was accepted is there, as accepted; what was refused left nothing behind.
    for file_id, payload in uploaded.items():
        assert download(server.url, token, f'/api/files/{file_id}') == payload
    status, body = http_json(server.url, 'GET', f'/api/documents/{doc["id"]}', token=token)
    assert status == 200 and body['content'] == (saved or doc)['content'], body
    status, listed = http_json(server.url, 'GET', f'/api/workspaces/{ws["id"]}/files', token=token)
    assert sorted(f['id'] for f in listed['files']) == sorted(uploaded)
    assert len(list((data_dir / 'files').iterdir())) == len(uploaded)

    # Space comes back: the same process takes writes again, and /healthz says so.
    filler.unlink()
    wait_until(lambda: http_json(server.url, 'GET', '/healthz') == (200, {**health, 'disk': 'ok',
                                                                          'consumers': 1}),
               timeout=20, message='/healthz to report the disk ok again')
    status, after = upload(server.url, token, ws['id'], 'after.bin', b'after')
    assert status == 201, after
    status, body = http_json(server.url, 'PUT', f'/api/documents/{doc["id"]}',
                             {'content': 'after'}, token)
    assert status == 200 and body['content'] == 'after', body
    assert server.process.poll() is None and server.process.pid == pid
    print(f'accepted before the disk filled: {len(uploaded)} uploads, {body["version"] - 2} saves')
    return token, ws['id'], set(uploaded) | {after['id']}, body['version']


def test_an_export_that_runs_out_of_space_fails_plainly_and_leaves_no_partial_files(tmp_path):
    with serving_on_small_disk(tmp_path) as (server, data_dir):
        token = sign_in(server.url, ADMIN['email'], ADMIN['password']).token
        status, ws = http_json(server.url, 'POST', '/api/workspaces', {'name': 'Big'}, token)
        assert status == 201, ws
        for n in range(3):   # 3 MiB to copy, where the filler leaves half that
            assert upload(server.url, token, ws['id'], f'big-{n}.bin',
                          os.urandom(1024 * 1024))[0] == 201
        filler = data_dir / 'filler'
        fill(filler, LEFT_FREE)

        status, started = http_json(server.url, 'POST', f'/api/workspaces/{ws["id"]}/exports',
                                    {}, token)
        assert status == 202, started
        failed = wait_until(lambda: finished_export(server, token, started['url']), timeout=60,
                            interval=0.3, message='the export to finish')
        assert failed['state'] == 'failed', failed
        assert 'out of disk space' in failed['error'], failed
        assert list((data_dir / 'exports').iterdir()) == []   # no parts, no partial zip
        # The part that ran out of space was tried again before the export gave up
        # (the ledger records that attempt with its next batch: waited for).
        def files_part_attempts():
            status, jobs = http_json(server.url, 'GET',
                                     '/admin/api/jobs?task=workspaces.export_files', token=token)
            assert status == 200, jobs
            return [(j['attempts'], j['state']) for j in jobs['jobs']]
        wait_until(lambda: files_part_attempts() == [(2, 'failed')], timeout=10,
                   message="the files part's two attempts, as recorded")

        filler.unlink()
        status, again = http_json(server.url, 'POST', f'/api/workspaces/{ws["id"]}/exports',
                                  {}, token)
        assert status == 202, again
        ready = wait_until(lambda: finished_export(server, token, again['url']), timeout=60,
                           interval=0.3, message='the second export to finish')
        assert ready['state'] == 'ready', ready
        assert len(download(server.url, token, ready['download_url'])) > 3 * 1024 * 1024


def finished_export(server, token, url):
    status, body = http_json(server.url, 'GET', url, token=token)
    assert status == 200, body
    return body if body['state'] in ('ready', 'failed') else None

