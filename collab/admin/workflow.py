"""A job's workflow as a graph: the pipelines, groups and chords it belongs to,
read from the ledger's links (Job.parent_id, pipeline_id, group_id, group_kind).

A pipeline's stages link stage → next stage (a later stage's parent is the
stage before it); a chord's members each link to its callback (the callback's
parent is the member that finished last); a group's members have no edges.
"""
from collab.admin import svg
from collab.admin.queries import LIST_FIELDS, get_job
from collab.jobs.models import Job

MAX_NODES = 200      # a graph wider than this is cut (the page stays readable)
EXPAND_ROUNDS = 4    # pipelines within chords within pipelines…: a few levels


def workflow_of(job):
    """The jobs of every pipeline, group or chord `job` belongs to (transitively,
    a few levels), ordered by seq; [] when it belongs to none."""
    pipelines, groups = _workflow_ids([job])
    if not pipelines and not groups:
        return []
    found = {}
    for _ in range(EXPAND_ROUNDS):
        rows = _members(pipelines, groups, MAX_NODES)
        found.update((row.job_id, row) for row in rows)
        more_pipelines, more_groups = _workflow_ids(rows)
        if (more_pipelines <= pipelines and more_groups <= groups) or len(found) >= MAX_NODES:
            break
        pipelines, groups = pipelines | more_pipelines, groups | more_groups
    return sorted(found.values(), key=lambda row: row.seq)[:MAX_NODES]


def _workflow_ids(rows):
    return ({r.pipeline_id for r in rows if r.pipeline_id},
            {r.group_id for r in rows if r.group_id})


def _members(pipelines, groups, limit):
    condition = None
    if pipelines:
        condition = Job.pipeline_id.in_(sorted(pipelines))
    if groups:
        in_group = Job.group_id.in_(sorted(groups))
        condition = in_group if condition is None else condition | in_group
    return list(Job.select(*LIST_FIELDS).where(condition).order_by(Job.seq).limit(limit))


def edges_of(jobs):
    """[(from_id, to_id)]: pipeline stage → next stage, chord member → callback."""
    by_id = {job.job_id: job for job in jobs}
    edges = []
    for job in jobs:
        parent = by_id.get(job.parent_id)
        if parent is not None and job.pipeline_id and parent.pipeline_id == job.pipeline_id:
            edges.append((parent.job_id, job.job_id))
    edges.extend(_chord_edges(jobs, by_id))
    return edges


def _chord_edges(jobs, by_id):
    """Each chord's callback is the chord job started by another job of the same
    chord; every other job of the chord is a member that feeds it."""
    chords = {}
    for job in jobs:
        if job.group_kind == 'chord' and job.group_id:
            chords.setdefault(job.group_id, []).append(job)
    edges = []
    for chord in chords.values():
        callbacks = [j for j in chord if j.parent_id in by_id
                     and by_id[j.parent_id].group_id == j.group_id]
        members = [j for j in chord if j not in callbacks]
        edges.extend((m.job_id, c.job_id) for c in callbacks for m in members)
    return edges


def graph(job_id):
    """{nodes: [{id, task, state}], edges: [[from, to]]} of the job's workflow
    (nodes is empty when the job belongs to no pipeline, group or chord)."""
    jobs = workflow_of(get_job(job_id))
    return {'nodes': [{'id': j.job_id, 'task': j.task, 'state': j.state} for j in jobs],
            'edges': [list(edge) for edge in edges_of(jobs)]}


def layers(graph_data):
    """[[node, …], …]: each node in the layer after its furthest predecessor
    (a longest-path layering: every edge points to a later layer)."""
    nodes = graph_data['nodes']
    incoming = {node['id']: [] for node in nodes}
    for source, target in graph_data['edges']:
        if source in incoming and target in incoming:
            incoming[target].append(source)
    depth = {}

    def depth_of(node_id, seen=()):
        if node_id not in depth:
            if node_id in seen:   # a cycle cannot come from the ledger; stay finite anyway
                return 0
            depth[node_id] = max((depth_of(p, seen + (node_id,)) + 1
                                  for p in incoming[node_id]), default=0)
        return depth[node_id]

    result = []
    for node in nodes:   # seq order: within a layer, the order jobs were created
        layer = depth_of(node['id'])
        while len(result) <= layer:
            result.append([])
        result[layer].append(node)
    return result


def graph_svg(job_id, href_of):
    """The workflow graph of a job as SVG (None when it belongs to no workflow);
    `href_of(job_id)`: the link of a node."""
    data = graph(job_id)
    if not data['nodes']:
        return None
    return svg.workflow_svg(layers(data), data['edges'], href_of, current_id=job_id)
