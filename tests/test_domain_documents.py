"""Documents end to end: save → version → index → search; versions and their cleanup."""
import pytest

from collab.models import Activity, DocumentVersion
from tests.support import wait_for_jobs_idle, wait_until


def versions(client, doc_id, headers):
    return [v['version'] for v in
            client.get(f'/api/documents/{doc_id}/versions', headers=headers).json['versions']]


def test_save_makes_a_version_and_a_searchable_document(client, team, consumer):
    doc = team.document('Seeds', 'Heirloom tomatoes need warm soil')
    wait_until(lambda: versions(client, doc['id'], team.ann) == [1], message='version 1')
    saved = client.put(f"/api/documents/{doc['id']}",
                       json={'content': 'Cucumbers climb the trellis'}, headers=team.bob)
    assert saved.status_code == 200 and saved.json['version'] == 2
    wait_until(lambda: versions(client, doc['id'], team.ann) == [2, 1], message='version 2')
    wait_for_jobs_idle()
    search = client.get(f"/api/workspaces/{team.ws_id}/search?q=trellis", headers=team.bob).json
    assert [hit['id'] for hit in search['results']] == [doc['id']]
    assert '<mark>trellis</mark>' in search['results'][0]['snippet']
    old = client.get(f"/api/workspaces/{team.ws_id}/search?q=heirloom", headers=team.ann).json
    assert old['results'] == []   # the index follows the newest version
    first = client.get(f"/api/documents/{doc['id']}/versions/1", headers=team.ann).json
    assert first['content'] == 'Heirloom tomatoes need warm soil'


def test_search_ranks_title_hits_first_and_escapes_snippets(client, team, consumer):
    team.document('Compost notes', 'Leaves and <b>coffee</b> grounds; compost turns monthly')
    team.document('Shopping', 'buy compost')
    team.document('Unrelated', 'nothing to see')
    wait_for_jobs_idle()
    hits = client.get(f'/api/workspaces/{team.ws_id}/search?q=compost', headers=team.ann).json['results']
    assert [h['title'] for h in hits] == ['Compost notes', 'Shopping']
    escaped = client.get(f'/api/workspaces/{team.ws_id}/search?q=coffee', headers=team.ann).json
    assert '&lt;b&gt;<mark>coffee</mark>&lt;/b&gt;' in escaped['results'][0]['snippet']
    odd = client.get(f'/api/workspaces/{team.ws_id}/search', query_string={'q': '"AND (* NEAR'},
                     headers=team.ann)
    assert odd.status_code == 200   # operators are plain words, never a syntax error


def test_search_sees_only_its_own_workspace(client, team, consumer):
    team.document('Secret', 'the password is marigold')
    other = client.post('/api/workspaces', json={'name': 'Other'}, headers=team.eve).json
    wait_for_jobs_idle()
    result = client.get(f"/api/workspaces/{other['id']}/search?q=marigold", headers=team.eve)
    assert result.status_code == 200 and result.json['results'] == []


def test_deleting_a_document_removes_it_from_search(client, team, consumer):
    doc = team.document('Tulips', 'Bulbs go in before frost')
    wait_for_jobs_idle()
    assert client.delete(f"/api/documents/{doc['id']}", headers=team.ann).status_code == 200
    assert client.get(f"/api/documents/{doc['id']}", headers=team.ann).status_code == 404
    wait_for_jobs_idle()
    hits = client.get(f'/api/workspaces/{team.ws_id}/search?q=bulbs', headers=team.ann).json
    assert hits['results'] == []


@pytest.mark.env(VERSIONS_KEEP='3')
def test_cleanup_keeps_the_newest_versions(client, team, consumer):
    doc = team.document('Log', 'v1')
    for n in range(2, 7):
        wait_for_jobs_idle()   # each save's snapshot is taken before the next save
        client.put(f"/api/documents/{doc['id']}", json={'content': f'v{n}'}, headers=team.ann)
    wait_until(lambda: versions(client, doc['id'], team.ann) == [6, 5, 4], timeout=15,
               message='only the newest three versions')
    assert DocumentVersion.select().where(DocumentVersion.document == doc['id']).count() == 3


def test_document_actions_are_logged_in_the_activity_feed(client, team, consumer):
    # Each action waits for the last to be logged: two workers could otherwise
    # append two entries of the same instant in either order.
    doc = team.document()
    wait_for_jobs_idle()
    client.put(f"/api/documents/{doc['id']}", json={'title': 'Plan B', 'content': 'x'},
               headers=team.bob)
    wait_for_jobs_idle()
    client.delete(f"/api/documents/{doc['id']}", headers=team.ann)
    wait_for_jobs_idle()
    feed = client.get(f'/api/workspaces/{team.ws_id}/activity', headers=team.bob).json['activity']
    assert [a['action'] for a in feed[:3]] == ['document.deleted', 'document.updated',
                                               'document.created']
    assert feed[1]['user_name'] == 'Bob' and feed[1]['metadata'] == {'title': 'Plan B',
                                                                      'version': 2}
    assert Activity.select().where(Activity.action == 'member.joined').count() == 1


def test_activity_pages_newest_first(client, team, consumer):
    for n in range(5):
        team.channel(f'room-{n}')
        wait_for_jobs_idle()   # one at a time, as people act: the feed order is then certain
    page = client.get(f'/api/workspaces/{team.ws_id}/activity?limit=2', headers=team.ann).json
    assert [a['metadata']['name'] for a in page['activity']] == ['room-4', 'room-3']
    rest = client.get(f"/api/workspaces/{team.ws_id}/activity?limit=2&before={page['next_before']}",
                      headers=team.ann).json
    assert [a['metadata']['name'] for a in rest['activity']] == ['room-2', 'room-1']


def test_quick_saves_each_keep_their_version(app, client, team, settings):
    """Saves made before any consumer runs each keep their own content."""
    doc = team.document('Notes', 'one')
    for content in ('one\ntwo', 'one\ntwo\nthree'):
        client.put(f"/api/documents/{doc['id']}", json={'content': content}, headers=team.ann)
    listed = client.get(f"/api/documents/{doc['id']}/versions", headers=team.ann).json['versions']
    assert [v['version'] for v in listed] == [3, 2, 1]
    second = client.get(f"/api/documents/{doc['id']}/versions/2", headers=team.ann).json
    assert second['content'] == 'one\ntwo'

    from collab.jobs.runner import ConsumerRunner
    runner = ConsumerRunner(settings, embedded=True, workers=2)
    runner.start()
    try:
        def described():
            rows = client.get(f"/api/documents/{doc['id']}/versions", headers=team.ann).json
            return {v['version']: (v['lines_added'], v['lines_removed'])
                    for v in rows['versions']}
        wait_until(lambda: None not in {a for a, _ in described().values()}, timeout=15,
                   message='every version described')
        assert described() == {1: (1, 0), 2: (1, 0), 3: (1, 0)}
    finally:
        runner.stop()
