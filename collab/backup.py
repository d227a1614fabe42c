"""`python run.py backup DEST` and `python run.py restore SRC`.

A snapshot is a directory: the SQLite app database (collab.db) and the SQLite
queue (queue.db), each copied with SQLite's online backup API; DATA_DIR's
files/ and exports/; the generated secret key (queue messages and sessions
are signed with it); and manifest.json, which says what is there.

The two databases are one snapshot, not two: the app database's write lock
is held (milliseconds) while a read transaction is opened on each, so no
outbox move, ledger write or job effect falls between them. A message is
therefore either in the snapshot's outbox or in its queue, never in neither.
A job the ledger records as finished has its message acknowledged only after
that record commits, so its message may still be in the snapshot's queue:
such messages are taken out of the copy, and finished jobs never run again.

Restoring is like starting after every process of the installation was
killed: claims of the snapshot's consumers go back on the queue (crash
recovery), so jobs that were running run again; the consumers are recorded
stopped on restore, so this happens at the first consumer's start.
"""
import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import sys
import time
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from huey.serializer import SignedSerializer

from collab.settings import SECRET_KEY_FILE

MANIFEST = 'manifest.json'
MANIFEST_KEYS = {'created_at', 'app_database', 'queue', 'databases', 'directories', 'secret_key'}
FORMAT = 1
APP_DB, QUEUE_DB = 'collab.db', 'queue.db'
PG_DUMP = 'collab.pgdump'
DIRECTORIES = ('files', 'exports')
FILE_MODE, DIR_MODE = 0o600, 0o700
SQLITE_SIDE_FILES = ('-wal', '-shm', '-journal')
TASK_SALT = 'collab.tasks'     # as collab.jobs.engine signs queue messages
LOCK_TIMEOUT = 30              # seconds to wait for the app database's write lock
PROGRESS_SECONDS = 2.0


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


# What stops a backup or restore with one line on stderr (a full disk, a locked database, ...).
FAILURES = (BackupError, OSError, sqlite3.Error)


def say(line):
    """A progress line: on stderr, so stdout keeps only the summary."""
    print(line, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ where things are

def sqlite_path(database_url):
    """The file of a `sqlite:///…` DATABASE_URL, or None for PostgreSQL."""
    if not database_url.startswith('sqlite:'):
        return None
    return Path(urlparse(database_url).path[1:]).expanduser().resolve()


def without_password(database_url):
    """A PostgreSQL URL as psql's tools take it: no password, no `+pool`."""
    parsed = urlparse(database_url)
    netloc = parsed.hostname or ''
    if parsed.username:
        netloc = f'{parsed.username}@{netloc}'
    if parsed.port:
        netloc = f'{netloc}:{parsed.port}'
    return urlunparse(parsed._replace(scheme='postgresql', netloc=netloc))


def pg_dump_command(database_url, dest):
    return shlex.join(['pg_dump', '--format=custom', f'--file={Path(dest) / PG_DUMP}',
                       f'--dbname={without_password(database_url)}'])


def pg_restore_command(database_url, src):
    return shlex.join(['pg_restore', '--clean', '--if-exists', '--no-owner',
                       f'--dbname={without_password(database_url)}', str(Path(src) / PG_DUMP)])


def password_note(database_url):
    if urlparse(database_url).password:
        return ' (the password from DATABASE_URL goes in PGPASSWORD or ~/.pgpass)'
    return ''


# ------------------------------------------------------------------ SQLite copies

def connect(path):
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT, isolation_level=None)
    conn.execute(f'PRAGMA busy_timeout = {LOCK_TIMEOUT * 1000}')
    return conn


def begin_read(conn):
    """Open a read transaction and fix its snapshot now (WAL: at its first read)."""
    conn.execute('BEGIN')
    conn.execute('SELECT count(*) FROM sqlite_master').fetchone()


@contextmanager
def app_database_held(path):
    """Hold the app database's write lock: no commit lands while it is held.
    Writers wait for it (busy_timeout) rather than fail."""
    if path is None:
        yield
        return
    with closing(connect(path)) as conn:
        conn.execute('BEGIN IMMEDIATE')
        try:
            yield
        finally:
            conn.execute('ROLLBACK')


def open_snapshots(sources, app_db):
    """{name: connection}, each in a read transaction begun while the app database
    was held, so together they show one moment."""
    readers = {name: connect(path) for name, path in sources.items()}
    with app_database_held(app_db):
        for conn in readers.values():
            begin_read(conn)
    return readers


