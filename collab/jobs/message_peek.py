"""Reading a field of a stored Huey message without running any of it.

A message is a pickle (then signed, possibly compressed): unpickling it runs
whatever its arguments name, which must wait until the signature is checked
by the task's deserialization. The storage needs only the priority, so every
class the pickle names but Huey's Message is read as an inert stand-in.
"""
import io
import pickle
import zlib

from huey.registry import Message


class _Opaque:
    """Stands for every object the pickle names but Message; accepts all it is given."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return self

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    append = extend = add = __setstate__


class _MessageReader(pickle.Unpickler):
    def find_class(self, module, name):
        return Message if (module, name) == ('huey.registry', 'Message') else _Opaque


def peek_priority(data):
    """The priority inside a stored Huey message (pickled, possibly signed or
    compressed), or 0 when it cannot be read."""
    try:
        if data[:1] in (b'\x1f', b'\x78'):
            data = zlib.decompress(data, wbits=47)   # gzip or zlib, as Huey compresses
        # The pickle ends before the signature, which load() leaves unread.
        message = _MessageReader(io.BytesIO(data)).load()
    except Exception:
        return 0
    priority = message.priority if isinstance(message, Message) else None
    return priority if isinstance(priority, (int, float)) else 0
