"""Disk quotas: a workspace's files and exports within WORKSPACE_QUOTA_MB, one export
at a time, and old exports deleted by the periodic job."""
import io
import os
from datetime import datetime, timedelta

import pytest

from collab.fields import utcnow
from collab.models import Export, File
from collab.settings import Settings, SettingsError
from tests.support import wait_for_jobs_idle, wait_until

MB = 1024 * 1024


def upload(client, team, size, name='data.bin'):
    # Random bytes: an export's zip cannot shrink them, so its size is known.
    return client.post(f'/api/workspaces/{team.ws_id}/files', headers=team.ann,
                       data={'file': (io.BytesIO(os.urandom(size)), name)})


def start_export(client, team):
    return client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann)


def wait_ready(client, team, export_id):
    url = f'/api/exports/{export_id}'
    return wait_until(lambda: client.get(url, headers=team.ann).json['state'] == 'ready',
                      timeout=20, message='the export to be ready')


@pytest.mark.env(WORKSPACE_QUOTA_MB='1')
def test_an_upload_past_the_quota_is_413_with_what_is_used_and_keeps_nothing(
        db_backend, client, team, settings):
    first = upload(client, team, 600 * 1024)
    assert first.status_code == 201
    refused = upload(client, team, 600 * 1024, 'second.bin')
    assert refused.status_code == 413
    assert refused.json['used_bytes'] == 600 * 1024 and refused.json['quota_bytes'] == MB
    assert '0.6 MB of its 1 MB quota' in refused.json['error']
    assert [f.name for f in File.select()] == ['data.bin']
    assert len(list((settings.data_dir / 'files').iterdir())) == 1
    # Deleting makes room again.
    assert client.delete(first.json['url'], headers=team.ann).status_code == 200
    assert upload(client, team, 600 * 1024, 'second.bin').status_code == 201


@pytest.mark.env(WORKSPACE_QUOTA_MB='1')
def test_exports_count_in_the_quota_and_an_export_needs_room_for_its_zip(
        client, team, settings, consumer):
    assert upload(client, team, 400 * 1024).status_code == 201
    export_id = start_export(client, team).json['export_id']
    wait_ready(client, team, export_id)
    zip_size = (settings.data_dir / 'exports' / f'export-{export_id}.zip').stat().st_size
    used = 400 * 1024 + zip_size
    refused = upload(client, team, 300 * 1024)
    assert refused.status_code == 413 and refused.json['used_bytes'] == used
    again = start_export(client, team)   # would need another 400 KB
    assert again.status_code == 413
    assert again.json['used_bytes'] == used and again.json['needed_bytes'] == 400 * 1024
    assert Export.select().count() == 1
    assert client.delete(f'/api/exports/{export_id}', headers=team.ann).status_code == 200
    assert upload(client, team, 300 * 1024).status_code == 201


def test_a_second_export_while_one_is_pending_is_409_with_its_id(db_backend, client, team):
    # No consumer: the first export stays pending.
    first = start_export(client, team)
    assert first.status_code == 202
    second = start_export(client, team)
    assert second.status_code == 409
    assert second.json['export_id'] == first.json['export_id']
    assert 'pending' in second.json['error']
    Export.update(state=Export.RUNNING).execute()
    assert start_export(client, team).json['export_id'] == first.json['export_id']
    assert Export.select().count() == 1
    Export.update(state=Export.READY).execute()
    assert start_export(client, team).status_code == 202


def test_exports_older_than_export_keep_days_are_deleted_by_the_periodic_job(
        client, team, settings, consumer):
    from tasks.workspaces import delete_old_exports
    exports_dir = settings.data_dir / 'exports'
    old_id = start_export(client, team).json['export_id']
    wait_ready(client, team, old_id)
    new_id = start_export(client, team).json['export_id']
    wait_ready(client, team, new_id)
    wait_for_jobs_idle()
    Export.update(created_at=utcnow() - timedelta(days=settings.export_keep_days, minutes=1)
                  ).where(Export.id == old_id).execute()
    # Queued and run by the consumer. force: a consumer started during minute :30
    # has already claimed this hour's slot, and a second run in a slot is skipped.
    delete_old_exports(force=True)
    wait_for_jobs_idle()
    assert [e.id for e in Export.select()] == [new_id]
    assert sorted(p.name for p in exports_dir.iterdir()) == [f'export-{new_id}.zip']
    assert client.get(f'/api/exports/{old_id}', headers=team.ann).status_code == 404
    assert client.get(f'/api/exports/{new_id}/download', headers=team.ann).status_code == 200


def test_the_periodic_job_is_scheduled_hourly():
    from collab.jobs.instance import huey

    def due(minute):
        return {t.name for t in huey.read_periodic(datetime(2030, 1, 7, 8, minute))}
    assert [minute for minute in range(60) if 'delete_old_exports' in due(minute)] == [30]


def test_quota_and_keep_days_settings(tmp_path):
    defaults = Settings.from_mapping({'DATA_DIR': str(tmp_path)})
    assert defaults.workspace_quota_mb == 1024 and defaults.export_keep_days == 7
    chosen = Settings.from_mapping({'DATA_DIR': str(tmp_path), 'WORKSPACE_QUOTA_MB': '50',
                                    'EXPORT_KEEP_DAYS': '2'})
    assert chosen.workspace_quota_mb == 50 and chosen.export_keep_days == 2
    for name, value in (('WORKSPACE_QUOTA_MB', '0'), ('EXPORT_KEEP_DAYS', 'soon')):
        with pytest.raises(SettingsError) as raised:
            Settings.from_mapping({'DATA_DIR': str(tmp_path), name: value})
        assert raised.value.variable == name
