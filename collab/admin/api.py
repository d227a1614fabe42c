"""/admin/api/…: the job ledger and the admin actions as JSON, for admins only."""
from flask import Blueprint, jsonify, request

from collab import validation as v
from collab.admin import job_actions, queries, schedule, stats, workflow
from collab.jobs import progress
from collab.jobs.counts import state_counts
from collab.admin.filters import JobFilter
from collab.admin.tab_counts import tab_counts
from collab.auth import admin_required

bp = Blueprint('admin_api', __name__, url_prefix='/admin/api')


@bp.get('/jobs')
@admin_required
def jobs():
    jobs, next_cursor = queries.list_jobs(
        JobFilter.from_mapping(request.args),
        limit=v.int_arg('limit', 50, 1, queries.MAX_LIMIT),
        cursor=v.int_arg('cursor', None, 0, 2**62))
    return jsonify({'jobs': progress.attach_to([j.to_dict() for j in jobs]),
                    'next_cursor': next_cursor})


@bp.get('/jobs/<job_id>')
@admin_required
def job(job_id):
    return jsonify(queries.job_detail(job_id))


@bp.get('/jobs/<job_id>/graph')
@admin_required
def job_graph(job_id):
    return jsonify(workflow.graph(job_id))


@bp.post('/jobs/<job_id>/retry')
@admin_required
def retry(job_id):
    return jsonify(job_actions.retry_job(job_id))


@bp.post('/jobs/<job_id>/revoke')
@admin_required
def revoke(job_id):
    return jsonify(job_actions.revoke_job(job_id))


@bp.post('/jobs/<job_id>/run')
@admin_required
def run_now(job_id):
    return jsonify(job_actions.run_job_now(job_id))


@bp.delete('/jobs/<job_id>')
@bp.post('/jobs/<job_id>/delete')
@admin_required
def delete(job_id):
    return jsonify(job_actions.delete_job(job_id))


@bp.post('/jobs/retry')
@admin_required
def bulk_retry():
    return jsonify(job_actions.bulk_retry(JobFilter.from_mapping(_body())))


@bp.post('/jobs/revoke')
@admin_required
def bulk_revoke():
    return jsonify(job_actions.bulk_revoke(JobFilter.from_mapping(_body())))


@bp.post('/jobs/delete')
@admin_required
def bulk_delete():
    return jsonify(job_actions.delete_matching(JobFilter.from_mapping(_body())))


@bp.get('/counts')
@admin_required
def counts():
    return jsonify(tab_counts(JobFilter.from_mapping(request.args)).to_dict())


@bp.get('/stats')
@admin_required
def stats_():
    data = stats.dashboard_stats()
    data['counts'] = state_counts()
    return jsonify(data)


@bp.get('/schedule')
@admin_required
def periodic_schedule():
    return jsonify({'schedule': schedule.periodic_schedule()})


@bp.post('/schedule/<task>/<any(run, pause, resume):action>')
@admin_required
def periodic_action(task, action):
    handler = {'run': job_actions.run_periodic, 'pause': job_actions.pause_periodic,
               'resume': job_actions.resume_periodic}[action]
    return jsonify(handler(task))


@bp.get('/dead-letters')
@admin_required
def dead_letters():
    rows = queries.list_dead_letters(v.int_arg('limit', 50, 1, queries.MAX_LIMIT))
    return jsonify({'dead_letters': [d.to_dict() for d in rows]})


def _body():
    """A JSON object body, or an empty filter (bulk actions accept either)."""
    if not request.get_data():
        return {}
    return v.json_body()
