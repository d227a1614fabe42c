"""What the claiming storages share: a claimed message, and Huey's revoke flags."""
from typing import NamedTuple

CLAIM_PREFIX = 'claimed:'
# Huey's revoke flags: 'r:<task id>' (one task) and 'rt:<task name>' (every task of a kind).
REVOKE_PREFIXES = ('r:', 'rt:')
_REVOKE_PREFIXES_BYTES = tuple(prefix.encode() for prefix in REVOKE_PREFIXES)


class Claim(NamedTuple):
    """A claimed message. `revocations`: whether any revoke flag existed when it was
    claimed (None: not known, check as usual). `more`: whether other messages
    were waiting behind it (another worker may be woken for them)."""
    token: object
    data: bytes
    revocations: bool | None = None
    more: bool = False


NOTHING = Claim(None, None)


def is_revoke_key(key):
    """Whether a result-store key (str or bytes, as Huey's callers pass) is a revoke flag."""
    return key.startswith(_REVOKE_PREFIXES_BYTES if isinstance(key, bytes) else REVOKE_PREFIXES)
