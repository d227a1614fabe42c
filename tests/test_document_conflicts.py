"""Saves that don't lose edits: each carries the version it was based on, and one based
on an older version is refused with the current version (the JSON API and the page)."""
import threading

import pytest

from tests.support import ThreadedServer, bearer_token, http_json, page_client, page_csrf_token


def save(client, doc_id, headers, content, base=None, method='PUT', **more):
    body = {'content': content, **more}
    if base is not None:
        body['base_version'] = base
    return client.open(f'/api/documents/{doc_id}', method=method, json=body, headers=headers)


def test_a_save_based_on_an_older_version_is_refused_with_the_current_one(client, team):
    doc = team.document('Plan', 'Plant tomatoes')
    assert save(client, doc['id'], team.bob, 'Plant tomatoes and basil', base=1).status_code == 200

    stale = save(client, doc['id'], team.ann, 'Plant tomatoes in May', base=1)
    assert stale.status_code == 409
    assert stale.json['field'] == 'base_version'
    current = stale.json['current']
    assert current['version'] == 2 and current['content'] == 'Plant tomatoes and basil'
    assert current['author_name'] == 'Bob' and current['author_id'] == team.user_id(team.bob)
    assert current['title'] == 'Plan'

    kept = client.get(f"/api/documents/{doc['id']}", headers=team.ann).json
    assert kept['version'] == 2 and kept['content'] == 'Plant tomatoes and basil'
    listed = client.get(f"/api/documents/{doc['id']}/versions", headers=team.ann).json
    assert [v['version'] for v in listed['versions']] == [2, 1]


def test_a_save_on_top_of_the_current_version_is_taken(client, team):
    doc = team.document('Plan', 'one')
    save(client, doc['id'], team.bob, 'two', base=1)
    on_top = save(client, doc['id'], team.ann, 'one, then mine', base=2)
    assert on_top.status_code == 200 and on_top.json['version'] == 3
    assert client.get(f"/api/documents/{doc['id']}", headers=team.bob).json['content'] == \
        'one, then mine'


def test_a_save_without_a_base_version_overwrites_as_before(client, team):
    doc = team.document('Plan', 'one')
    save(client, doc['id'], team.bob, 'two', base=1)
    assert save(client, doc['id'], team.ann, 'three').json['version'] == 3


def test_patch_changes_the_title_alone_and_checks_the_base_too(client, team):
    doc = team.document('Plan', 'keep me')
    renamed = client.patch(f"/api/documents/{doc['id']}", json={'title': 'Plan B', 'base_version': 1},
                           headers=team.bob)
    assert renamed.status_code == 200
    assert renamed.json['title'] == 'Plan B' and renamed.json['version'] == 2
    assert client.get(f"/api/documents/{doc['id']}", headers=team.bob).json['content'] == 'keep me'
    stale = client.patch(f"/api/documents/{doc['id']}", json={'content': 'x', 'base_version': 1},
                         headers=team.ann)
    assert stale.status_code == 409 and stale.json['current']['title'] == 'Plan B'
    empty = client.patch(f"/api/documents/{doc['id']}", json={'base_version': 2},
                         headers=team.ann)
    assert empty.status_code == 400


@pytest.mark.parametrize('bad', ['2', 'two', True, 0, -1, 1.5, 2**70, [2], {'v': 2}])
def test_a_base_version_that_is_no_version_number_is_a_400(client, team, bad):
    doc = team.document()
    answer = client.put(f"/api/documents/{doc['id']}", json={'content': 'x', 'base_version': bad},
                        headers=team.ann)
    assert answer.status_code == 400 and answer.json['field'] == 'base_version'


def test_a_conflict_on_a_document_deleted_meanwhile_is_a_404(client, team):
    doc = team.document()
    client.delete(f"/api/documents/{doc['id']}", headers=team.ann)
    assert save(client, doc['id'], team.ann, 'late', base=1).status_code == 404


