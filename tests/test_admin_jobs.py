"""The job dashboard pages and the filtered JSON list, through the test client."""
import re
from datetime import timedelta

import pytest

from collab.fields import utcnow
from collab.jobs.models import Job
from collab.jobs.instance import huey
from tests.sample_tasks import always_fail
from tests.support import sign_up, sign_up_member, wait_until

XSS = '<script>alert("x")</script>'


def record(job_id, task='tests.sample_tasks.succeed', state='succeeded', args=(1,), **extra):
    """A ledger row as the ledger writes it."""
    return Job.create(job_id=job_id, task=task, state=state, args={'args': list(args)}, **extra)


@pytest.fixture
def admin(client):
    return sign_up(client, 'admin@example.com', admin=True).headers


@pytest.fixture
def jobs(app):
    now = utcnow()
    record('j-ok', state='succeeded', args=('alpha',), enqueued_at=now - timedelta(hours=3))
    record('j-failed', task='tests.sample_tasks.always_fail', state='failed', args=('beta',),
           error='ValueError: boom', attempts=4, max_attempts=4, enqueued_at=now - timedelta(hours=2))
    record('j-queued', state='queued', args=('gamma',), enqueued_at=now - timedelta(hours=1))
    record('j-revoked', state='revoked', enqueued_at=now - timedelta(minutes=30))
    record('j-expired', state='expired', enqueued_at=now - timedelta(minutes=20))
    record('j-interrupted', state='interrupted', enqueued_at=now - timedelta(minutes=10))
    return now


def ids(response):
    assert response.status_code == 200, response.json
    return [job['id'] for job in response.json['jobs']]


# ---------------------------------------------------------------- who may see it

def test_anonymous_is_sent_to_the_login_page(client):
    response = client.get('/admin/jobs?state=failed')
    assert response.status_code == 302
    assert response.headers['Location'].startswith('/login?next=')
    assert '/admin/jobs' in response.headers['Location']


@pytest.mark.parametrize('path', ['/admin/jobs', '/admin/jobs/x', '/admin/schedule', '/admin/system'])
def test_a_member_gets_403_on_every_page(client, path):
    headers = sign_up_member(client).headers
    assert client.get(path, headers=headers).status_code == 403


@pytest.mark.parametrize('path', ['/admin/api/jobs', '/admin/api/jobs/x', '/admin/api/stats',
                                  '/admin/api/schedule', '/admin/api/counts'])
def test_the_json_needs_an_admin(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=sign_up_member(client).headers).status_code == 403


def test_an_admin_sees_the_dashboard_with_tabs_and_counts(client, admin, jobs):
    page = client.get('/admin/jobs', headers=admin).get_data(as_text=True)
    for label in ('Queued', 'Scheduled', 'Running', 'Retrying', 'Failed', 'Succeeded',
                  'Revoked / expired / interrupted'):
        assert label in page
    assert re.search(r'data-tab="failed"[^>]*>Failed <span class="count">1</span>', page)
    assert re.search(r'data-tab="ended"[^>]*>[^<]*<span class="count">3</span>', page)
    assert 'j-failed' in page and 'ValueError: boom' in page
    assert '4/4' in page


def test_the_page_is_csp_friendly(client, admin, jobs):
    response = client.get('/admin/jobs', headers=admin)
    assert "script-src 'self'" in response.headers['Content-Security-Policy']
    page = response.get_data(as_text=True)
    scripts = re.findall(r'<script([^>]*)>(.*?)</script>', page, re.S)
    assert all('src=' in attrs and not body.strip() for attrs, body in scripts)   # none inline
    assert ' src="/admin/static/admin.js" defer' in [attrs for attrs, _ in scripts]
    assert client.get('/admin/static/admin.js').status_code == 200


def test_a_tab_shows_only_its_states(client, admin, jobs):
    page = client.get('/admin/jobs?state=ended', headers=admin).get_data(as_text=True)
    shown = re.findall(r'data-job="([^"]+)"', page)
    assert shown == ['j-interrupted', 'j-expired', 'j-revoked']


def test_the_live_region_alone_is_served_for_polling(client, admin, jobs):
    partial = client.get('/admin/jobs?state=failed&partial=1', headers=admin).get_data(as_text=True)
    assert 'data-job="j-failed"' in partial
    # The filter form stays put; the action buttons are live (they follow the jobs).
    assert '<html' not in partial and 'class="filters"' not in partial


def test_the_page_has_a_refresh_link_that_works_without_script(client, admin, jobs):
    page = client.get('/admin/jobs?state=failed', headers=admin).get_data(as_text=True)
    assert '>Refresh</a>' in page


# ---------------------------------------------------------------- filters (JSON and page)

def test_json_filters_by_state_list(client, admin, jobs):
    assert ids(client.get('/admin/api/jobs?state=failed', headers=admin)) == ['j-failed']
    assert ids(client.get('/admin/api/jobs?state=queued,succeeded', headers=admin)) == [
        'j-queued', 'j-ok']


