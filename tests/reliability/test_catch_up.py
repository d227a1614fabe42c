"""Periodic slots missed while everything was down run once at start-up, not once per consumer."""
import time

import pytest

from collab.jobs.instance import huey
from collab.jobs.slots import latest_slot
from tests.sample_tasks import HOURLY
from tests.support import wait_until

pytestmark = [pytest.mark.slow,
              pytest.mark.env(TASK_MODULES='tests.sample_tasks', CATCH_UP_PERIODIC='1')]


def lines(path):
    return path.read_text().split() if path.exists() else []


def latest_hourly_slot():
    return f'{latest_slot(HOURLY, huey._get_timestamp()):%Y-%m-%dT%H:%M}'


def test_a_missed_slot_runs_once_however_many_consumers_start(app, settings, workers):
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
