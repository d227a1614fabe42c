"""Messages the app did not sign, cannot read, or cannot run are kept as dead letters, never executed."""
import pickle

import pytest
from huey.registry import Message
from huey.serializer import SignedSerializer

from collab.jobs.models import DeadLetter
from collab.jobs.instance import huey
from tests.sample_tasks import calls, succeed
from tests.support import sign_up, wait_until

pytestmark = pytest.mark.usefixtures('queue_backend')


class WritesMarker:
    """Unpickling this creates a file: the proof that a message was unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), 'w'))


def dead_letters(count):
    def enough():
        huey.ledger.flush()
        return DeadLetter.select().count() >= count
    wait_until(enough, timeout=10, message=f'{count} dead letters')
    return list(DeadLetter.select().order_by(DeadLetter.id))


def test_a_crafted_pickle_is_never_unpickled(app, consumer, tmp_path):
    marker = tmp_path / 'unpickled'
    forged = SignedSerializer(secret='an attacker key', salt='collab.tasks')
    huey.storage.enqueue(forged._sign(pickle.dumps(WritesMarker(marker))))
    huey.storage.enqueue(pickle.dumps(WritesMarker(marker)))      # not signed at all
    letters = dead_letters(2)
    assert not marker.exists()
    assert {d.source for d in letters} == {'queue'}
    succeed(5)
    wait_until(lambda: 5 in calls['succeed'], timeout=10, message='the consumer to keep working')


def test_a_signed_message_for_an_unknown_task_is_kept_not_run(app, consumer):
    message = Message('job-from-an-old-deploy', 'tasks.gone.removed_task', None, 0, 0, None,
                      (), {}, None, None, None, None, None, None, None)
    huey.storage.enqueue(huey.serializer.serialize(message))
    letter = dead_letters(1)[0]
    assert 'removed_task' in letter.error


def test_dead_letters_are_listed_for_admins(app, consumer, client):
    huey.storage.enqueue(b'garbage without a signature')
    dead_letters(1)
    response = client.get('/admin/api/dead-letters', headers=sign_up(client, admin=True).headers)
    assert response.status_code == 200
    assert response.json['dead_letters'][0]['source'] == 'queue'


def test_dead_letters_are_shown_on_the_admin_system_page(app, consumer, client):
    huey.storage.enqueue(b'<script>alert(1)</script> is no message')
    dead_letters(1)
    page = client.get('/admin/system', headers=sign_up(client, admin=True).headers).get_data(as_text=True)
    table = page.split('id="dead-letters"')[1].split('</table>')[0]
    assert 'queue' in table and 'Separator' in table
    assert '<script>' not in page
