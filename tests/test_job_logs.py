"""Per-job logs: what a task logs on its worker thread is kept with its attempt,
cut at JOB_LOG_BYTES with a marker, returned by the job API, found by search,
and pruned with the job. A real consumer runs the tasks (tests/job_log_tasks.py).
"""
import logging
import subprocess
import sys
from datetime import timedelta

import pytest

from collab.db import database
from collab.fields import utcnow
from collab.jobs import job_logs
from collab.jobs.engine import CollabHuey
from collab.jobs.instance import huey
from collab.jobs.job_logs import JobLogHandler
from collab.jobs.ledger import sql
from collab.jobs.ledger.batch import write_batch
from collab.jobs.ledger.events import LogsEmitted
from collab.jobs.models import Job, JobLogChunk
from collab.jobs.prune import prune_jobs
from tests.job_log_tasks import chatty, verbose
from tests.sample_tasks import succeed
from tests.support import ROOT, sign_up, wait_for_state

pytestmark = pytest.mark.usefixtures('db_backend')


@pytest.fixture
def admin(client):
    return sign_up(client, 'root@example.com', admin=True).headers


def run(task_call):
    """Enqueue, wait until it ends, return its id."""
    job_id = task_call.id
    wait_for_state(job_id, 'succeeded', 'failed')
    return job_id


def detail(client, admin, job_id):
    response = client.get(f'/admin/api/jobs/{job_id}', headers=admin)
    assert response.status_code == 200
    return response.get_json()


def test_a_tasks_records_from_every_logger_on_its_thread_are_kept_with_its_attempt(
        client, admin, consumer):
    job_id = run(chatty('zebracorn'))

    logs = detail(client, admin, job_id)['attempts_log'][0]['logs']
    assert [(r['level'], r['logger']) for r in logs] == [
        ('INFO', 'tests.job_log_tasks'), ('WARNING', 'tests.job_log_tasks.part'),
        ('ERROR', 'root'), ('ERROR', 'tests.job_log_tasks')]
    assert logs[0]['message'] == 'starting with zebracorn'
    assert 'from a helper thread' not in str(logs)          # another thread: not the job's
    assert 'debug is below' not in str(logs)
    assert logs[3]['message'].startswith('caught one\nTraceback')
    assert "KeyError: 'missing'" in logs[3]['message']
    assert set(logs[0]) == {'at', 'level', 'logger', 'message'}
    assert logs[0]['at'].endswith('Z')


