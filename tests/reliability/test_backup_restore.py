"""`python run.py backup` while 500 jobs flow through a real `python run.py`, then
`python run.py restore` into a new DATA_DIR and the server started on it.

The jobs are this module's `record_effect` (the servers load it through
TASK_MODULES): each one is accepted in the transaction that writes its
`BackupAccepted` row, through the outbox, as an API write accepts its jobs,
and writes its effect keyed by its job id. A job whose effect committed while
its claim was still held at the snapshot is delivered again after a restore,
as after a crash (delivery is at least once); the key makes the second
delivery a no-op, recorded in `BackupRedelivery`.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest
from peewee import CharField, IntegerField

from collab.jobs.instance import huey
from collab.models import BaseModel
from collab.transactions import writing
from tests.support import ROOT, LiveServer, wait_until

pytestmark = pytest.mark.slow

JOBS = 500
MODULE = 'tests.reliability.test_backup_restore'
FINAL = ('succeeded', 'failed', 'revoked', 'expired')


class BackupAccepted(BaseModel):
    n = IntegerField(unique=True)


class BackupEffect(BaseModel):
    job_id = CharField(max_length=64, unique=True)
    n = IntegerField()


class BackupRedelivery(BaseModel):
    job_id = CharField(max_length=64)


MODELS = [BackupAccepted, BackupEffect, BackupRedelivery]


@huey.task(context=True)
def record_effect(n, task=None):
    time.sleep(0.02)   # some jobs are running whenever the snapshot is taken
    with writing():
        if BackupEffect.select().where(BackupEffect.job_id == task.id).exists():
            BackupRedelivery.create(job_id=task.id)
        else:
            BackupEffect.create(job_id=task.id, n=n)


# Runs in a process of its own, with the server's environment: 500 writes, each
# accepting its job in the same transaction, as a request does.
PRODUCER = f'''
import time
import tasks
from collab.db import database
from collab.jobs import outbox
from collab.settings import Settings
from collab.startup import prepare
from collab.transactions import writing
from {MODULE} import JOBS, MODELS, BackupAccepted, record_effect

settings = Settings.from_env()
prepare(settings)
tasks.configure(settings)
database.create_tables(MODELS, safe=True)
outbox.dispatcher.start()
for n in range(JOBS):
    with writing():
        BackupAccepted.create(n=n)
        outbox.put(record_effect.s(n))
    outbox.dispatcher.wake()
    time.sleep(0.01)   # a steady flow, so that the backup lands in the middle of it
outbox.dispatcher.flush()
'''


def run_py(data_dir, *args, env=None, stdin=''):
    environ = {**os.environ, 'DATA_DIR': str(data_dir), 'SECRET_KEY': '', **(env or {})}
    return subprocess.run([sys.executable, 'run.py', *args], cwd=ROOT, env=environ, input=stdin,
                          capture_output=True, text=True, timeout=60)


def rows(db_path, sql, params=()):
    with closing(sqlite3.connect(f'file:{db_path}?mode=ro', uri=True, timeout=10)) as conn:
        return conn.execute(sql, params).fetchall()


def column(db_path, sql, params=()):
    return {row[0] for row in rows(db_path, sql, params)}


def record_effect_jobs(db_path):
    """{job id: (state, attempts)} of this module's jobs in a ledger."""
    return {job_id: (state, attempts) for job_id, state, attempts in rows(
        db_path, "SELECT job_id, state, attempts FROM job WHERE task LIKE '%record_effect'")}


def server_on(data_dir):
    # SECRET_KEY empty: the key is generated into DATA_DIR, so the snapshot must carry it.
    return LiveServer(data_dir, modules=(MODULE,), env={'SECRET_KEY': '', 'HUEY_WORKERS': '4'})


