"""Each user's notification settings: push on/off and which kinds notify them, by
page and API, honoured where notifications are stored and pushed."""
from tests.support import page_csrf_token, wait_for_jobs_idle, wait_until


def test_settings_start_with_everything_on_and_change_through_the_api(client, team):
    settings = client.get('/api/notifications/settings', headers=team.bob).json
    assert settings['push'] is True and all(settings['kinds'].values())
    assert 'document.updated' in settings['kinds']
    changed = client.put('/api/notifications/settings', headers=team.bob,
                         json={'kinds': {'document.updated': False}})
    assert changed.status_code == 200
    assert changed.json['kinds']['document.updated'] is False
    assert changed.json['kinds']['document.created'] is True and changed.json['push'] is True
    again = client.put('/api/notifications/settings', headers=team.bob, json={'push': False})
    assert again.json['push'] is False and again.json['kinds']['document.updated'] is False
    assert client.get('/api/me', headers=team.bob).json['push'] is False
    # Another user's settings are their own.
    assert client.get('/api/notifications/settings', headers=team.ann).json['push'] is True


def test_unknown_kinds_and_wrong_types_are_refused(client, team):
    for body in ({'kinds': {'nope': False}}, {'kinds': {'digest': 'no'}}, {'kinds': []},
                 {'push': 'yes'}):
        answer = client.put('/api/notifications/settings', headers=team.bob, json=body)
        assert answer.status_code == 400, body


def test_a_kind_turned_off_is_neither_stored_nor_pushed(client, team, consumer, webhook):
    client.put('/api/notifications/settings', headers=team.bob,
               json={'kinds': {'document.created': False}})
    team.document('Quiet')
    wait_for_jobs_idle()
    bobs = client.get('/api/notifications', headers=team.bob).json['notifications']
    assert [n for n in bobs if n['type'] == 'document.created'] == []
    assert [r for r in webhook.requests if r['body']['data'].get('type') == 'document.created'
            and r['body']['user'] == 'bob@example.com'] == []
    # The kinds still on are stored and pushed as before.
    doc_id = client.get(f'/api/workspaces/{team.ws_id}/documents', headers=team.bob).json
    doc_id = doc_id['documents'][0]['id']
    client.put(f'/api/documents/{doc_id}', json={'content': 'louder'}, headers=team.ann)
    wait_for_jobs_idle()
    bobs = client.get('/api/notifications', headers=team.bob).json['notifications']
    assert [n['type'] for n in bobs] == ['document.updated']
    wait_until(lambda: [r for r in webhook.requests
                        if r['body']['data'].get('type') == 'document.updated'],
               message='the push of the edit')


def test_push_turned_off_on_the_page_sends_no_push(client, team, consumer, webhook):
    sign_in = client.post('/api/auth/login', json={'email': 'bob@example.com',
                                                   'password': 'correct horse'})
    assert sign_in.status_code == 200
    page = client.get('/settings')
    assert page.status_code == 200 and b'Push notifications' in page.data
    token = page_csrf_token(client)
    kinds = {f'kind:{k}': '1' for k in client.get('/api/notifications/settings').json['kinds']}
    saved = client.post('/settings', data={'csrf_token': token, **kinds})   # push unticked
    assert saved.status_code in (302, 303)
    assert client.get('/api/notifications/settings').json['push'] is False
    team.document('Silent')
    wait_for_jobs_idle()
    assert [n['type'] for n in client.get('/api/notifications').json['notifications']] == [
        'document.created']   # still listed
    assert [r for r in webhook.requests if r['body']['user'] == 'bob@example.com'] == []


def test_the_settings_form_needs_its_csrf_token(client, team):
    client.post('/api/auth/login', json={'email': 'bob@example.com', 'password': 'correct horse'})
    assert client.post('/settings', data={'push': '1'}).status_code == 403
    assert client.get('/api/notifications/settings').json['push'] is True


def test_migration_9_adds_the_kinds_column_to_an_older_database(app, db_backend):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

    from collab.db import database, is_sqlite
    from collab.models import User
    from collab.schema import SchemaVersion, apply_migrations
    migrator = SqliteMigrator(database.obj) if is_sqlite() else PostgresqlMigrator(database.obj)
    migrate(migrator.drop_column('user', 'muted_kinds'))
    SchemaVersion.delete().where(SchemaVersion.version == 9).execute()
    assert 'muted_kinds' not in {c.name for c in database.get_columns('user')}
    apply_migrations()
    assert 'muted_kinds' in {c.name for c in database.get_columns('user')}
    assert SchemaVersion.get_or_none(SchemaVersion.version == 9) is not None
    user = User.create(email='old@example.com', name='Old', password_hash='x')
    assert User.get_by_id(user.id).muted_kinds is None   # nothing turned off
