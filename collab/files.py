"""Uploaded files on disk: DATA_DIR/files/<generated name>, never the user's file name."""
import os
import secrets
from pathlib import Path

from collab.errors import ApiError

MAX_FILE_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
# What file systems allow one name (ext4, XFS, APFS, ...): 255 bytes, not characters.
MAX_NAME_BYTES = 255
MAX_SUFFIX_BYTES = 16   # a longer "extension" is part of the name, cut like the rest


def files_dir(settings):
    path = Path(settings.data_dir) / 'files'
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_for(settings, stored_name):
    return files_dir(settings) / stored_name


def save_stream(settings, stream, limit=MAX_FILE_BYTES, too_large=None):
    """Copy an upload to a new generated name; (stored_name, size). Past `limit`,
    raises `too_large` (by default a 413 that names the file size limit)."""
    stored_name = secrets.token_hex(16)
    target = path_for(settings, stored_name)
    size = 0
    try:
        with open(target, 'xb') as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large or ApiError(413, f'file is larger than {limit} bytes',
                                                'file')
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
    return shorten(name) or 'file'


def shorten(name, max_bytes=MAX_NAME_BYTES):
    """`name` in at most `max_bytes` of UTF-8, cut on a character boundary and keeping
    a short extension: `name` itself when it fits."""
    encoded = name.encode('utf-8', 'surrogatepass')
    if len(encoded) <= max_bytes:
        return name
    stem, dot, suffix = name.rpartition('.')
    suffix = f'.{suffix}'.encode('utf-8', 'surrogatepass')
    if not (dot and stem and len(suffix) <= MAX_SUFFIX_BYTES):
        stem, suffix = name, b''
    room = max_bytes - len(suffix)
    # 'ignore' drops only the bytes of the last character the cut split.
    return (stem.encode('utf-8', 'surrogatepass')[:room] + suffix).decode('utf-8', 'ignore')
