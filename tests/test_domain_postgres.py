"""The domain on both databases: save → version → index → search, digest, and an export."""
import io
import zipfile

import pytest

from collab.models import Notification
from tasks.activity import generate_daily_digest
from tests.support import wait_for_jobs_idle, wait_until

pytestmark = pytest.mark.usefixtures('db_backend')


def test_save_version_index_search(client, team, consumer):
    doc = team.document('Seeds', 'Heirloom tomatoes need warm soil')
    client.put(f"/api/documents/{doc['id']}", json={'content': 'Cucumbers climb the trellis'},
               headers=team.bob)
    wait_for_jobs_idle()
    versions = client.get(f"/api/documents/{doc['id']}/versions", headers=team.ann).json
    assert versions['versions'][0]['version'] == 2
    hits = client.get(f'/api/workspaces/{team.ws_id}/search?q=trell', headers=team.ann).json
    assert [h['id'] for h in hits['results']] == [doc['id']]
    assert '<mark>' in hits['results'][0]['snippet']
    other = client.get(f'/api/workspaces/{team.ws_id}/search?q=heirloom', headers=team.ann).json
    assert other['results'] == []


def test_digest_and_export(client, team, consumer):
    team.document('Plan', 'tomatoes')
    wait_for_jobs_idle()
    generate_daily_digest(team.ws_id)
    export = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann).json
    url = f"/api/exports/{export['export_id']}"
    done = wait_until(lambda: client.get(url, headers=team.ann).json['state'] == 'ready' and
                      client.get(url, headers=team.ann).json, timeout=15, message='export ready')
    archive = zipfile.ZipFile(io.BytesIO(client.get(done['download_url'], headers=team.ann).data))
    assert b'tomatoes' in archive.read('documents.json')
    wait_for_jobs_idle()
    assert Notification.select().where(Notification.type == 'digest').count() == 2