def test_a_backup_taken_while_jobs_flow_restores_every_job_once(tmp_path):
    original, restored, snapshot = tmp_path / 'data', tmp_path / 'restored', tmp_path / 'snapshot'
    server = server_on(original).start()
    try:
        producer = subprocess.Popen([sys.executable, '-c', PRODUCER], cwd=ROOT,
                                    env={**server.env}, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        app_db = original / 'collab.db'

        def accepted_now():
            try:
                return len(column(app_db, 'SELECT n FROM backupaccepted'))
            except sqlite3.OperationalError:
                return 0   # the producer has not created its tables yet
        wait_until(lambda: accepted_now() >= JOBS // 5, timeout=30, interval=0.05,
                   message='the producer to get going')
        # What was committed before the backup began: all of it must be restored.
        accepted_before = column(app_db, 'SELECT n FROM backupaccepted')
        effects_before = column(app_db, 'SELECT job_id FROM backupeffect')
        backup = run_py(original, 'backup', str(snapshot))
        assert backup.returncode == 0, backup.stderr
        assert producer.wait(60) == 0, producer.stdout.read()
        assert accepted_now() == JOBS
    finally:
        server.stop()

    manifest = json.loads((snapshot / 'manifest.json').read_text())
    snap_db = snapshot / 'collab.db'
    snap_accepted = column(snap_db, 'SELECT n FROM backupaccepted')
    snap_effects = column(snap_db, 'SELECT job_id FROM backupeffect')
    snap_jobs = record_effect_jobs(snap_db)
    finished_in_snapshot = {job_id for job_id, (state, _) in snap_jobs.items() if state in FINAL}
    assert len(snap_accepted) < JOBS, 'the backup came too late: every job was already accepted'
    assert manifest['databases']['collab.db']['tables']['backupaccepted'] == len(snap_accepted)
    assert manifest['secret_key'] is True

    restore = run_py(restored, 'restore', str(snapshot))
    assert restore.returncode == 0, restore.stderr
    server = server_on(restored).start()
    try:
        app_db = restored / 'collab.db'

        def all_done():
            effects = rows(app_db, 'SELECT n FROM backupeffect')
            jobs = record_effect_jobs(app_db)
            return len(effects) >= len(snap_accepted) and jobs and \
                all(state in FINAL for state, _ in jobs.values())
        wait_until(all_done, timeout=40, interval=0.2,
                   message=f'every restored job to finish (log: {server.log_path})')
        time.sleep(1)   # a second delivery of anything would land by now
        accepted = column(app_db, 'SELECT n FROM backupaccepted')
        effects = rows(app_db, 'SELECT job_id, n FROM backupeffect')
        jobs = record_effect_jobs(app_db)
        redelivered = column(app_db, 'SELECT job_id FROM backupredelivery')
        dead_letters = rows(app_db, 'SELECT count(*) FROM deadletter')[0][0]
    finally:
        server.stop()

    queue = rows(snapshot / 'queue.db',
                 "SELECT queue LIKE 'claimed:%', count(*) FROM task GROUP BY 1")
    print(f'\nsnapshot: {len(snap_accepted)} of {JOBS} writes accepted, '
          f'{rows(snap_db, "SELECT count(*) FROM outboxmessage")[0][0]} in the outbox, '
          f'queue {dict(queue)} (1: claimed), {len(snap_effects)} effects, '
          f'{len(finished_in_snapshot)} jobs finished, {manifest["finished_messages_dropped"]} '
          f'finished messages taken out; after the restore: {len(effects)} effects, '
          f'{len(redelivered)} redeliveries of a committed effect')
    # Every row committed before the snapshot is there.
    assert accepted_before <= accepted == snap_accepted
    assert effects_before <= {job_id for job_id, _ in effects}
    # No accepted job is lost, none took effect twice.
    assert sorted(n for _, n in effects) == sorted(snap_accepted)
    assert all(state == 'succeeded' for state, _ in jobs.values())
    assert dead_letters == 0   # the restored key verifies the snapshot's messages
    # A job finished in the snapshot does not run again: no new attempt, no redelivery.
    assert {job_id: jobs[job_id] for job_id in finished_in_snapshot} == \
        {job_id: snap_jobs[job_id] for job_id in finished_in_snapshot}
    assert not redelivered & finished_in_snapshot
    # Only a job whose effect was committed but not yet acknowledged is delivered again.
    assert redelivered <= snap_effects


def test_a_finished_jobs_message_is_taken_out_of_the_snapshot(app, settings, tmp_path):
    """A job recorded finished whose message was not yet acknowledged (the ledger
    commits first) must not run again from a snapshot."""
    from collab.jobs.models import Job
    from tests.sample_tasks import succeed
    finished, waiting = succeed(1), succeed(2)   # no consumer: both stay in queue.db
    huey.ledger.flush()
    Job.update(state='succeeded').where(Job.job_id == finished.id).execute()

    snapshot = tmp_path / 'snapshot'
    done = run_py(settings.data_dir, 'backup', str(snapshot),
                  env={'SECRET_KEY': settings.secret_key})
    assert done.returncode == 0, done.stderr
    serializer = huey.serializer
    left = [serializer.deserialize(bytes(data)).id
            for data, in rows(snapshot / 'queue.db', 'SELECT data FROM task')]
    assert left == [waiting.id]
    assert json.loads((snapshot / 'manifest.json').read_text())['finished_messages_dropped'] == 1
    assert huey.storage.queue_size() == 2   # the live queue is left as it was


# ------------------------------------------------------------------ the commands' refusals

@pytest.fixture
def data_dir(tmp_path):
    """A DATA_DIR with its databases, a generated key and an uploaded file."""
    path = tmp_path / 'data'
    done = run_py(path, 'create-admin', 'ann@example.com', '--password-stdin',
                  stdin='a long password\n')
    assert done.returncode == 0, done.stderr
    (path / 'files').mkdir(exist_ok=True)
    (path / 'files' / 'upload').write_bytes(b'attachment')
    return path


def test_restore_refuses_a_non_empty_data_dir_unless_forced(data_dir, tmp_path):
    snapshot, target = tmp_path / 'snapshot', tmp_path / 'target'
    assert run_py(data_dir, 'backup', str(snapshot)).returncode == 0
    target.mkdir()
    (target / 'notes.txt').write_text('mine')

    refused = run_py(target, 'restore', str(snapshot))
    assert refused.returncode == 2
    assert 'is not empty' in refused.stderr and '--force' in refused.stderr
    assert sorted(p.name for p in target.iterdir()) == ['notes.txt']   # nothing written

    forced = run_py(target, 'restore', str(snapshot), '--force')
    assert forced.returncode == 0, forced.stderr
    assert rows(target / 'collab.db', 'PRAGMA integrity_check') == [('ok',)]
    assert (target / 'files' / 'upload').read_bytes() == b'attachment'
    assert (target / 'secret_key').read_text() == (data_dir / 'secret_key').read_text()
    for path in [target, *target.rglob('*')]:
        if path.name != 'notes.txt':
            assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_restore_refuses_a_snapshot_that_does_not_match_its_manifest(data_dir, tmp_path):
    snapshot = tmp_path / 'snapshot'
    assert run_py(data_dir, 'backup', str(snapshot)).returncode == 0
    with open(snapshot / 'collab.db', 'r+b') as handle:   # one flipped byte
        handle.seek(200)
        byte = handle.read(1)
        handle.seek(200)
        handle.write(bytes([byte[0] ^ 0xFF]))

    refused = run_py(tmp_path / 'target', 'restore', str(snapshot))
    assert refused.returncode == 2
    assert 'does not match the manifest' in refused.stderr
    assert not (tmp_path / 'target' / 'collab.db').exists()


def test_backup_refuses_a_destination_that_is_not_empty(data_dir, tmp_path):
    dest = tmp_path / 'dest'
    dest.mkdir()
    (dest / 'keep.txt').write_text('keep')
    refused = run_py(data_dir, 'backup', str(dest))
    assert refused.returncode == 2
    assert f'{dest} is not empty' in refused.stderr
    assert sorted(p.name for p in dest.iterdir()) == ['keep.txt']


def test_backup_on_postgresql_gives_the_pg_dump_command_and_copies_the_files(data_dir, tmp_path):
    dest = tmp_path / 'dest'
    url = 'postgresql://bob:s3cret@db.example:5433/collab'
    done = run_py(data_dir, 'backup', str(dest), env={'DATABASE_URL': url})
    assert done.returncode == 0, done.stderr
    assert (f'pg_dump --format=custom --file={dest}/collab.pgdump '
            '--dbname=postgresql://bob@db.example:5433/collab') in done.stdout
    assert 's3cret' not in done.stdout + done.stderr
    assert 'PGPASSWORD' in done.stdout
    assert (dest / 'files' / 'upload').read_bytes() == b'attachment'
    manifest = json.loads((dest / 'manifest.json').read_text())
    assert manifest['app_database'] == 'postgresql' and 'collab.db' not in manifest['databases']
