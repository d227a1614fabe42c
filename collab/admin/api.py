"""GET /admin/api/…: the job ledger as JSON, for admins only."""
from flask import Blueprint, jsonify, request

from collab import validation as v
from collab.admin import queries
from collab.auth import admin_required

bp = Blueprint('admin_api', __name__, url_prefix='/admin/api')


@bp.get('/jobs')
@admin_required
def jobs():
    jobs, next_cursor = queries.list_jobs(
        state=request.args.get('state') or None,
        task=request.args.get('task') or None,
        limit=v.int_arg('limit', 50, 1, queries.MAX_LIMIT),
        cursor=v.int_arg('cursor', None, 0, 2**62))
    return jsonify({'jobs': [j.to_dict() for j in jobs], 'next_cursor': next_cursor})


@bp.get('/jobs/<job_id>')
@admin_required
def job(job_id):
    return jsonify(queries.job_detail(job_id))


@bp.get('/dead-letters')
@admin_required
def dead_letters():
    rows = queries.list_dead_letters(v.int_arg('limit', 50, 1, queries.MAX_LIMIT))
    return jsonify({'dead_letters': [d.to_dict() for d in rows]})
