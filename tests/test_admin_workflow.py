"""A job's workflow graph: GET /admin/api/jobs/<id>/graph and the SVG on its
page, for a chord and a pipeline run by a real consumer, on SQLite and PostgreSQL."""
import re

import pytest
from huey import group

from collab.jobs.instance import huey
from collab.jobs.models import Job
from tests.sample_tasks import add, succeed, total
from tests.support import sign_up, sign_up_member, wait_for_state

pytestmark = pytest.mark.usefixtures('db_backend')

ADD, TOTAL = 'tests.sample_tasks.add', 'tests.sample_tasks.total'


@pytest.fixture
def admin(client):
    return sign_up(client, 'root@example.com', admin=True).headers


def graph(client, admin, job_id):
    response = client.get(f'/admin/api/jobs/{job_id}/graph', headers=admin)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_a_chord_graph_links_every_member_to_the_callback(client, admin, consumer):
    result = huey.enqueue(group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]).then(total))
    wait_for_state(result.callback.id, 'succeeded')
    members = [r.id for r in result.results]
    callback = result.callback.id
    for job_id in members + [callback]:   # the same graph from any of its jobs
        data = graph(client, admin, job_id)
        assert {n['id']: (n['task'], n['state']) for n in data['nodes']} == {
            **{m: (ADD, 'succeeded') for m in members}, callback: (TOTAL, 'succeeded')}
        assert sorted(map(tuple, data['edges'])) == sorted((m, callback) for m in members)


def test_a_pipeline_graph_links_each_stage_to_the_next(client, admin, consumer):
    first, second, third = huey.enqueue(add.s(1, 2).then(add, 10).then(add, 100))
    wait_for_state(third.id, 'succeeded')
    data = graph(client, admin, second.id)
    assert [n['id'] for n in data['nodes']] == [first.id, second.id, third.id]
    assert {n['state'] for n in data['nodes']} == {'succeeded'}
    assert data['edges'] == [[first.id, second.id], [second.id, third.id]]


def test_a_group_graph_has_its_members_and_no_edges(client, admin, consumer):
    members = [r.id for r in huey.enqueue(group([succeed.s(1), succeed.s(2)]))]
    for job_id in members:
        wait_for_state(job_id, 'succeeded')
    data = graph(client, admin, members[0])
    assert {n['id'] for n in data['nodes']} == set(members)
    assert data['edges'] == []


def test_a_job_outside_any_workflow_has_an_empty_graph_and_no_svg(client, admin, consumer):
    result = succeed(5)
    wait_for_state(result.id, 'succeeded')
    assert graph(client, admin, result.id) == {'nodes': [], 'edges': []}
    page = client.get(f'/admin/jobs/{result.id}', headers=admin).get_data(as_text=True)
    assert 'svg class="workflow"' not in page


def test_an_unknown_job_has_no_graph(client, admin):
    response = client.get('/admin/api/jobs/no-such-job/graph', headers=admin)
    assert response.status_code == 404 and response.json['error']


def test_the_graph_needs_an_admin(client):
    member = sign_up_member(client, 'bob@example.com').headers
    assert client.get('/admin/api/jobs/x/graph', headers=member).status_code == 403


def test_the_job_page_draws_each_node_with_its_task_state_and_link(client, admin, consumer):
    result = huey.enqueue(group([add.s(1, 1), add.s(2, 2)]).then(total))
    wait_for_state(result.callback.id, 'succeeded')
    page = client.get(f'/admin/jobs/{result.callback.id}', headers=admin).get_data(as_text=True)
    svg = re.search(r'<svg class="workflow".*?</svg>', page, re.S).group(0)
    for job_id, task in [(r.id, ADD) for r in result.results] + [(result.callback.id, TOTAL)]:
        node = re.search(rf'<a href="/admin/jobs/{job_id}" data-node="{job_id}" '
                         rf'data-state="succeeded">.*?</a>', svg, re.S)
        assert node, f'no node for {job_id}'
        assert task in node.group(0) and '>succeeded</text>' in node.group(0)
    assert svg.count('class="edge"') == 2
    assert 'http' not in svg.replace('http://www.w3.org/2000/svg', '')   # nothing fetched


def test_a_task_name_in_the_graph_is_escaped(client, admin):
    for n, task in enumerate(['<script>x</script>', 'plain']):
        Job.create(job_id=f'g{n}', task=task, state='queued', group_id='grp', group_kind='group')
    page = client.get('/admin/jobs/g0', headers=admin).get_data(as_text=True)
    assert '<script>x</script>' not in page and '&lt;script&gt;x&lt;/script&gt;' in page
