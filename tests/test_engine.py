"""Collab's Huey keeps Huey's own API working: revocation checks by id and by
task class, immediate mode on and off, ids for every kind of task."""
import uuid

import pytest

from collab.jobs.engine import JobTask
from collab.jobs.instance import huey
from tests.sample_tasks import never_due, succeed

pytestmark = pytest.mark.usefixtures('queue_backend')   # on SQLite and Redis


def test_a_revoked_job_is_revoked_by_its_id_as_in_huey(app):
    result = succeed(1)
    assert not huey.is_revoked(result.id)
    result.revoke()
    assert huey.is_revoked(result.id) and result.is_revoked()


def test_a_revoked_task_class_is_revoked_as_in_huey(app):
    assert not succeed.is_revoked()
    succeed.revoke()
    try:
        assert succeed.is_revoked() and huey.is_revoked(succeed.task_class)
    finally:
        succeed.restore()
    assert not succeed.is_revoked()


def test_leaving_immediate_mode_goes_back_to_the_configured_storage(app):
    storage = huey.storage
    huey.immediate = True
    try:
        assert succeed(2)() == 2 and huey.storage is not storage
    finally:
        huey.immediate = False
    assert huey.storage is storage
    assert succeed(3).id   # enqueued on the configured queue again
    assert huey.storage.queue_size() == 1


def test_every_task_gets_time_ordered_ids_periodic_ones_too(app):
    periodic = never_due.task_class()
    for task in (succeed.s(1), periodic):
        assert isinstance(task, JobTask)
        assert uuid.UUID(task.id).version == 7