def copy_database(reader, target):
    """Copy a reader's snapshot into `target`, a single file (no WAL beside it)."""
    pages = reader.execute('PRAGMA page_count').fetchone()[0]
    page_size = reader.execute('PRAGMA page_size').fetchone()[0]
    started = time.monotonic()
    say(f'copying {target.name} ({human_size(pages * page_size)})')
    with closing(sqlite3.connect(target)) as copy:
        reader.backup(copy)   # one step, inside the reader's snapshot
        copy.execute('PRAGMA journal_mode = DELETE')
    reader.execute('ROLLBACK')
    reader.close()
    os.chmod(target, FILE_MODE)
    say(f'copied {target.name} in {time.monotonic() - started:.1f} s')


def table_counts(path):
    with closing(sqlite3.connect(path)) as conn:
        names = [name for name, in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                for name in names}


def integrity_problems(path):
    """[] when `PRAGMA integrity_check` finds the database sound."""
    with closing(sqlite3.connect(path)) as conn:
        rows = [row for row, in conn.execute('PRAGMA integrity_check')]
    return [] if rows == ['ok'] else rows


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def database_entry(path):
    return {'bytes': path.stat().st_size, 'sha256': file_digest(path),
            'tables': table_counts(path)}


# ------------------------------------------------------------------ finished jobs

def message_ids(queue_copy, secret_key):
    """{(table, row id): job id} for the queue's messages and scheduled messages.
    A message that does not verify is left alone (the worker refuses it)."""
    serializer = SignedSerializer(secret=secret_key, salt=TASK_SALT)
    found = {}
    with closing(sqlite3.connect(queue_copy)) as conn:
        for table in ('task', 'schedule'):
            for row_id, data in conn.execute(f'SELECT id, data FROM {table}'):
                try:
                    found[(table, row_id)] = serializer.deserialize(bytes(data)).id
                except Exception:
                    continue
    return found


def finished_job_ids(app_copy, job_ids):
    from collab.jobs.models import FINAL_STATES, Job
    table, wanted, finished = Job._meta.table_name, list(job_ids), set()
    marks = ', '.join('?' for _ in FINAL_STATES)
    with closing(sqlite3.connect(app_copy)) as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            finished.update(job_id for job_id, in conn.execute(
                f'SELECT job_id FROM {table} WHERE state IN ({marks}) '
                f'AND job_id IN ({", ".join("?" for _ in chunk)})', (*FINAL_STATES, *chunk)))
    return finished


def drop_finished_messages(queue_copy, app_copy, secret_key):
    """Take out of the queue copy the messages of jobs the ledger copy records as
    finished (recorded, not yet acknowledged at the snapshot). Returns how many."""
    ids = message_ids(queue_copy, secret_key)
    finished = finished_job_ids(app_copy, set(ids.values()))
    doomed = [key for key, job_id in ids.items() if job_id in finished]
    with closing(sqlite3.connect(queue_copy)) as conn, conn:
        for table, row_id in doomed:
            conn.execute(f'DELETE FROM {table} WHERE id = ?', (row_id,))
    return len(doomed)


def mark_consumers_stopped(app_db):
    """The snapshot's consumers do not run on restored data: recorded stopped,
    their claims are recovered by the first consumer that starts."""
    from collab.fields import utcnow
    from collab.jobs.models import ConsumerProcess
    table = ConsumerProcess._meta.table_name
    stopped_at = utcnow().isoformat(sep=' ')   # as Peewee stores a DateTimeField
    with closing(sqlite3.connect(app_db)) as conn, conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
            return conn.execute(f'UPDATE {table} SET stopped_at = ? WHERE stopped_at IS NULL',
                                (stopped_at,)).rowcount
    return 0


# ------------------------------------------------------------------ files

def human_size(size):
    for unit in ('B', 'KB', 'MB', 'GB'):
        if size < 1024 or unit == 'GB':
            return f'{size:.0f} {unit}' if unit == 'B' else f'{size:.1f} {unit}'
        size /= 1024


def copy_file(source, target):
    shutil.copyfile(source, target)
    os.chmod(target, FILE_MODE)


def copy_tree(source, target):
    """Copy a directory's regular files with the data dir's modes; {'files', 'bytes'}.
    A file deleted while the copy runs is skipped."""
    counts = {'files': 0, 'bytes': 0}
    if not source.is_dir():
        return counts
    next_line = time.monotonic() + PROGRESS_SECONDS
    for folder, _, names in os.walk(source):
        destination = target / Path(folder).relative_to(source)
        destination.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(destination, DIR_MODE)
        for name in names:
            path = Path(folder) / name
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                copy_file(path, destination / name)
                counts['bytes'] += (destination / name).stat().st_size
            except FileNotFoundError:
                continue
            counts['files'] += 1
            if time.monotonic() >= next_line:
                next_line = time.monotonic() + PROGRESS_SECONDS
                say(f'{source.name}/: {counts["files"]} files, '
                    f'{human_size(counts["bytes"])} copied')
    say(f'{source.name}/: {counts["files"]} files, {human_size(counts["bytes"])}')
    return counts


