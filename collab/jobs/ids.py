"""Job ids that grow with time."""
import os
import time
import uuid


def time_ordered_id():
    """A task id in the UUIDv7 layout: 48 bits of Unix time in ms, then 74 random bits.

    The ledger indexes jobs by id: with random ids (uuid4) every new job lands
    on a random page of that index, a page write per job; ids that grow with
    time are added at its end, as seq is.
    """
    random_bits = int.from_bytes(os.urandom(10), 'big')
    value = ((time.time_ns() // 1_000_000) << 80 | 0x7 << 76          # time, version 7
             | (random_bits >> 62 & 0xFFF) << 64 | 0b10 << 62         # rand_a, variant
             | random_bits & (1 << 62) - 1)                           # rand_b
    return str(uuid.UUID(int=value))
