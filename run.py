"""Collab's command line. Usage:

  python run.py                      web server and a consumer process (the main job)
  python run.py web                  web server only
  python run.py worker               Huey consumer only
  python run.py create-admin EMAIL [--password-stdin]
  python run.py bench [--quick] [...]     the performance benchmark
  python run.py backup DEST          an online snapshot of DATA_DIR into DEST
  python run.py restore SRC [--force]     a snapshot into an empty DATA_DIR
"""
import sys

if __name__ == '__main__' and sys.argv[1:2] == ['web']:
    # The web server runs gunicorn's gevent worker: the standard library must be
    # patched before anything is imported that captures its classes at import
    # time (peewee's per-thread connection state subclasses threading.local).
    from gevent import monkey
    monkey.patch_all()

import argparse  # noqa: E402
import getpass  # noqa: E402

from collab.cli import (check_address, check_database, check_redis, configure_logging, run_all,
                        run_backup, run_bench, run_create_admin, run_restore, run_server,
                        run_worker, restore_settings)
from collab.file_modes import restrict_umask  # noqa: E402
from collab.settings import Settings, SettingsError  # noqa: E402


def parse(argv):
    parser = argparse.ArgumentParser(prog='run.py', description='Collab server')
    commands = parser.add_subparsers(dest='command')
    commands.add_parser('web', help='web server only (no consumer)')
    commands.add_parser('worker', help='Huey consumer only')
    admin = commands.add_parser('create-admin', help='create or promote an admin')
    admin.add_argument('email')
    admin.add_argument('--password-stdin', action='store_true',
                       help='read the password from standard input')
    bench = commands.add_parser('bench', help='the performance benchmark', add_help=False,
                                prefix_chars='+')   # every option goes to the benchmark
    bench.add_argument('bench_args', nargs=argparse.REMAINDER)
    backup = commands.add_parser('backup', help='an online snapshot of DATA_DIR into DEST')
    backup.add_argument('dest', help='a new or empty directory')
    restore = commands.add_parser('restore', help='put a snapshot into an empty DATA_DIR')
    restore.add_argument('src', help='a directory written by `backup`')
    restore.add_argument('--force', action='store_true',
                         help='replace the databases, files and key already in DATA_DIR')
    return parser.parse_args(argv)


def read_password(from_stdin):
    if from_stdin:
        return sys.stdin.readline().rstrip('\n')
    password = getpass.getpass('Password: ')
    if password != getpass.getpass('Repeat password: '):
        raise SystemExit('error: the passwords do not match')
    return password


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.command == 'bench':
        return run_bench(args.bench_args)
    configure_logging()
    restrict_umask()   # before DATA_DIR and anything in it is created
    try:
        settings = restore_settings() if args.command == 'restore' else Settings.from_env()
        if args.command not in ('backup', 'restore'):   # opening would create a database file
            check_database(settings, separately=args.command is None)
        if args.command in (None, 'web', 'worker'):
            check_redis(settings)
        if args.command in (None, 'web'):
            check_address(settings)
    except SettingsError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    if args.command == 'create-admin':
        return run_create_admin(settings, args.email, read_password(args.password_stdin))
    if args.command == 'backup':
        return run_backup(settings, args.dest)
    if args.command == 'restore':
        return run_restore(settings, args.src, args.force)
    if args.command == 'worker':
        return run_worker(settings)
    if args.command == 'web':
        return run_server(settings)
    return run_all(settings)


if __name__ == '__main__':
    sys.exit(main())
