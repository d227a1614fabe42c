"""DATA_DIR is its owner's only: directories 0700, files 0600.

It holds the database, the queue, the uploads and the secret key. Every
process sets the umask at start, so what it creates is private from the
first byte; `secure_data_dir` also tightens what an older version (or a copy)
left readable by others, once at start, and logs what it changed.
"""
import logging
import os
import stat

log = logging.getLogger('collab.files')

UMASK = 0o077
DIR_MODE, FILE_MODE = 0o700, 0o600


def restrict_umask():
    """New files 0600, new directories 0700, in this process and its children."""
    os.umask(UMASK)


def secure_data_dir(data_dir):
    """Set the umask, then take group and other access off everything under
    data_dir (symbolic links are left alone: they may point outside it).
    Returns (directories, files) changed."""
    restrict_umask()
    changed = {'directories': 0, 'files': 0}
    _tighten(data_dir, DIR_MODE, changed)
    for root, dirs, files in os.walk(data_dir):
        for name in dirs:
            _tighten(os.path.join(root, name), DIR_MODE, changed)
        for name in files:
            _tighten(os.path.join(root, name), FILE_MODE, changed)
    if changed['directories'] or changed['files']:
        log.warning('DATA_DIR %s was readable by others: made %d directories 0700 and %d '
                    'files 0600', data_dir, changed['directories'], changed['files'])
    return changed['directories'], changed['files']


def _tighten(path, mode, changed):
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
            return
        os.chmod(path, mode)
    except FileNotFoundError:   # removed meanwhile (another process's temporary file)
        return
    except OSError as exc:      # not ours to change (another owner): say so, start anyway
        log.warning('cannot make %s private: %s', path, exc.strerror)
        return
    changed['directories' if stat.S_ISDIR(info.st_mode) else 'files'] += 1
