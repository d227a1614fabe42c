"""Periodic slots missed while everything was down run once at start-up, not once
per consumer; a first start ever catches up nothing."""
import time
from datetime import timedelta

import pytest

from collab.jobs.instance import huey
from collab.jobs.slots import latest_slot, schedule_start
from tests.sample_tasks import HOURLY
from tests.support import wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.env(TASK_MODULES='tests.sample_tasks', CATCH_UP_PERIODIC='1')]


def lines(path):
    return path.read_text().split() if path.exists() else []


def latest_hourly_slot():
    return f'{latest_slot(HOURLY, huey._get_timestamp()):%Y-%m-%dT%H:%M}'


def ran_before(hours):
    """As if consumers had first run the sample schedules this many hours ago."""
    since = huey._get_timestamp() - timedelta(hours=hours)
    for name in ('hourly_catching_up', 'hourly_skipping_missed'):
        schedule_start(huey, f'tests.sample_tasks.{name}', since)


def test_a_missed_slot_runs_once_however_many_consumers_start(app, settings, workers):
    ran_before(hours=3)
    missed = {latest_hourly_slot()}
    # Slots from this minute on come due while the consumers run: the scheduler
    # starts them on time, catch-up or not (the test may run at :00).
    first_live = f'{huey._get_timestamp():%Y-%m-%dT%H:%M}'
    caught_up = settings.data_dir / 'catch-up-runs.log'
    skipped = settings.data_dir / 'skip-runs.log'
    consumers = [workers() for _ in range(3)]
    missed.add(latest_hourly_slot())   # the hour may turn while they start
    wait_until(lambda: lines(caught_up), timeout=30,
               message=f'the missed slot to run ({consumers[0].output()[-2000:]})')
    wait_until(lambda: consumers[0].output().count(' started: ') >= 3, timeout=60,
               message='every consumer to start')
    time.sleep(2)   # room for a second run to show up, if there were one
    runs = lines(caught_up)
    assert runs and len(runs) == len(set(runs)) and set(runs) <= missed, runs   # once per slot
    assert all(slot >= first_live for slot in lines(skipped)), lines(skipped)   # nothing caught up


def test_a_first_start_catches_up_nothing(app, settings, workers):
    first_live = f'{huey._get_timestamp():%Y-%m-%dT%H:%M}'
    caught_up = settings.data_dir / 'catch-up-runs.log'
    consumers = [workers() for _ in range(2)]
    wait_until(lambda: consumers[0].output().count(' started: ') >= 2, timeout=60,
               message='both consumers to start')
    time.sleep(2)   # room for a catch-up run to show up, if there were one
    # Only a slot that came due while they ran (the test may run at :00).
    assert all(slot >= first_live for slot in lines(caught_up)), lines(caught_up)
