"""Uploads through the API: a size limit, generated names on disk, served as attachments
with nosniff, and no way out of DATA_DIR/files whatever the file name says."""
import io
import re

from collab.files import MAX_FILE_BYTES

HOSTILE_NAMES = ['../../etc/passwd', '/etc/passwd', '..\\..\\windows\\win.ini', 'C:\\boot.ini',
                 'a\x00b.txt', '..', '.', '....//....//x', '%2e%2e%2fescape', 'x' * 5000 + '.txt',
                 '\u202egnp.exe', 'line\nbreak.txt', '<script>alert(1)</script>.html']


def stored_files(settings):
    return sorted(p.name for p in (settings.data_dir / 'files').iterdir())


def test_hostile_file_names_never_leave_the_files_directory(world, settings, tmp_path):
    owner, ws = world.actors['owner'], world.one['ws']
    before = set(stored_files(settings))
    for name in HOSTILE_NAMES:
        response = owner.api('POST', f'/api/workspaces/{ws}/files',
                             data={'file': (io.BytesIO(b'payload ' + name.encode()[:50]), name)})
        assert response.status_code in (201, 400), (name, response.status_code)
        if response.status_code == 400:
            continue
        shown = response.json['name']
        assert not set(shown) & {'/', '\\', '\x00', '\n'} and 0 < len(shown) <= 255, (name, shown)
        download = owner.api('GET', response.json['url'])
        assert download.status_code == 200 and download.data.startswith(b'payload ')
        disposition = download.headers['Content-Disposition']
        assert disposition.startswith('attachment') and '/' not in disposition.split('=', 1)[1]
        assert download.headers['X-Content-Type-Options'] == 'nosniff'
        assert download.headers['Content-Type'] == 'application/octet-stream'
    new = set(stored_files(settings)) - before
    assert new and all(re.fullmatch(r'[0-9a-f]{32}', stored) for stored in new)
    # Nothing was written anywhere but DATA_DIR/files.
    outside = [p for p in tmp_path.rglob('*') if p.is_file() and 'files' not in p.parts
               and p.suffix not in ('.db', '.db-wal', '.db-shm', '.pid') and p.name != 'secret_key']
    assert not [p for p in outside if p.name in ('passwd', 'win.ini', 'boot.ini', 'x', 'escape')]


def test_the_form_upload_keeps_only_a_clean_display_name(world, settings):
    owner, ws = world.actors['owner'], world.one['ws']
    response = owner.client.post(f'/w/{ws}/files', headers={'X-CSRF-Token': owner.csrf},
                                 data={'file': (io.BytesIO(b'form'), '../../../etc/passwd')})
    assert response.status_code == 302
    listed = owner.api('GET', f'/api/workspaces/{ws}/files').json['files']
    assert [f['name'] for f in listed if f['size'] == 4] == ['passwd']


def test_an_upload_over_the_limit_is_a_413_and_leaves_no_file(world, settings):
    owner, ws = world.actors['owner'], world.one['ws']
    before = stored_files(settings)
    listed = owner.api('GET', f'/api/workspaces/{ws}/files').json['files']
    body = io.BytesIO(b'x' * (MAX_FILE_BYTES + 1))
    response = owner.api('POST', f'/api/workspaces/{ws}/files', data={'file': (body, 'big.bin')})
    assert response.status_code == 413, response.get_data(True)[:200]
    assert stored_files(settings) == before
    assert owner.api('GET', f'/api/workspaces/{ws}/files').json['files'] == listed


def test_a_file_id_that_is_not_a_number_or_is_out_of_range_is_a_404(world):
    owner = world.actors['owner']
    for url in ('/api/files/..%2F..%2Fetc%2Fpasswd', '/api/files/-1', '/api/files/1e3',
                f'/api/files/{2**64}', '/api/files/%00'):
        assert owner.api('GET', url).status_code in (400, 404), url