def test_logs_are_kept_when_another_huey_of_the_process_was_attached_first(consumer):
    """As when Huey's own test suite ran its consumers earlier in this process."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, JobLogHandler)]:
        root.removeHandler(handler)
    other = CollabHuey('another')
    job_logs.attach(other)
    job_logs.attach(huey)
    job_id = run(chatty('again'))
    assert JobLogChunk.select().where(JobLogChunk.job_id == job_id).count() >= 1
    assert other is not None   # kept alive until here: served along with the app's


def test_messages_with_quotes_newlines_non_ascii_and_a_lone_surrogate_read_back_whole(
        client, admin, consumer):
    word = 'naïve "quoted" back\\slash\ttab\nnew line 日本 \U0001f600 \udc80'
    job_id = run(chatty(word))

    logs = detail(client, admin, job_id)['attempts_log'][0]['logs']
    assert logs[0]['message'] == f'starting with {word}'
    assert job_logs.logs_by_attempt(job_id).popitem()[1][0]['message'] == f'starting with {word}'


def test_logs_are_written_with_the_ledgers_batches_not_one_row_per_record(consumer):
    job_id = run(verbose(200, width=10))
    chunks = JobLogChunk.select().where(JobLogChunk.job_id == job_id).count()
    assert 1 <= chunks < 20


def test_a_job_that_logs_nothing_has_no_log_rows_and_an_empty_list(client, admin, consumer):
    job_id = run(succeed(1))
    assert JobLogChunk.select().where(JobLogChunk.job_id == job_id).count() == 0
    assert detail(client, admin, job_id)['attempts_log'][0]['logs'] == []


@pytest.mark.env(JOB_LOG_BYTES='2048')
def test_logs_are_cut_at_job_log_bytes_with_a_marker(client, admin, consumer):
    job_id = run(verbose(100, width=100))   # about 10 KiB

    logs = detail(client, admin, job_id)['attempts_log'][0]['logs']
    kept = logs[:-1]
    assert 15 <= len(kept) <= 20                  # ~2048 bytes of ~107-byte records
    assert [r['message'][:5] for r in kept] == [f'{n:05d}' for n in range(len(kept))]
    assert logs[-1]['level'] == 'WARNING'
    assert 'log cut' in logs[-1]['message'] and '2048 bytes' in logs[-1]['message']


@pytest.mark.env(JOB_LOG_BYTES='0')
def test_job_log_bytes_0_turns_capture_off(client, admin, settings, app):
    """Off: the consumer attaches no handler, and one attached for the same Huey
    earlier in the process (an earlier consumer's) no longer keeps its records."""
    from collab.jobs.runner import ConsumerRunner
    assert settings.job_log_bytes == 0
    job_logs.attach(huey)   # as a consumer with capture on did before
    root = logging.getLogger()
    handlers_before = [h for h in root.handlers if isinstance(h, JobLogHandler)]
    runner = ConsumerRunner(settings, embedded=True)
    runner.start()
    try:
        job_id = run(chatty('silent'))
    finally:
        runner.stop()

    assert [h for h in root.handlers if isinstance(h, JobLogHandler)] == handlers_before
    assert all(ref() is not huey for h in handlers_before for ref in h.hueys)
    assert JobLogChunk.select().count() == 0
    assert detail(client, admin, job_id)['attempts_log'][0]['logs'] == []
    assert Job.get(Job.job_id == job_id).state == 'succeeded'


ROOT_AT_WARNING = """
import logging, sys
from collab.jobs import job_logs
from collab.jobs.instance import huey
logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format='%(levelname)s %(message)s')
job_logs.attach(huey)
job_logs.attach(huey)   # once per process
task_log = logging.getLogger('some.task')
print(task_log.isEnabledFor(logging.INFO),
      sum(isinstance(h, job_logs.JobLogHandler) for h in logging.getLogger().handlers))
task_log.info('an info line')
task_log.warning('a warning line')
"""


@pytest.mark.parametrize('db_backend', ['sqlite'], indirect=True)
def test_a_root_logger_at_warning_lets_info_records_be_made_and_prints_no_more(db_backend):
    """Huey's own consumer leaves the root logger at WARNING: the handler still
    gets a task's INFO records, and stderr shows exactly what it did before."""
    done = subprocess.run([sys.executable, '-c', ROOT_AT_WARNING], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ['True', '1']
    assert done.stderr.splitlines() == ['WARNING a warning line']


def test_search_finds_a_job_by_a_word_in_its_logs(client, admin, consumer):
    found = run(chatty('quokkafish'))
    other = run(chatty('wombatseal'))

    jobs = client.get('/admin/api/jobs?q=quokkafish', headers=admin).get_json()['jobs']
    assert [j['id'] for j in jobs] == [found]
    jobs = client.get('/admin/api/jobs', query_string={'q': 'starting with wombatseal',
                                                       'state': 'succeeded'},
                      headers=admin).get_json()['jobs']
    assert [j['id'] for j in jobs] == [other]
    page = client.get('/admin/jobs?q=quokkafish', headers=admin).get_data(as_text=True)
    assert found in page and other not in page


def test_the_logs_are_shown_in_the_jobs_detail_page(client, admin, consumer):
    job_id = run(chatty('<b>bold</b>'))
    page = client.get(f'/admin/jobs/{job_id}', headers=admin).get_data(as_text=True)
    assert 'data-logs="1"' in page
    assert 'starting with &lt;b&gt;bold&lt;/b&gt;' in page
    assert 'tests.job_log_tasks.part' in page


def test_logs_are_pruned_with_their_job(settings, consumer):
    old, kept = run(chatty('old')), run(chatty('kept'))
    Job.update(finished_at=utcnow() - timedelta(days=settings.job_retention_days + 1)).where(
        Job.job_id == old).execute()

    assert prune_jobs(settings) == 1
    assert JobLogChunk.select().where(JobLogChunk.job_id == old).count() == 0
    assert JobLogChunk.select().where(JobLogChunk.job_id == kept).count() >= 1


def test_deleting_a_jobs_record_deletes_its_logs(client, admin, consumer):
    job_id = run(chatty('gone'))
    response = client.delete(f'/admin/api/jobs/{job_id}', headers=admin)
    assert response.status_code == 200
    assert JobLogChunk.select().where(JobLogChunk.job_id == job_id).count() == 0


def test_record_times_stored_as_milliseconds_seconds_or_iso_text_read_back_alike(app):
    """Rows store each record's time as Unix milliseconds; rows of older versions,
    as Unix seconds or as ISO 8601 text, read back the same."""
    started = utcnow()
    for at in ('1796151242665', '1796151242.6651', '"2026-12-01T18:54:02.665Z"'):
        JobLogChunk.create(job_id='j' * 32, attempt_started=started,
                           records=f'[[{at},"INFO","a","line"]]')
    logs = job_logs.logs_by_attempt('j' * 32)[started]
    assert [r['at'] for r in logs] == ['2026-12-01T18:54:02.665Z'] * 3


def test_a_batch_with_more_log_rows_than_one_statement_holds_writes_every_row(app):
    """The writer puts a batch's log rows in statements of LOG_ROWS_PER_INSERT rows:
    a batch of more attempts than that keeps every record, each with its attempt."""
    count = sql.LOG_ROWS_PER_INSERT * 2 + 1
    started = utcnow()
    events = []
    for k in range(count):
        attempt = job_logs.AttemptLog(f'{k:032d}', started, 65536)
        attempt.add(1796151242.665, 'INFO', 'a', f'line {k}')
        events.append(LogsEmitted(attempt.job_id, attempt))
    write_batch(database.obj, events)

    assert JobLogChunk.select().count() == count
    for k in (0, sql.LOG_ROWS_PER_INSERT, count - 1):
        logs = job_logs.logs_by_attempt(f'{k:032d}')[started]
        assert [(r['at'], r['message']) for r in logs] == [('2026-12-01T18:54:02.665Z',
                                                            f'line {k}')]
