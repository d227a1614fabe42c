"""Uploaded files on disk: DATA_DIR/files/<generated name>, never the user's file name."""
import os
import secrets
from pathlib import Path

from collab.errors import ApiError

MAX_FILE_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024


def files_dir(settings):
    path = Path(settings.data_dir) / 'files'
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_for(settings, stored_name):
    return files_dir(settings) / stored_name


def save_stream(settings, stream, limit=MAX_FILE_BYTES):
    """Copy an upload to a new generated name; (stored_name, size). 413 past `limit`."""
    stored_name = secrets.token_hex(16)
    target = path_for(settings, stored_name)
    size = 0
    try:
        with open(target, 'xb') as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ApiError(413, f'file is larger than {limit} bytes', 'file')
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return stored_name, size


def remove(settings, stored_name):
    try:
        os.unlink(path_for(settings, stored_name))
    except FileNotFoundError:
        pass


def clean_name(name):
    """A display name without directories or control characters."""
    name = os.path.basename((name or '').replace('\\', '/'))
    name = ''.join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or 'file'
