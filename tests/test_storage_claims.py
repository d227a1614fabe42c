"""The claiming storages on a real SQLite file and a real redis-server: what
they keep apart from stock Huey's storages (revoke flags, the schedule's move
to the queue) must still read as Huey's do."""
import datetime

import pytest
from huey import MemoryHuey
from huey.serializer import SignedSerializer

from collab.jobs.claims import is_revoke_key
from collab.jobs.redis_storage import ClaimingRedisStorage
from collab.jobs.sqlite_storage import ClaimingSqliteStorage

PAST = datetime.datetime(2000, 1, 1)
NOW = datetime.datetime(2001, 1, 1)


@pytest.fixture
def sqlite_storage(tmp_path):
    storage = ClaimingSqliteStorage(name='collab', filename=str(tmp_path / 'queue.db'),
                                    fsync=False, timeout=10)
    storage.claimer = 'consumer-1'
    yield storage
    storage.close()


@pytest.fixture
def redis_storage(redis_url):
    storage = ClaimingRedisStorage(name='collab', url=redis_url)
    storage.claimer = 'consumer-1'
    yield storage
    storage.pool.disconnect()


@pytest.fixture(params=['sqlite', 'redis'])
def storage(request):
    return request.getfixturevalue(f'{request.param}_storage')


def huey_on(storage, **serializer_options):
    """A Huey writing messages as the project's does (signed) into `storage`."""
    huey = MemoryHuey('collab', utc=True, serializer=SignedSerializer(
        secret='secret', salt='collab.tasks', **serializer_options))
    huey.storage = storage
    return huey


def schedule(huey, task, *args, priority=None):
    """Put a task in the schedule, due at PAST, as a worker does with one not due yet."""
    message = task.s(*args, priority=priority)
    message.eta = PAST
    huey.add_schedule(message)
    return message


def claimed_order(storage):
    order = []
    while (claim := storage.claim()).data is not None:
        order.append(claim.data)
    return order


# ------------------------------------------------------------ the schedule's move to the queue

@pytest.mark.parametrize('compression', [False, True])
def test_a_due_scheduled_task_keeps_its_priority(sqlite_storage, compression):
    huey = huey_on(sqlite_storage, compression=compression)
    task = huey.task()(lambda n: n)
    plain = task(0)
    later = [schedule(huey, task, n, priority=priority)
             for n, priority in ((1, None), (2, 5), (3, 1))]
    assert sqlite_storage.move_due_to_queue(NOW) == 3
    ran = [huey.deserialize_task(data).id for data in claimed_order(sqlite_storage)]
    assert ran == [later[1].id, later[2].id, plain.id, later[0].id]


def test_a_scheduled_message_that_cannot_be_read_still_moves(sqlite_storage):
    sqlite_storage.add_to_schedule(b'not a message', PAST)
    sqlite_storage.add_to_schedule(b'\x80\x05 truncated pickle', PAST)
    assert sqlite_storage.move_due_to_queue(NOW) == 2
    assert claimed_order(sqlite_storage) == [b'not a message', b'\x80\x05 truncated pickle']


def test_reading_a_priority_runs_none_of_the_message(sqlite_storage):
    huey = huey_on(sqlite_storage)
    task = huey.task()(lambda arg: arg)
    task(1)
    # Unpickling this argument would call Explosive.go_off.
    schedule(huey, task, Explosive(), priority=4)
    [plain], [explosive] = sqlite_storage.enqueued_items(), sqlite_storage.scheduled_items()
    assert sqlite_storage.move_due_to_queue(NOW) == 1
    assert claimed_order(sqlite_storage) == [explosive, plain]
    assert not Explosive.went_off


class Explosive:
    went_off = False

    def __reduce__(self):
        return (Explosive.go_off, ())

    @staticmethod
    def go_off():
        Explosive.went_off = True
        return Explosive


# ------------------------------------------------------------ revoke flags are results too

def test_revoke_flags_count_in_the_result_store(storage):
    storage.put_data('r:task-1', b'flag')
    storage.put_data('rt:tasks.kind', b'flag')
    storage.put_data('task-2', b'result', is_result=True)
    assert storage.result_store_size() == 3
    assert storage.result_items() == {'r:task-1': b'flag', 'rt:tasks.kind': b'flag',
                                      'task-2': b'result'}
    storage.flush_results()
    assert storage.result_store_size() == 0 and storage.result_items() == {}


@pytest.mark.parametrize('key', [b'k1', b'r:task-1', 'r:task-2', b'rt:tasks.kind'])
def test_bytes_and_str_keys_both_work(storage, key):
    storage.put_data(key, b'v1')
    assert storage.has_data_for_key(key)
    assert storage.peek_data(key) == b'v1'
    assert storage.peek_many([key]) == {key: b'v1'}
    assert storage.pop_data(key) == b'v1'
    assert not storage.has_data_for_key(key)
    storage.put_data(key, b'v2')
    assert storage.delete_data(key)


def test_revoke_keys_are_told_apart_as_bytes_or_str():
    assert is_revoke_key('r:1') and is_revoke_key(b'r:1') and is_revoke_key(b'rt:tasks.x')
    assert not is_revoke_key('result') and not is_revoke_key(b'result')
