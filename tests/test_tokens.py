"""API tokens: named, listed without their secrets, revocable, expiring after
TOKEN_DAYS, marked when last used; a revoked or expired token's socket closes,
and a database from before gets the new columns with its tokens kept.

The HTTP tests run on SQLite and on PostgreSQL.
"""
import json
import time
from datetime import timedelta

import pytest
import websocket
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from collab.db import database, is_sqlite
from collab.fields import utcnow
from collab.models import ApiToken
from collab.schema import SchemaVersion, apply_migrations
from collab.settings import Settings, SettingsError
from collab.users import token_hash
from tests.support import close_code, sign_up

pytestmark = pytest.mark.usefixtures('db_backend')


def bearer(token):
    return {'Authorization': f'Bearer {token}'}


def new_token(client, account, name='deploy script'):
    response = client.post('/api/me/tokens', json={'name': name}, headers=account.headers)
    assert response.status_code == 201, response.json
    return response.json


def row_of(token):
    return ApiToken.get(ApiToken.token_hash == token_hash(token))


# ------------------------------------------------------------------ naming and listing

def test_a_named_token_is_shown_once_and_listed_without_its_secret(client):
    ann = sign_up(client, name='Ann')
    made = new_token(client, ann)
    assert made['name'] == 'deploy script' and made['token']
    assert client.get('/api/me', headers=bearer(made['token'])).json['email'] == ann.email

    listing = client.get('/api/me/tokens', headers=ann.headers)
    assert listing.status_code == 200
    tokens = listing.json['tokens']
    assert [t['name'] for t in tokens] == ['deploy script', 'sign-in']
    assert [t['current'] for t in tokens] == [False, True]   # the list was asked for with ann's
    text = listing.get_data(as_text=True)
    assert made['token'] not in text and ann.token not in text
    assert all('token' not in t for t in tokens)
    assert set(tokens[0]) == {'id', 'name', 'created_at', 'expires_at', 'last_used_at', 'current'}


def test_the_sign_in_can_name_its_token(client):
    sign_up(client, name='Ann')
    login = client.post('/api/auth/login', json={'email': 'ann@example.com',
                                                 'password': 'correct horse',
                                                 'token_name': 'laptop'})
    assert row_of(login.json['token']).name == 'laptop'
    bad = client.post('/api/auth/login', json={'email': 'ann@example.com',
                                               'password': 'correct horse', 'token_name': 5})
    assert bad.status_code == 400 and bad.json['field'] == 'token_name'
    assert ApiToken.select().count() == 2


@pytest.mark.parametrize('body, field', [({}, 'name'), ({'name': ''}, 'name'),
                                         ({'name': 'n' * 101}, 'name'), ({'name': 5}, 'name')])
def test_a_token_needs_a_name(client, body, field):
    ann = sign_up(client, name='Ann')
    response = client.post('/api/me/tokens', json=body, headers=ann.headers)
    assert response.status_code == 400 and response.json['field'] == field
    assert ApiToken.select().count() == 1


def test_tokens_are_listed_only_to_their_user(app, client):
    ann, bob = sign_up(client, name='Ann'), sign_up(client, 'bob@example.com')
    new_token(client, ann, 'ann only')
    names = [t['name'] for t in client.get('/api/me/tokens', headers=bob.headers).json['tokens']]
    assert names == ['sign-in']
    assert app.test_client().get('/api/me/tokens').status_code == 401


# ------------------------------------------------------------------ revoking

def test_a_deleted_token_stops_working_and_only_that_one(client):
    ann = sign_up(client, name='Ann')
    made = new_token(client, ann)
    assert client.delete(f"/api/me/tokens/{made['id']}", headers=ann.headers).status_code == 204
    assert client.get('/api/me', headers=bearer(made['token'])).status_code == 401
    assert client.get('/api/me', headers=ann.headers).status_code == 200
    assert [t['name'] for t in client.get('/api/me/tokens', headers=ann.headers).json['tokens']] \
        == ['sign-in']
    again = client.delete(f"/api/me/tokens/{made['id']}", headers=ann.headers)
    assert again.status_code == 404 and again.json['error']


def test_another_users_token_cannot_be_deleted(client):
    ann, bob = sign_up(client, name='Ann'), sign_up(client, 'bob@example.com')
    made = new_token(client, ann)
    for token_id in (made['id'], 9223372036854775807):
        response = client.delete(f'/api/me/tokens/{token_id}', headers=bob.headers)
        assert response.status_code == 404 and response.json['error']
    assert client.delete('/api/me/tokens/99999999999999999999',
                         headers=bob.headers).status_code == 404
    assert client.get('/api/me', headers=bearer(made['token'])).status_code == 200


