"""Job progress: `report_progress(done, total, note)` from a running task is
stored (throttled: a tight loop writes a few rows a second, and its last value
always), returned as `progress` in the job JSON, and sent to open dashboards live."""
import pytest

from collab.db import database
from collab.jobs import report_progress
from collab.jobs.models import JobProgress
from tests.job_log_tasks import count_up, step_slowly
from tests.sample_tasks import succeed
from tests.support import Listener, ThreadedServer, sign_in, sign_up, wait_for_state, wait_until


@pytest.fixture
def admin(client):
    return sign_up(client, 'root@example.com', admin=True)


def count_writes():
    """Count every row written to jobprogress, with SQLite triggers (the real writes)."""
    database.execute_sql('CREATE TABLE IF NOT EXISTS progress_writes (done REAL)')
    for event in ('INSERT', 'UPDATE'):
        database.execute_sql(f"""CREATE TRIGGER IF NOT EXISTS progress_{event.lower()}
            AFTER {event} ON jobprogress BEGIN
            INSERT INTO progress_writes VALUES (NEW.done); END""")
    return lambda: [done for done, in database.execute_sql('SELECT done FROM progress_writes')]


def test_a_tight_loop_of_reports_writes_a_few_rows_a_second_and_its_last_value(app, consumer):
    writes = count_writes()
    job_id = count_up(100_000, 'counting').id
    job = wait_for_state(job_id, 'succeeded')

    seconds = job.duration_ms / 1000
    assert 1 <= len(writes()) <= 2 + 5 * seconds, (len(writes()), seconds)
    assert writes()[-1] == 100_000
    row = JobProgress.get(JobProgress.job_id == job_id)
    assert (row.done, row.total, row.note) == (100_000, 100_000, 'counting')


def test_a_slow_job_writes_each_report_about_a_quarter_second_apart(app, consumer):
    writes = count_writes()
    job_id = step_slowly(8, 0.1).id
    wait_for_state(job_id, 'succeeded')
    # 8 reports over ~0.8 s: throttled to about one each 0.25 s, plus the last one.
    assert 3 <= len(writes()) <= 6, writes()
    assert writes()[-1] == 8


def test_progress_is_in_the_job_json_of_the_list_and_the_detail(client, admin, consumer):
    reported = count_up(10, 'ten').id
    silent = succeed(1).id
    wait_for_state(reported, 'succeeded')
    wait_for_state(silent, 'succeeded')

    detail = client.get(f'/admin/api/jobs/{reported}', headers=admin.headers).get_json()
    assert detail['progress'] == {'done': 10, 'total': 10, 'note': 'ten'}
    listed = {j['id']: j for j in client.get('/admin/api/jobs', headers=admin.headers)
              .get_json()['jobs']}
    assert listed[reported]['progress'] == {'done': 10, 'total': 10, 'note': 'ten'}
    assert listed[silent]['progress'] is None
    page = client.get('/admin/jobs', headers=admin.headers).get_data(as_text=True)
    assert '<progress value="10" max="10">' in page


def test_report_progress_outside_a_job_does_nothing_and_bad_values_are_refused(app):
    assert report_progress(1, 2) is False
    assert JobProgress.select().count() == 0
    for bad in [(-1, 10), ('1', 10), (1, True)]:
        with pytest.raises(ValueError, match='must be a number'):
            report_progress(*bad)


def test_progress_reaches_an_open_dashboard_live_while_the_job_runs(app, client, admin, consumer):
    server = ThreadedServer(app).start()
    listener = Listener(server.url, admin.token)
    try:
        job_id = step_slowly(6, 0.5).id

        def progress_while_running():
            job = client.get(f'/admin/api/jobs/{job_id}', headers=admin.headers).get_json()
            running = job.get('state') == 'running'   # (a 404 until the ledger has it)
            return job['progress'] if running and job['progress'] else None
        first = wait_until(progress_while_running, timeout=10, message='progress while running')
        listener.messages.clear()
        listener.wait_for(lambda m: m['type'] == 'jobs', 'a jobs event after the first report')
        later = wait_until(lambda: (p := progress_while_running()) and p['done'] > first['done']
                           and p, timeout=10, message='more progress while running')
        assert later['total'] == 6 and later['note'] == f'step {later["done"]}'
        page = client.get(f'/admin/jobs/{job_id}?partial=1', headers=admin.headers).get_data(
            as_text=True)
        assert '<progress value=' in page and 'max="6"' in page
    finally:
        listener.close()
        server.stop()


def test_an_exports_parts_report_on_its_job_and_to_the_members_pages(app, client, team, consumer):
    from collab.models import Export
    server = ThreadedServer(app).start()
    bob = Listener(server.url, team.bob['Authorization'].split()[1])
    try:
        started = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann).json
        url = f"/api/exports/{started['export_id']}"
        wait_until(lambda: client.get(url, headers=team.ann).json['state'] == 'ready',
                   timeout=15, message='export ready')
        events = bob.wait_for(lambda m: m['type'] == 'export.progress'
                              and m['progress']['done'] == 3, 'the last part reported')
        assert events['export_id'] == started['export_id']
        reports = [m['progress'] for m in bob.messages if m['type'] == 'export.progress']
        # One report per part, never going back (parts ending together may both count 3).
        dones = [r['done'] for r in reports]
        assert len(reports) == 3 and dones == sorted(dones) and dones[-1] == 3
        assert reports[-1] == {'done': 3, 'total': 3, 'note': '3 of 3 parts done'}
        wait_for_state(started['job_id'], 'succeeded')
        row = JobProgress.get(JobProgress.job_id == started['job_id'])
        assert (row.done, row.total) == (3, 3)

        # The export's line on the workspace page shows it while the export runs.
        Export.update(state=Export.RUNNING).where(Export.id == started['export_id']).execute()
        sign_in(client, 'ann@example.com')
        page = client.get(f'/w/{team.ws_id}').get_data(as_text=True)
        assert f'data-export-id="{started["export_id"]}"' in page
        assert 'data-export-progress value="3" max="3"' in page and '3 of 3 parts done' in page
    finally:
        bob.close()
        server.stop()
