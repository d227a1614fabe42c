"""/admin/…: the server-rendered dashboard. Pages work without JavaScript (a
refresh link); admin.js swaps in the live region of the same page every few
seconds. Actions are CSRF-checked form POSTs answered with a flashed message."""
from flask import (Blueprint, flash, redirect, render_template, request, url_for)

from collab import validation as v
from collab.admin import job_actions, format, queries, schedule, stats
from collab.jobs.counts import state_counts, task_names
from collab.admin.filters import TABS, JobFilter
from collab.auth import admin_required
from collab.errors import ApiError

bp = Blueprint('admin', __name__, url_prefix='/admin', static_folder='static',
               static_url_path='/static')
PAGE_SIZE = 50
DEAD_LETTERS = 20   # the newest refused messages shown on the system page
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@bp.record_once
def _register_filters(state):
    state.app.jinja_env.filters.update(format.FILTERS)


@bp.after_request
def _security_headers(response):
    response.headers.setdefault('Content-Security-Policy', CSP)
    response.headers.setdefault('X-Content-Type-Options', 'nosniff')
    response.headers.setdefault('Referrer-Policy', 'same-origin')
    return response


def _render(template, partial_template=None, **context):
    """The whole page, or only its live region when admin.js asks (?partial=1)."""
    if partial_template and request.args.get('partial') == '1':
        return render_template(partial_template, **context)
    return render_template(template, **context)


@bp.get('/')
@admin_required
def index():
    return redirect(url_for('admin.jobs'))


@bp.get('/jobs')
@admin_required
def jobs():
    job_filter = JobFilter.from_mapping(request.args)
    cursor = v.int_arg('cursor', None, 0, 2**62)
    rows, next_cursor = queries.list_jobs(job_filter, PAGE_SIZE, cursor)
    return _render('admin/jobs.html', 'admin/_jobs_live.html', jobs=[j.to_dict() for j in rows],
                   next_cursor=next_cursor, cursor=cursor, filter=job_filter, tabs=TABS,
                   counts=state_counts(job_filter.task), task_names=task_names())


@bp.get('/jobs/<job_id>')
@admin_required
def job(job_id):
    detail = queries.job_detail(job_id)
    return _render('admin/job.html', 'admin/_job_live.html', job=detail,
                   retryable=detail['state'] in job_actions.RETRYABLE,
                   revocable=detail['state'] in job_actions.REVOCABLE,
                   deletable=detail['state'] in job_actions.DELETABLE)


@bp.post('/jobs/<job_id>/<any(retry, revoke, delete):action>')
@admin_required
def job_action(job_id, action):
    handler = {'retry': job_actions.retry_job, 'revoke': job_actions.revoke_job,
               'delete': job_actions.delete_job}[action]
    outcome = _flash_outcome(handler, job_id)
    if outcome and action == 'retry':
        return _see(url_for('admin.job', job_id=outcome['job_id']))
    if outcome and action == 'delete':
        return _see(url_for('admin.jobs'))
    return _see(url_for('admin.job', job_id=job_id))


@bp.post('/jobs/bulk/<any(retry, revoke):action>')
@admin_required
def bulk_action(action):
    job_filter = JobFilter.from_mapping(request.form)
    handler = job_actions.bulk_retry if action == 'retry' else job_actions.bulk_revoke
    _flash_outcome(handler, job_filter)
    return _see(url_for('admin.jobs', **job_filter.as_args()))


@bp.get('/schedule')
@admin_required
def periodic_schedule():
    return _render('admin/schedule.html', 'admin/_schedule_live.html',
                   schedule=schedule.periodic_schedule())


@bp.post('/schedule/<task>/<any(run, pause, resume):action>')
@admin_required
def periodic_action(task, action):
    handler = {'run': job_actions.run_periodic, 'pause': job_actions.pause_periodic,
               'resume': job_actions.resume_periodic}[action]
    _flash_outcome(handler, task)
    return _see(url_for('admin.periodic_schedule'))


@bp.get('/system')
@admin_required
def system():
    data = stats.dashboard_stats()
    charts = {name: stats.chart(data[name]) for name in ('hour', 'day')}
    return _render('admin/system.html', 'admin/_system_live.html', stats=data,
                   charts=charts, counts=state_counts(),
                   dead_letters=[d.to_dict() for d in queries.list_dead_letters(DEAD_LETTERS)])


def _flash_outcome(handler, *args):
    try:
        outcome = handler(*args)
    except ApiError as exc:
        flash(exc.message, 'error')
        return None
    flash(outcome['message'], 'success')
    return outcome


def _see(location):
    return redirect(location, code=303)
