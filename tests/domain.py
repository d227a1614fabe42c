"""Helpers for the collaboration-domain tests: a small team in one workspace."""
import pytest

from collab.db import database
from collab.jobs import ledger
from tests.support import wait_until


class Team:
    """Ann owns a workspace, Bob is a member, Eve is a stranger; all by bearer token."""

    def __init__(self, client, auth):
        self.client = client
        self.ann = auth.headers('ann@example.com', name='Ann')
        self.bob = auth.headers('bob@example.com', name='Bob')
        self.eve = auth.headers('eve@example.com', name='Eve')
        self.workspace = client.post('/api/workspaces', json={'name': 'Garden club'},
                                     headers=self.ann).json
        self.ws_id = self.workspace['id']
        token = client.post(f'/api/workspaces/{self.ws_id}/invites',
                            json={'email': 'bob@example.com'}, headers=self.ann).json['token']
        accepted = client.post(f'/api/invites/{token}/accept', headers=self.bob)
        assert accepted.status_code == 200, accepted.json

    def user_id(self, headers):
        return self.client.get('/api/me', headers=headers).json['id']

    def document(self, title='Plan', content='Plant tomatoes in May', headers=None):
        response = self.client.post(f'/api/workspaces/{self.ws_id}/documents',
                                    json={'title': title, 'content': content},
                                    headers=headers or self.ann)
        assert response.status_code == 201, response.json
        return response.json

    def channel(self, name='general'):
        response = self.client.post(f'/api/workspaces/{self.ws_id}/channels',
                                    json={'name': name}, headers=self.ann)
        assert response.status_code == 201, response.json
        return response.json


@pytest.fixture
def team(client, auth):
    return Team(client, auth)


def wait_for_jobs_idle(timeout=15):
    """Until the queue is empty and no job in the ledger is still queued, scheduled or running."""
    from collab.jobs.models import Job
    from collab.jobs.engine import huey

    def idle():
        ledger.flush()
        busy = Job.select().where(Job.state.in_(['queued', 'running', 'retrying',
                                                 'scheduled'])).count()
        database.close()
        return huey.storage.queue_size() == 0 and busy == 0
    wait_until(idle, timeout=timeout, interval=0.05, message='the queue to drain')