# ------------------------------------------------------------------ expiry

@pytest.mark.env(TOKEN_DAYS='3')
def test_a_token_expires_after_token_days(client):
    ann = sign_up(client, name='Ann')
    made = new_token(client, ann)
    lasts = row_of(made['token']).expires_at - utcnow()
    assert timedelta(days=3) - timedelta(minutes=1) < lasts <= timedelta(days=3)

    ApiToken.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        ApiToken.id == made['id']).execute()   # three days on
    response = client.get('/api/me', headers=bearer(made['token']))
    assert response.status_code == 401 and 'expired' in response.json['error']
    listed = [t['id'] for t in client.get('/api/me/tokens', headers=ann.headers).json['tokens']]
    assert made['id'] not in listed


def test_token_days_defaults_to_90_and_refuses_nonsense(tmp_path):
    assert Settings.from_mapping({'DATA_DIR': str(tmp_path)}).token_days == 90
    for bad in ('0', 'soon', '100000'):
        with pytest.raises(SettingsError, match='TOKEN_DAYS'):
            Settings.from_mapping({'DATA_DIR': str(tmp_path), 'TOKEN_DAYS': bad})


# ------------------------------------------------------------------ last use

def test_a_token_records_its_last_use_at_most_once_a_minute(client):
    ann = sign_up(client, name='Ann')
    made = new_token(client, ann)
    assert row_of(made['token']).last_used_at is None

    client.get('/api/me', headers=bearer(made['token']))
    first = row_of(made['token']).last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=30)
    client.get('/api/me', headers=bearer(made['token']))
    assert row_of(made['token']).last_used_at == first          # not written again yet

    earlier = utcnow() - timedelta(minutes=2)
    ApiToken.update(last_used_at=earlier).where(ApiToken.id == made['id']).execute()
    client.get('/api/me', headers=bearer(made['token']))
    assert row_of(made['token']).last_used_at > earlier + timedelta(minutes=1)
    listed = client.get('/api/me/tokens', headers=ann.headers).json['tokens']
    assert next(t for t in listed if t['id'] == made['id'])['last_used_at']


# ------------------------------------------------------------------ sockets

def token_socket(server, token):
    url = server.url.replace('http://', 'ws://') + f'/ws?token={token}'
    ws = websocket.create_connection(url, timeout=10, suppress_origin=True)
    assert json.loads(ws.recv())['type'] == 'hello'
    return ws


def test_a_socket_of_a_deleted_token_closes_with_4401(server, client):
    ann = sign_up(client, name='Ann')
    made = new_token(client, ann)
    ws, kept = token_socket(server, made['token']), token_socket(server, ann.token)
    started = time.monotonic()
    assert client.delete(f"/api/me/tokens/{made['id']}", headers=ann.headers).status_code == 204
    assert close_code(ws) == 4401
    assert time.monotonic() - started < 5
    kept.send(json.dumps({'type': 'ping'}))
    assert json.loads(kept.recv())['type'] == 'pong'
    kept.close()


def test_a_socket_of_an_expired_token_closes_with_4401(server, client):
    ann = sign_up(client, name='Ann')
    ws = token_socket(server, ann.token)
    ApiToken.update(expires_at=utcnow()).execute()
    assert close_code(ws) == 4401


def test_token_sockets_close_when_the_password_changes(server, client):
    ann = sign_up(client, name='Ann')
    ws = token_socket(server, new_token(client, ann)['token'])
    assert client.post('/api/me/password', json={'current': 'correct horse',
                                                 'new': 'battery staple'},
                       headers=ann.headers).status_code == 200
    assert close_code(ws) == 4401


# ------------------------------------------------------------------ upgrading

def test_a_database_from_before_keeps_its_tokens_with_an_expiry(app, client):
    ann = sign_up(client, name='Ann')
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    migrate(*(migrator.drop_column('apitoken', column)
              for column in ('name', 'expires_at', 'last_used_at')))
    SchemaVersion.delete().where(SchemaVersion.version == 4).execute()

    apply_migrations()
    token = row_of(ann.token)
    assert token.name == '' and token.last_used_at is None
    lasts = token.expires_at - utcnow()
    assert timedelta(days=89) < lasts <= timedelta(days=90)
    assert client.get('/api/me', headers=ann.headers).status_code == 200
    assert 4 in {row.version for row in SchemaVersion.select()}