def tree_counts(path):
    counts = {'files': 0, 'bytes': 0}
    for folder, _, names in os.walk(path):
        for name in names:
            counts['files'] += 1
            counts['bytes'] += (Path(folder) / name).stat().st_size
    return counts


# ------------------------------------------------------------------ backup

def check_destination(dest, data_dir):
    dest = Path(dest).expanduser().resolve()
    if dest == data_dir or data_dir in dest.parents:
        raise BackupError(f'{dest} is inside DATA_DIR ({data_dir}); give a directory outside it')
    if dest.exists() and not dest.is_dir():
        raise BackupError(f'{dest} exists and is not a directory')
    if dest.is_dir() and any(dest.iterdir()):
        raise BackupError(f'{dest} is not empty; give a new or empty directory')
    dest.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(dest, DIR_MODE)
    return dest


def versions():
    found = {'python': sys.version.split()[0], 'sqlite': sqlite3.sqlite_version}
    for package in ('huey', 'peewee'):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


def backup(settings, dest):
    """Take a snapshot of a running installation into `dest`. Returns the manifest."""
    dest = check_destination(dest, settings.data_dir)
    app_db = sqlite_path(settings.database_url)
    if app_db is not None and not app_db.is_file():
        raise BackupError(f'there is no database at {app_db} to back up')
    sources = {APP_DB: app_db} if app_db else {}
    if not settings.redis_url and settings.queue_path.is_file():
        sources[QUEUE_DB] = settings.queue_path
    for name, reader in open_snapshots(sources, app_db).items():
        copy_database(reader, dest / name)
    dropped = 0
    if APP_DB in sources and QUEUE_DB in sources:
        dropped = drop_finished_messages(dest / QUEUE_DB, dest / APP_DB, settings.secret_key)
    manifest = {
        'format': FORMAT,
        'created_at': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'versions': versions(),
        'app_database': 'sqlite' if app_db else 'postgresql',
        'queue': settings.queue_backend,
        'databases': {name: database_entry(dest / name) for name in sources},
        'finished_messages_dropped': dropped,
        # Copied after the databases: every file a saved row names is complete.
        'directories': {name: copy_tree(settings.data_dir / name, dest / name)
                        for name in DIRECTORIES},
        'secret_key': copy_secret_key(settings.data_dir, dest),
    }
    write_manifest(dest, manifest)
    return dest, manifest


def copy_secret_key(data_dir, dest):
    """Whether DATA_DIR's generated key was copied (not there when SECRET_KEY is set)."""
    key = data_dir / SECRET_KEY_FILE
    if not key.is_file():
        return False
    copy_file(key, dest / SECRET_KEY_FILE)
    return True


def write_manifest(dest, manifest):
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + '\n')
    os.chmod(path, FILE_MODE)


def backup_notes(settings, dest, manifest):
    """What the person taking the backup must know, one line each."""
    notes = []
    if manifest['app_database'] == 'postgresql':
        notes.append('the app database is PostgreSQL: it is not in this snapshot; save it with '
                     f'{pg_dump_command(settings.database_url, dest)}'
                     f'{password_note(settings.database_url)}')
    if manifest['queue'] == 'redis':
        notes.append('the queue is in Redis (REDIS_URL): jobs waiting in Redis are not in this '
                     'snapshot; the outbox and the job ledger (in the app database) are. A restore '
                     'next to the same Redis runs them; without it, jobs that had left the outbox '
                     'stay recorded as queued but do not run')
    if not manifest['secret_key']:
        notes.append('SECRET_KEY is set in the environment, so no key file was copied: '
                     'restore with the same SECRET_KEY')
    return notes


# ------------------------------------------------------------------ restore

def read_manifest(src):
    path = Path(src) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise BackupError(f'{src} is not a snapshot: it has no {MANIFEST}') from None
    except (OSError, ValueError) as exc:
        raise BackupError(f'cannot read {path}: {exc}') from None
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise BackupError(f'{path} is not a snapshot manifest of format {FORMAT}')
    missing = MANIFEST_KEYS - manifest.keys()
    if missing:
        raise BackupError(f'{path} lacks {", ".join(sorted(missing))}')
    return manifest


