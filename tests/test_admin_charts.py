"""The dashboard's charts (server-drawn SVG with axes, labels and a legend):
throughput and failures per window, on the system page and per task on the
task's own page, and queue wait (enqueue → start, p50/p95)."""
import re
from datetime import timedelta

from collab.admin import charts
from collab.fields import utcnow
from collab.jobs.models import Job
from tests.sample_tasks import always_fail, succeed
from tests.support import sign_up, wait_for_state

SUCCEED, FAIL = 'tests.sample_tasks.succeed', 'tests.sample_tasks.always_fail'


def admin_headers(client):
    return sign_up(client, 'admin@example.com', admin=True).headers


def svgs(page):
    return re.findall(r'<svg class="chart".*?</svg>', page, re.S)


def assert_labelled(chart, *legend):
    assert chart.count('class="axis"') == 2                       # x and y axes
    assert 'time (UTC)' in chart and re.search(r'class="tick"[^>]*>\d\d:\d\d<', chart)
    for label in legend:
        assert f'>{label}</text>' in chart and f'data-series="{label}"' in chart


def test_a_task_page_charts_only_that_task(client, consumer):
    admin = admin_headers(client)
    ok = [succeed(n).id for n in range(3)]
    failing = always_fail('charts').id
    for job_id in ok:
        wait_for_state(job_id, 'succeeded')
    wait_for_state(failing, 'failed')
    page = client.get(f'/admin/tasks/{SUCCEED}', headers=admin).get_data(as_text=True)
    hour = page[page.index('data-window="hour"'):page.index('data-window="day"')]
    assert '(3 succeeded, 0 failed)' in hour
    throughput, wait = svgs(hour)
    assert_labelled(throughput, 'succeeded', 'failed')
    assert 'jobs / 5 minutes' in throughput
    assert_labelled(wait, 'p50', 'p95')
    assert 'wait (s)' in wait and '<polyline' in wait
    assert re.search(r'data-wait="p50">[\d.]+ (ms|s)<', hour)
    failed_page = client.get(f'/admin/tasks/{FAIL}', headers=admin).get_data(as_text=True)
    assert '(0 succeeded, 1 failed)' in failed_page


def test_the_system_page_links_each_task_to_its_page_and_labels_its_charts(client, consumer):
    admin = admin_headers(client)
    wait_for_state(succeed(1).id, 'succeeded')
    page = client.get('/admin/system', headers=admin).get_data(as_text=True)
    assert f'href="/admin/tasks/{SUCCEED}"' in page
    assert len(svgs(page)) == 4   # throughput and wait, last hour and last day
    for chart in svgs(page):
        assert 'time (UTC)' in chart and 'class="legend-item"' in chart


def test_an_unknown_task_has_no_page(client, app):
    response = client.get('/admin/tasks/no.such.task', headers=admin_headers(client))
    assert response.status_code == 404


def test_queue_wait_percentiles_count_first_attempts_from_their_due_time(app):
    now = utcnow()
    for n, wait in enumerate([1, 2, 3, 4, 10]):
        start = now - timedelta(minutes=2)
        Job.create(job_id=f'w{n}', task='t.w', state='succeeded', attempts=1,
                   enqueued_at=start - timedelta(seconds=wait), started_at=start, finished_at=start)
    # A scheduled job waits from its time; a retried job's start is not queue wait.
    start = now - timedelta(minutes=2)
    Job.create(job_id='sched', task='t.w', state='succeeded', attempts=1,
               enqueued_at=start - timedelta(hours=1), scheduled_for=start - timedelta(seconds=3),
               started_at=start, finished_at=start)
    Job.create(job_id='retried', task='t.w', state='succeeded', attempts=3,
               enqueued_at=start - timedelta(hours=1), started_at=start, finished_at=start)
    wait = charts.queue_wait('hour', task='t.w')
    assert (wait['p50_s'], wait['p95_s']) == (3.0, 10.0)
    assert sum(b['count'] for b in wait['buckets']) == 6
    assert charts.queue_wait('hour', task='other')['p50_s'] is None
