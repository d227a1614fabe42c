"""The server-rendered pages, through the test client (no JavaScript needed to read)."""
import re

from tests.support import sign_in_page, wait_for_jobs_idle


def csrf(client):
    return client.get('/api/auth/csrf').json['csrf_token']


def test_register_then_create_a_workspace_and_a_document(client):
    page = client.get('/register')
    assert page.status_code == 200 and b'Create an account' in page.data
    created = client.post('/register', data={'name': 'Zoe', 'email': 'zoe@example.com',
                                             'password': 'long enough', 'csrf_token': csrf(client)})
    assert created.status_code == 302
    made = client.post('/workspaces', data={'name': 'Allotment', 'csrf_token': csrf(client)})
    workspace_url = made.headers['Location']
    assert client.get('/').data.count(b'Allotment') == 1
    doc = client.post(workspace_url + '/documents', data={'title': 'Beans', 'content': 'runner',
                                                          'csrf_token': csrf(client)})
    editor = client.get(doc.headers['Location'])
    assert b'Beans' in editor.data and b'runner</textarea>' in editor.data


def test_a_bad_form_shows_a_message_not_an_error_page(client):
    client.post('/register', data={'name': 'Zoe', 'email': 'zoe@example.com',
                                   'password': 'long enough', 'csrf_token': csrf(client)})
    response = client.post('/workspaces', data={'name': '   ', 'csrf_token': csrf(client)},
                           headers={'Referer': '/'}, follow_redirects=True)
    assert response.status_code == 200 and b'name is required' in response.data
    short = client.post('/register', data={'name': 'Y', 'email': 'y@example.com', 'password': 'x',
                                           'csrf_token': csrf(client)}, follow_redirects=True)
    assert b'password must be at least 8 characters' in short.data


def test_a_channel_name_that_lower_case_makes_too_long_is_refused_on_the_page(client):
    client.post('/register', data={'name': 'Zoe', 'email': 'zoe@example.com',
                                   'password': 'long enough', 'csrf_token': csrf(client)})
    workspace_url = client.post('/workspaces', data={'name': 'Allotment',
                                                     'csrf_token': csrf(client)}).headers['Location']
    response = client.post(workspace_url + '/channels', data={'name': 'İ' * 80,
                                                              'csrf_token': csrf(client)},
                           headers={'Referer': workspace_url}, follow_redirects=True)
    assert response.status_code == 200
    assert b'name must be at most 80 characters' in response.data


def test_the_editor_saves_and_shows_the_diff_against_the_previous_version(client, team, consumer):
    doc = team.document('Plan', 'line one\nline two')
    sign_in_page(client, 'bob@example.com')
    saved = client.post(f"/d/{doc['id']}", data={'title': 'Plan', 'content': 'line one\nline 2',
                                                 'csrf_token': csrf(client)}, follow_redirects=True)
    assert b'Saved.' in saved.data and b'version 2' in saved.data
    wait_for_jobs_idle()
    diff = client.get(f"/d/{doc['id']}?diff=2").data.decode()
    assert '<span class="del">-line two</span>' in diff
    assert '<span class="add">+line 2</span>' in diff


def test_workspace_page_lists_everything_and_escapes_user_text(client, team, consumer):
    team.document('<img src=x onerror=alert(1)>', 'tomatoes')
    team.channel('general')
    sign_in_page(client, 'ann@example.com')
    wait_for_jobs_idle()
    page = client.get(f'/w/{team.ws_id}').data.decode()
    assert '&lt;img src=x onerror=alert(1)&gt;' in page and '<img src=x' not in page
    for text in ('#general', 'Ann', 'Bob', 'Export workspace',
                 'Ann created “&lt;img src=x onerror=alert(1)&gt;”'):   # the feed's sentence
        assert text in page
    results = client.get(f'/w/{team.ws_id}/search?q=tomatoes').data.decode()
    assert '<mark>tomatoes</mark>' in results


def test_a_plain_member_is_offered_no_invite_or_export_form(client, team):
    sign_in_page(client, 'bob@example.com')
    page = client.get(f'/w/{team.ws_id}').data.decode()
    assert 'Invite by email' not in page and 'Export workspace' not in page
    assert 'Owners and admins of this workspace export it.' in page
    assert 'Members, roles and invites' in page


def test_pages_of_a_workspace_are_for_members_only(client, team):
    doc = team.document()
    sign_in_page(client, 'eve@example.com')
    assert client.get(f'/w/{team.ws_id}').status_code == 403
    assert client.get(f"/d/{doc['id']}").status_code == 403
    assert client.get('/w/987654').status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get(f'/w/{team.ws_id}').status_code == 302


def test_the_notification_menu_counts_unread(client, team, consumer):
    team.document('Seeds')
    wait_for_jobs_idle()
    sign_in_page(client, 'bob@example.com')
    page = client.get('/').data.decode()
    assert re.search(r'id="notif-count" data-count="1"', page)
    assert 'Ann created “Seeds”' in client.get('/notifications').data.decode()
