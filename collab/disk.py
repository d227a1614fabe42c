"""Running out of space in DATA_DIR: recognising it, and remembering it for /healthz.

A full disk is transient: every write that meets it fails whole (SQLite rolls
the transaction back; a partial file is removed), the client gets a 507, and
the same write succeeds once space is freed. Nothing needs a restart.
"""
import contextlib
import errno
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from peewee import OperationalError

# ENOSPC: the file system is full. EFBIG: a file hit RLIMIT_FSIZE or the file
# system's size limit. EDQUOT: the user's quota is used up. All mean "no space".
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
SQLITE_FULL = 13
SQLITE_FULL_MESSAGE = 'database or disk is full'

MESSAGE = 'the server is out of disk space; nothing was saved. Try again once space is freed.'

# Below this much free space DATA_DIR counts as full: the next database page
# or upload chunk would most likely not fit.
LOW_SPACE_BYTES = 256 * 1024
# A write that failed for lack of space keeps /healthz saying "full" this long,
# also where free space cannot show it (RLIMIT_FSIZE, a quota).
REMEMBER_SECONDS = 5.0


class DiskFull(OSError):
    """A write that failed for lack of space, said plainly (job errors show its repr)."""

    def __init__(self, what):
        super().__init__(errno.ENOSPC, f'out of disk space while writing {what}; '
                                       'the partial file was removed')


_last_full = {'at': None}
_lock = threading.Lock()


def is_full_error(exc):
    """True if `exc`, or an exception it was raised from, means the disk is full."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _means_full(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _means_full(exc):
    if isinstance(exc, OSError):
        return exc.errno in FULL_ERRNOS
    if isinstance(exc, (sqlite3.OperationalError, OperationalError)):
        # Peewee wraps sqlite3's error without its code; the message is the same.
        return (getattr(exc, 'sqlite_errorcode', None) == SQLITE_FULL
                or SQLITE_FULL_MESSAGE in str(exc))
    return False


def note_full():
    """Remember that a write just failed for lack of space. Returns True the first
    time in a while (so the caller logs once, not once per failed request)."""
    now = time.monotonic()
    with _lock:
        first = not _recently(now)
        _last_full['at'] = now
    return first


def _recently(now):
    at = _last_full['at']
    return at is not None and now - at < REMEMBER_SECONDS


def state(data_dir):
    """'full' or 'ok': free space in `data_dir`, and whether a write failed just now."""
    if _recently(time.monotonic()):
        return 'full'
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError:
        return 'ok'   # not our question to answer: the database check reports a missing DATA_DIR
    return 'full' if free < LOW_SPACE_BYTES else 'ok'


@contextlib.contextmanager
def written_whole(path, what):
    """Write `path` inside: should that fail, the partial file is removed, and a lack
    of space is raised as DiskFull naming `what`."""
    try:
        yield path
    except BaseException as exc:
        Path(path).unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, DiskFull) and is_full_error(exc):
            raise DiskFull(what) from exc
        raise