def verify_snapshot(src, manifest):
    """The snapshot's files are the ones its manifest describes."""
    for name, entry in manifest['databases'].items():
        path = src / name
        if not path.is_file():
            raise BackupError(f'{path} is missing')
        if file_digest(path) != entry['sha256']:
            raise BackupError(f'{path} does not match the manifest (sha256 differs)')
    for name, expected in manifest['directories'].items():
        if tree_counts(src / name) != expected:
            raise BackupError(f'{src / name}/ does not match the manifest')
    if manifest['secret_key'] and not (src / SECRET_KEY_FILE).is_file():
        raise BackupError(f'{src / SECRET_KEY_FILE} is missing')


def restore_targets(settings, manifest):
    """{snapshot name: where it goes} for the databases."""
    targets = {}
    if APP_DB in manifest['databases']:
        app_db = sqlite_path(settings.database_url)
        if app_db is None:
            raise BackupError('this snapshot holds a SQLite app database, but DATABASE_URL '
                              'names PostgreSQL; unset DATABASE_URL to restore it')
        targets[APP_DB] = app_db
    if QUEUE_DB in manifest['databases']:
        targets[QUEUE_DB] = settings.queue_path
    return targets


def occupied(data_dir, targets):
    """What is already there: DATA_DIR's entries, and a database file outside it."""
    found = sorted(p.name for p in data_dir.iterdir()) if data_dir.is_dir() else []
    found += [str(path) for path in targets.values()
              if data_dir not in path.parents and path.exists()]
    return found


def clear_old(data_dir, targets):
    """--force: remove what the restore replaces (a database's WAL too, which
    would otherwise be replayed into the restored file)."""
    for path in targets.values():
        for suffix in ('', *SQLITE_SIDE_FILES):
            Path(f'{path}{suffix}').unlink(missing_ok=True)
    for name in DIRECTORIES:
        shutil.rmtree(data_dir / name, ignore_errors=True)
    (data_dir / SECRET_KEY_FILE).unlink(missing_ok=True)


def restore_database(source, target, entry):
    """Copy a database into place whole (a temporary name, then a rename) and check it."""
    target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    partial = target.with_name(f'.{target.name}.restoring')
    say(f'restoring {target} ({human_size(entry["bytes"])})')
    copy_file(source, partial)
    problems = integrity_problems(partial)
    if problems:
        partial.unlink()
        raise BackupError(f'{source}: integrity check failed: {"; ".join(problems[:5])}')
    if table_counts(partial) != entry['tables']:
        partial.unlink()
        raise BackupError(f'{source}: its row counts differ from the manifest')
    os.replace(partial, target)


def restore(settings, src, force=False):
    """Put the snapshot at `src` into settings.data_dir. Returns (manifest, notes)."""
    src = Path(src).expanduser().resolve()
    manifest = read_manifest(src)
    targets = restore_targets(settings, manifest)
    data_dir = settings.data_dir
    there = occupied(data_dir, targets)
    if there and not force:
        raise BackupError(f'DATA_DIR {data_dir} is not empty ({", ".join(there[:5])}); '
                          'restore into an empty one, or add --force to replace what is there')
    verify_snapshot(src, manifest)
    if there:
        clear_old(data_dir, targets)
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(data_dir, DIR_MODE)   # it holds the key: its owner's only
    for name, target in targets.items():
        restore_database(src / name, target, manifest['databases'][name])
    if APP_DB in targets:
        mark_consumers_stopped(targets[APP_DB])
    for name in DIRECTORIES:
        copy_tree(src / name, data_dir / name)
    if manifest['secret_key']:
        copy_file(src / SECRET_KEY_FILE, data_dir / SECRET_KEY_FILE)
    return manifest, restore_notes(settings, src, manifest)


def restore_notes(settings, src, manifest):
    notes = []
    if APP_DB in manifest['databases'] or QUEUE_DB in manifest['databases']:
        notes.append('jobs that were waiting run when a consumer starts; jobs that were running '
                     'are recovered as after a crash (recorded interrupted) and run again')
    if manifest['app_database'] == 'postgresql':
        url = settings.database_url if sqlite_path(settings.database_url) is None else \
            'postgresql://USER@HOST:5432/NAME'
        notes.append('the app database was PostgreSQL: restore its dump with '
                     f'{pg_restore_command(url, src)}{password_note(url)}')
    if QUEUE_DB in manifest['databases'] and settings.redis_url:
        notes.append('REDIS_URL is set: the jobs in the restored queue.db run only with the '
                     'SQLite queue (REDIS_URL unset)')
    if manifest['queue'] == 'redis':
        notes.append('the snapshot was taken with the queue in Redis: jobs that were waiting '
                     'there run only if that Redis still holds them')
    if not manifest['secret_key']:
        notes.append('the snapshot has no key file: start with the SECRET_KEY it was taken with')
    return notes
