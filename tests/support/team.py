"""A small team in one workspace, for the collaboration-domain tests."""
from tests.support.users import sign_up


class Team:
    """Ann owns a workspace, Bob is a member, Eve is a stranger; all by bearer token."""

    def __init__(self, client):
        self.client = client
        self.ann = sign_up(client, 'ann@example.com', 'Ann').headers
        self.bob = sign_up(client, 'bob@example.com', 'Bob').headers
        self.eve = sign_up(client, 'eve@example.com', 'Eve').headers
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


def garden_club(server_url):
    """Ann's workspace "Garden club" with Bob as a member, on a running server:
    (ann, bob, workspace id), each an Account."""
    ann = sign_up(server_url, 'ann@example.com', 'Ann')
    bob = sign_up(server_url, 'bob@example.com', 'Bob')
    workspace = ann.call('POST', '/api/workspaces', {'name': 'Garden club'})
    invite = ann.call('POST', f"/api/workspaces/{workspace['id']}/invites",
                      {'email': 'bob@example.com'})
    bob.call('POST', f"/api/invites/{invite['token']}/accept")
    return ann, bob, workspace['id']
