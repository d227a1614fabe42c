"""The system page's queue figures with a real consumer: a retry waiting for its
delay sits in the queue's schedule storage, yet it is one retrying job — not
also a scheduled one (the page once said "3 scheduled · 3 retrying" for the
same three jobs while the Scheduled tab said 0)."""
import re

from collab.jobs.instance import huey
from tests.sample_tasks import always_fail, succeed
from tests.support import sign_up, wait_for_state, wait_until

RETRY_DELAY = 300   # the retries stay in the schedule for the whole test


def enqueue_failing(key):
    task = always_fail.s(key)
    task.retry_delay = RETRY_DELAY
    huey.enqueue(task)
    return task.id


def figures(page):
    return dict((name, int(n.replace(',', ''))) for n, name in
                re.findall(r'<span data-figure="\w+">([\d,]+) (\w+)</span>', page))


def tab_count(page, tab):
    return int(re.search(rf'data-tab="{tab}"[^>]*>[^<]*<span class="count">([\d,]+)', page).group(1))


def test_retrying_jobs_are_counted_once_and_not_as_scheduled(client, consumer):
    admin = sign_up(client, 'admin@example.com', admin=True).headers
    retrying = [enqueue_failing(f'figures-{n}') for n in range(3)]
    for job_id in retrying:
        wait_for_state(job_id, 'retrying')
    later = succeed.schedule((1,), delay=RETRY_DELAY)
    wait_for_state(later.id, 'scheduled')
    wait_until(lambda: huey.storage.schedule_size() == 4, message='4 messages in the schedule')

    page = client.get('/admin/system', headers=admin).get_data(as_text=True)
    shown = figures(page)
    assert shown['scheduled'] == 1 and shown['retrying'] == 3
    assert not re.search(r'\b4\s+scheduled\b', page)   # the schedule storage's size, as "scheduled"
    jobs_page = client.get('/admin/jobs', headers=admin).get_data(as_text=True)
    assert (tab_count(jobs_page, 'scheduled'), tab_count(jobs_page, 'retrying')) == (1, 3)
    # The storage's own figure is shown for what it is: every message waiting for its time.
    assert '4 waiting for their time (scheduled jobs and delayed retries)' in page