def test_json_filters_by_task(client, admin, jobs):
    response = client.get('/admin/api/jobs?task=tests.sample_tasks.always_fail', headers=admin)
    assert ids(response) == ['j-failed']


def test_json_filters_by_time_range(client, admin, jobs):
    since = (jobs - timedelta(hours=2, minutes=30)).isoformat() + 'Z'
    until = (jobs - timedelta(minutes=45)).isoformat() + 'Z'
    response = client.get(f'/admin/api/jobs?since={since}&until={until}', headers=admin)
    assert ids(response) == ['j-queued', 'j-failed']


def test_json_search_matches_arguments_and_job_ids(client, admin, jobs):
    assert ids(client.get('/admin/api/jobs?q=beta', headers=admin)) == ['j-failed']
    assert ids(client.get('/admin/api/jobs?q=j-queued', headers=admin)) == ['j-queued']
    assert ids(client.get('/admin/api/jobs?q=nothing-like-this', headers=admin)) == []


def test_json_pages_by_cursor(client, admin, jobs):
    first = client.get('/admin/api/jobs?limit=4', headers=admin).json
    second = client.get(f'/admin/api/jobs?limit=4&cursor={first["next_cursor"]}', headers=admin).json
    assert len(first['jobs']) == 4 and second['next_cursor'] is None
    assert [j['id'] for j in first['jobs'] + second['jobs']] == [
        'j-interrupted', 'j-expired', 'j-revoked', 'j-queued', 'j-failed', 'j-ok']


@pytest.mark.parametrize('query, field', [('state=bogus', 'state'), ('since=yesterday', 'since'),
                                          ('limit=0', 'limit'), ('q=' + 'x' * 300, 'q')])
def test_bad_filters_are_a_400_naming_the_field(client, admin, query, field):
    response = client.get(f'/admin/api/jobs?{query}', headers=admin)
    assert response.status_code == 400 and response.json['field'] == field


def test_the_page_applies_every_filter(client, admin, jobs):
    since = (jobs - timedelta(hours=2, minutes=30)).strftime('%Y-%m-%dT%H:%M')
    url = f'/admin/jobs?state=failed&task=tests.sample_tasks.always_fail&q=beta&since={since}'
    page = client.get(url, headers=admin).get_data(as_text=True)
    assert re.findall(r'data-job="([^"]+)"', page) == ['j-failed']
    assert 'value="beta"' in page and f'value="{since}"' in page


def test_the_page_pages_by_cursor(client, admin, app):
    for n in range(55):
        record(f'job-{n:02d}')
    page = client.get('/admin/jobs', headers=admin).get_data(as_text=True)
    older = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace('&amp;', '&')
    rest = client.get(older, headers=admin).get_data(as_text=True)
    assert re.findall(r'data-job="([^"]+)"', rest) == [f'job-{n:02d}' for n in range(4, -1, -1)]


# ---------------------------------------------------------------- detail and escaping

def test_job_detail_shows_every_attempt_with_its_traceback(client, admin, app, consumer):
    result = always_fail('detail')
    wait_until(lambda: _state(result.id) == 'failed', timeout=15, message='the job to fail')
    detail = client.get(f'/admin/api/jobs/{result.id}', headers=admin).json
    assert [a['n'] for a in detail['attempts_log']] == [1, 2, 3, 4]
    assert all('Traceback' in a['traceback'] for a in detail['attempts_log'])
    page = client.get(f'/admin/jobs/{result.id}', headers=admin).get_data(as_text=True)
    assert page.count('class="attempt"') == 4 and 'Traceback (most recent call last)' in page
    assert consumer.id in page


def test_args_and_errors_are_escaped_everywhere(client, admin, app, consumer):
    result = always_fail(XSS)
    wait_until(lambda: _state(result.id) == 'failed', timeout=15, message='the job to fail')
    for path in ('/admin/jobs', '/admin/jobs?state=failed&partial=1', f'/admin/jobs/{result.id}',
                 f'/admin/jobs/{result.id}?partial=1'):
        page = client.get(path, headers=admin).get_data(as_text=True)
        assert '<script>alert' not in page, path
        assert '&lt;script&gt;alert' in page, path


def test_job_detail_links_parent_and_pipeline_siblings(client, admin, app):
    record('parent', state='succeeded', pipeline_id='pipe')
    record('child', state='succeeded', parent_id='parent', pipeline_id='pipe')
    detail = client.get('/admin/api/jobs/child', headers=admin).json
    assert detail['parent_id'] == 'parent'
    assert [(r['id'], r['relation']) for r in detail['related']] == [('parent', 'parent')]
    page = client.get('/admin/jobs/parent', headers=admin).get_data(as_text=True)
    assert 'href="/admin/jobs/child"' in page and 'data-label="Relation">child<' in page


def test_an_unknown_job_is_a_404(client, admin, app):
    assert client.get('/admin/api/jobs/nope', headers=admin).status_code == 404


def _state(job_id):
    huey.ledger.flush()
    job = Job.get_or_none(Job.job_id == job_id)
    return job.state if job else None
