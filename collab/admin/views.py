"""/admin/…: the server-rendered dashboard. Pages work without JavaScript (a
refresh link); admin.js swaps in the live region of the same page every few
seconds. Actions are CSRF-checked form POSTs answered with a flashed message."""
from flask import (Blueprint, flash, redirect, render_template, request, url_for)

from collab import validation as v
from collab.admin import charts, job_actions, format, queries, schedule, stats, workflow
from collab.jobs import progress
from collab.jobs.counts import state_counts, task_names
from collab.admin.filters import TABS, JobFilter
from collab.jobs.control import periodic_tasks as schedule_tasks
from collab.admin.filters import SUB_TABS, TAB_OF
from collab.admin.tab_counts import first_page, tab_counts
from collab.admin.bulk_buttons import bulk_buttons
from collab.jobs.models import FAILED
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
    counts = tab_counts(job_filter)
    page = first_page(job_filter, counts, PAGE_SIZE) if cursor is None else None
    rows, next_cursor = page or queries.list_jobs(job_filter, PAGE_SIZE, cursor)
    bulk = bulk_buttons(job_filter, counts, state_counts().get(FAILED, 0))
    return _render('admin/jobs.html', 'admin/_jobs_live.html',
                   jobs=progress.attach_to([j.to_dict() for j in rows]),
                   next_cursor=next_cursor, cursor=cursor, filter=job_filter, tabs=TABS,
                   counts=counts, task_names=task_names(), sub_tabs=SUB_TABS, tab_of=TAB_OF,
                   bulk=bulk)


@bp.get('/jobs/<job_id>')
@admin_required
def job(job_id):
    detail = queries.job_detail(job_id)
    graph = workflow.graph_svg(job_id, lambda other: url_for('admin.job', job_id=other))
    return _render('admin/job.html', 'admin/_job_live.html', job=detail, workflow_graph=graph,
                   retryable=detail['state'] in job_actions.RETRYABLE,
                   revocable=detail['state'] in job_actions.REVOCABLE,
                   deletable=detail['state'] in job_actions.DELETABLE,
                   runnable=detail['state'] in job_actions.RUNNABLE_NOW)


@bp.post('/jobs/<job_id>/<any(retry, revoke, delete, run):action>')
@admin_required
def job_action(job_id, action):
    handler = {'retry': job_actions.retry_job, 'revoke': job_actions.revoke_job,
               'delete': job_actions.delete_job, 'run': job_actions.run_job_now}[action]
    outcome = _flash_outcome(handler, job_id)
    if outcome and action == 'retry':
        return _see(url_for('admin.job', job_id=outcome['job_id']))
    if outcome and action == 'delete':
        return _see(url_for('admin.jobs'))
    return _see(url_for('admin.job', job_id=job_id))


@bp.post('/jobs/bulk/<any(retry, revoke, delete):action>')
@admin_required
def bulk_action(action):
    job_filter = JobFilter.from_mapping(request.form)
    handler = {'retry': job_actions.bulk_retry, 'revoke': job_actions.bulk_revoke,
               'delete': job_actions.delete_matching}[action]
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
    return _render('admin/system.html', 'admin/_system_live.html', stats=data,
                   charts=charts.window_charts(), counts=state_counts(),
                   dead_letters=[d.to_dict() for d in queries.list_dead_letters(DEAD_LETTERS)])


@bp.get('/tasks/<path:task>')
@admin_required
def task_page(task):
    """One task: its throughput, failures and queue wait over the last hour and day."""
    # A periodic task that has not run yet has a page too (linked from the schedule).
    if task not in task_names() and task not in schedule_tasks():
        raise ApiError(404, 'no such task')
    return _render('admin/task.html', 'admin/_task_live.html', task=task,
                   charts=charts.window_charts(task), counts=state_counts(task))


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
