"""Notifications as people read them: repeats grouped with a count, each entry linking
to what it is about; and the activity feed as sentences with links."""
from datetime import timedelta

from collab import notifications
from collab.fields import utcnow
from collab.models import Notification
from tests.support import wait_for_jobs_idle


def edit(client, team, doc, times):
    for n in range(times):
        answer = client.put(f"/api/documents/{doc['id']}", json={'content': f'draft {n}'},
                            headers=team.ann)
        assert answer.status_code == 200, answer.json


def test_eight_edits_of_one_document_are_one_entry_with_their_count(client, team, consumer):
    doc = team.document('Spec')
    other = team.document('Budget')
    edit(client, team, doc, 8)
    edit(client, team, other, 1)
    wait_for_jobs_idle()
    listed = client.get('/api/notifications', headers=team.bob).json
    entries = {(n['type'], n['data'].get('title')): n for n in listed['notifications']}
    spec = entries[('document.updated', 'Spec')]
    assert spec['count'] == 8 and len(spec['ids']) == 8
    assert spec['title'] == 'Ann edited “Spec” 8 times'
    assert spec['id'] == max(spec['ids'])   # the entry shows the newest of them
    assert entries[('document.updated', 'Budget')]['count'] == 1
    assert entries[('document.updated', 'Budget')]['title'] == 'Ann edited “Budget”'
    assert len(listed['notifications']) == 4   # 8 + 1 edits and 2 creations
    assert listed['unread'] == 11   # every notification still counts until read

    page = client.get('/notifications', headers=team.bob).get_data(as_text=True)
    assert page.count('Ann edited “Spec” 8 times') == 1
    assert 'Ann edited “Spec”</a>' not in page


def test_repeats_a_day_apart_are_separate_entries(app, team):
    bob = team.user_id(team.bob)
    data = {'user': 'Ann', 'title': 'Spec', 'document_id': 7, 'workspace_id': 1}
    now = utcnow()
    with app.app_context():
        for age in (timedelta(0), timedelta(hours=2), timedelta(hours=30)):
            Notification.create(user=bob, type='document.updated', data=data,
                                created_at=now - age)
        Notification.create(user=bob, type='document.updated', data=dict(data, user='Eve'),
                            created_at=now - timedelta(hours=1))
        rows = list(Notification.select().where(Notification.user == bob)
                    .order_by(Notification.created_at.desc()))
        entries = notifications.grouped(rows)
    assert [(e['data']['user'], e['count']) for e in entries] == [('Ann', 2), ('Eve', 1),
                                                                  ('Ann', 1)]


def test_each_entry_links_to_the_page_it_is_about(client, team, consumer):
    doc = team.document('Plan')
    started = client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann)
    assert started.status_code == 202
    wait_for_jobs_idle()
    bobs = client.get('/api/notifications', headers=team.bob).json['notifications']
    anns = client.get('/api/notifications', headers=team.ann).json['notifications']
    links = {n['type']: n['link'] for n in bobs + anns}
    assert links['document.created'] == f"/d/{doc['id']}"
    assert links['invite.accepted'] == f'/w/{team.ws_id}'
    assert links['export.ready'] == f"/api/exports/{started.json['export_id']}/download"
    assert client.get(links['document.created'], headers=team.bob).status_code == 200
    assert client.get(links['invite.accepted'], headers=team.ann).status_code == 200
    assert client.get(links['export.ready'], headers=team.ann).status_code == 200
    page = client.get('/notifications', headers=team.bob).get_data(as_text=True)
    assert f'<a href="/d/{doc["id"]}">Ann created “Plan”</a>' in page


def test_links_for_channels_files_and_workspaces():
    assert notifications.link('message.posted', {'channel_id': 3, 'message_id': 9}) == \
        '/c/3#message-9'
    assert notifications.link('x', {'file_id': 4, 'workspace_id': 1}) == '/api/files/4'
    assert notifications.link('digest', {'workspace_id': 2}) == '/w/2'
    assert notifications.link('x', {}) == '/notifications'
    assert notifications.link('export.failed', {'export_id': 5, 'workspace_id': 2}) == \
        '/w/2#exports'


def test_the_activity_feed_reads_as_sentences_with_links(client, team, consumer):
    doc = team.document('Spec')
    channel = team.channel('general')
    client.put(f"/api/documents/{doc['id']}", json={'content': 'v2'}, headers=team.ann)
    client.post(f"/api/channels/{channel['id']}/messages", json={'body': 'hi'}, headers=team.bob)
    client.post(f'/api/workspaces/{team.ws_id}/exports', headers=team.ann)
    wait_for_jobs_idle()
    feed = client.get(f'/api/workspaces/{team.ws_id}/activity', headers=team.bob).json['activity']
    said = {(e['sentence'], e['link']) for e in feed}
    message = next(e for e in feed if e['action'] == 'message.posted')
    assert {('Ann edited “Spec”', f"/d/{doc['id']}"),
            ('Ann created “Spec”', f"/d/{doc['id']}"),
            ('Ann created #general', f"/c/{channel['id']}"),
            ('Bob posted in #general', f"/c/{channel['id']}#message-{message['target_id']}"),
            ('Bob joined', None), ('Ann started an export', f'/w/{team.ws_id}#exports'),
            ('Ann created the workspace Garden club', f'/w/{team.ws_id}')} <= said
    page = client.get(f'/w/{team.ws_id}', headers=team.bob).get_data(as_text=True)
    assert f'<a href="/d/{doc["id"]}">Ann edited “Spec”</a>' in page
    assert 'document.updated' not in page


def test_a_deleted_document_is_named_but_not_linked(client, team, consumer):
    doc = team.document('Old notes')
    assert client.delete(f"/api/documents/{doc['id']}", headers=team.ann).status_code == 200
    wait_for_jobs_idle()
    feed = client.get(f'/api/workspaces/{team.ws_id}/activity', headers=team.ann).json['activity']
    deleted = next(e for e in feed if e['action'] == 'document.deleted')
    assert deleted['sentence'] == 'Ann deleted “Old notes”' and deleted['link'] is None