def test_two_saves_racing_on_the_same_base_one_wins_the_other_is_told(app, client, team,
                                                                       db_backend):
    """Two real HTTP requests at once, round after round: exactly one of each pair is
    saved, the other answers 409 with the winner's text, and no version is lost."""
    doc = team.document('Race', 'start')
    tokens = {'Ann': bearer_token(team.ann), 'Bob': bearer_token(team.bob)}
    server = ThreadedServer(app).start()
    try:
        for base in range(1, 6):
            answers, barrier = {}, threading.Barrier(2)

            def race(name):
                barrier.wait()
                answers[name] = http_json(server.url, 'PUT', f"/api/documents/{doc['id']}",
                                          {'content': f'{name} on {base}', 'base_version': base},
                                          tokens[name])
            threads = [threading.Thread(target=race, args=(n,)) for n in tokens]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(15)
            statuses = sorted(status for status, _ in answers.values())
            assert statuses == [200, 409], answers
            winner = next(n for n, (status, _) in answers.items() if status == 200)
            loser = next(n for n in tokens if n != winner)
            refused = answers[loser][1]
            assert refused['current']['version'] == base + 1
            assert refused['current']['content'] == f'{winner} on {base}'
            assert refused['current']['author_name'] == winner
    finally:
        server.stop()
    versions = client.get(f"/api/documents/{doc['id']}/versions", headers=team.ann).json
    assert [v['version'] for v in versions['versions']] == [6, 5, 4, 3, 2, 1]


# ------------------------------------------------------------------ the page

def test_the_page_keeps_the_text_of_a_conflicting_save_beside_the_current_version(app, team):
    doc = team.document('Plan', 'Plant tomatoes')
    ann, bob = page_client(app, 'ann@example.com'), page_client(app, 'bob@example.com')
    assert 'name="base_version" value="1"' in ann.get(f"/d/{doc['id']}").data.decode()

    saved = bob.post(f"/d/{doc['id']}", data={
        'title': 'Plan', 'content': 'Bob: **basil** too', 'base_version': '1',
        'csrf_token': page_csrf_token(bob)})
    assert saved.status_code == 302

    mine = 'Ann: <tomatoes> in May'
    refused = ann.post(f"/d/{doc['id']}", data={
        'title': 'Plan (Ann)', 'content': mine, 'base_version': '1',
        'csrf_token': page_csrf_token(ann)})
    page = refused.data.decode()
    assert refused.status_code == 409
    assert 'id="conflict-notice"' in page and 'Bob saved' in page
    assert '<textarea name="content" rows="16">Ann: &lt;tomatoes&gt; in May</textarea>' in page
    assert 'value="Plan (Ann)"' in page
    assert 'name="base_version" value="2"' in page   # saving again goes on top of Bob's
    assert '<strong>basil</strong>' in page            # the current version, rendered
    assert 'Save mine on top of version 2' in page

    on_top = ann.post(f"/d/{doc['id']}", data={
        'title': 'Plan (Ann)', 'content': mine, 'base_version': '2',
        'csrf_token': page_csrf_token(ann)})
    assert on_top.status_code == 302
    now = client_json(app, team, doc['id'])
    assert now['version'] == 3 and now['content'] == mine and now['title'] == 'Plan (Ann)'


def client_json(app, team, doc_id):
    return app.test_client().get(f'/api/documents/{doc_id}', headers=team.ann).json


def test_a_preview_renders_the_typed_text_and_saves_nothing(app, team):
    doc = team.document('Plan', 'saved text')
    ann = page_client(app, 'ann@example.com')
    shown = ann.post(f"/d/{doc['id']}", data={
        'title': 'Plan', 'content': '# Draft\n\n*soon*', 'base_version': '1',
        'action': 'preview', 'csrf_token': page_csrf_token(ann)})
    page = shown.data.decode()
    assert shown.status_code == 200
    assert '<article class="rendered" id="preview"><h1>Draft</h1>' in page
    assert '<em>soon</em>' in page
    assert '# Draft\n\n*soon*</textarea>' in page
    assert 'name="base_version" value="1"' in page   # still based on what was loaded
    assert client_json(app, team, doc['id'])['version'] == 1
