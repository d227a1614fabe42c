"""Three consumers, a periodic task every minute: it runs exactly once per minute."""
import pytest

from tests.support import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(330),
              pytest.mark.env(TASK_MODULES='tests.sample_tasks')]

SLOTS = 2


def test_three_consumers_run_a_periodic_task_once_per_slot(app, settings, workers, worker_env):
    worker_env['HUEY_WORKERS'] = '2'
    for _ in range(3):
        workers()
    runs = settings.data_dir / 'minute-runs.log'

    def slots():
        return runs.read_text().split() if runs.exists() else []
    wait_until(lambda: len(set(slots())) >= SLOTS, timeout=300, interval=1,
               message=f'{SLOTS} minutes of runs')
    recorded = slots()
    assert len(recorded) == len(set(recorded)), f'a minute ran more than once: {recorded}'
    minutes = sorted(int(slot) for slot in recorded)
    assert minutes == list(range(minutes[0], minutes[0] + len(minutes))), 'a minute was skipped'
