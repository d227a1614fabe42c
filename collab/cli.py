"""What run.py's commands do; run.py itself only parses the command line."""
import errno
import logging
import os
import socket
import sys

from collab.redaction import url_for_logs
from collab.settings import SettingsError

log = logging.getLogger('collab')


def configure_logging():
    """INFO and up to stderr. Huey's own line for every job's start and end is
    left out (the job ledger records both, with the duration): at a thousand
    jobs a second those lines cost a fifth of a worker's time. Its consumer's
    start and stop lines, and every warning and error, stay."""
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    logging.getLogger('huey').setLevel(logging.WARNING)
    logging.getLogger('huey.consumer').setLevel(logging.INFO)


def check_redis(settings):
    """An unreachable REDIS_URL stops start-up with one clear line."""
    if not settings.redis_url:
        return
    import redis
    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        where = url_for_logs(settings.redis_url)   # a password in the URL stays out
        raise SettingsError('REDIS_URL', f'cannot reach Redis at {where} ({exc})') from None


def check_address(settings):
    """A busy PORT or a HOST that cannot be listened on stops start-up with one
    clear line (gunicorn itself retries for seconds and logs every attempt)."""
    try:
        family = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((settings.host, settings.port), family=family):
            pass
    except OSError as exc:
        name = 'PORT' if exc.errno == errno.EADDRINUSE else 'HOST'
        reason = os.strerror(exc.errno) if (exc.errno or 0) > 0 else (exc.strerror or str(exc))
        raise SettingsError(name, f'cannot listen on {settings.host}:{settings.port} ({reason})') from None


def check_database(settings, separately=False):
    """An unreachable or unusable DATABASE_URL stops start-up with one clear line.

    `separately` runs the check in a forked child, so that a process that only
    watches others (the supervisor of `python run.py`) never loads the database
    drivers, some 10 MB. (Not under gevent: its fork and waitpid lose the
    child's exit.)"""
    problem = in_child(database_problem, settings) if separately else database_problem(settings)
    if problem:
        raise SettingsError('DATABASE_URL', f'cannot open the database ({problem})')


def in_child(problem_of, settings):
    """`problem_of(settings)` (a line of text), computed in a forked child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.write(write_end, problem_of(settings).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, 'rb') as pipe:
        problem = pipe.read().decode()
    os.waitpid(pid, 0)
    return problem


def database_problem(settings):
    """Why the database cannot be opened, in a line; '' when it can."""
    try:
        from collab.db import open_database
        db = open_database(settings.database_url)
        db.connect()
        db.close()
    except Exception as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ''


def run_server(settings):
    """`python run.py web`: the web server only."""
    from collab.server import serve
    log.info('serving on http://%s:%s (%s queue)', settings.host, settings.port,
             settings.queue_backend)
    serve(settings)
    return 0


def run_all(settings):
    """`python run.py`: the web server and a consumer, each its own child process.
    This process only watches them, and loads neither Flask nor the app."""
    from collab.file_modes import secure_data_dir
    from collab.supervisor import Supervisor
    secure_data_dir(settings.data_dir)   # once here, so the children find nothing to change
    return Supervisor(settings).run()


def run_worker(settings):
    import tasks
    from collab.startup import prepare
    from collab.jobs.runner import ConsumerRunner
    prepare(settings)
    tasks.configure(settings)
    ConsumerRunner(settings).run()
    return 0


def run_bench(argv):
    from bench.cli import run
    return run(argv)


def run_create_admin(settings, email, password):
    from collab.errors import ApiError
    from collab.startup import prepare
    from collab.db import database
    from collab.users import create_or_promote_admin
    prepare(settings)
    try:
        with database.connection_context():
            user, created = create_or_promote_admin(email.strip().lower(), password)
    except ApiError as exc:
        print(f'error: {exc.message}', file=sys.stderr)
        return 2
    if created:
        print(f'created admin {user.email}')
    else:
        print(f'promoted admin {user.email}: password reset, every session and token ended')
    return 0


def restore_settings():
    """Settings for `restore`: the snapshot brings its own key, so none is generated
    into the DATA_DIR that must stay empty until the restore."""
    from collab.settings import Settings
    environ = dict(os.environ)
    if not environ.get('SECRET_KEY', '').strip():
        environ['SECRET_KEY'] = 'not used by restore: the snapshot brings its key'
    return Settings.from_env(environ)


def run_backup(settings, dest):
    """`python run.py backup DEST`: progress on stderr, then what was saved on stdout."""
    from collab import backup
    try:
        dest, manifest = backup.backup(settings, dest)
    except backup.FAILURES as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    saved = [*manifest['databases'], *(f'{name}/' for name in manifest['directories'])]
    if manifest['secret_key']:
        saved.append('secret_key')
    print(f'backup written to {dest}: {", ".join(saved)}')
    for note in backup.backup_notes(settings, dest, manifest):
        print(f'note: {note}')
    return 0


def run_restore(settings, src, force):
    """`python run.py restore SRC [--force]`."""
    from collab import backup
    try:
        manifest, notes = backup.restore(settings, src, force)
    except backup.FAILURES as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    print(f'restored the snapshot of {manifest["created_at"]} into {settings.data_dir} '
          '(manifest and integrity checks passed)')
    for note in notes:
        print(f'note: {note}')
    return 0
