"""GET /metrics: Prometheus text for an admin, or for a scraper holding METRICS_TOKEN
(`Authorization: Bearer <METRICS_TOKEN>`)."""
from flask import Blueprint, Response, g

from collab.admin import stats
from collab.jobs.counts import task_state_counts
from collab.errors import ApiError
from collab.jobs.models import live_consumers

bp = Blueprint('metrics', __name__)
CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'


@bp.get('/metrics')
def metrics():
    user = g.get('user')
    if g.get('auth') != 'metrics' and not (user is not None and user.is_admin):
        raise ApiError(403 if user is not None else 401, 'an admin or the METRICS_TOKEN is required')
    return Response(render_metrics(), content_type=CONTENT_TYPE)


def _label(value):
    return str(value).replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _metric(lines, name, kind, help_text, samples):
    lines.append(f'# HELP {name} {help_text}')
    lines.append(f'# TYPE {name} {kind}')
    for labels, value in samples:
        label_text = ','.join(f'{k}="{_label(v)}"' for k, v in labels.items())
        lines.append(f'{name}{{{label_text}}} {value}' if label_text else f'{name} {value}')


def render_metrics():
    lines = []
    _metric(lines, 'collab_jobs', 'gauge', 'Recorded jobs by task and state.',
            [({'task': t, 'state': s}, n) for (t, s), n in sorted(task_state_counts().items())])
    depth = stats.queue_depth()
    _metric(lines, 'collab_queue_depth', 'gauge', 'Messages waiting in the queue.',
            [({}, depth['queued'] if depth['queued'] is not None else 'NaN')])
    _metric(lines, 'collab_schedule_depth', 'gauge', 'Messages waiting in the schedule.',
            [({}, depth['scheduled'] if depth['scheduled'] is not None else 'NaN')])
    slow = stats.slow_stats()
    durations = []
    for row in slow['tasks']:
        for quantile, key in (('0.5', 'p50_ms'), ('0.95', 'p95_ms')):
            if row[key] is not None:
                durations.append(({'task': row['task'], 'quantile': quantile}, row[key] / 1000))
    _metric(lines, 'collab_job_duration_seconds', 'summary',
            'Job run time over each task\'s recent runs.', durations)
    hour = slow['hour']
    _metric(lines, 'collab_jobs_finished_last_hour', 'gauge', 'Jobs finished in the last hour.',
            [({'state': 'succeeded'}, hour['succeeded']), ({'state': 'failed'}, hour['failed'])])
    _metric(lines, 'collab_consumers_alive', 'gauge', 'Consumer processes with a recent heartbeat.',
            [({}, live_consumers().count())])
    return '\n'.join(lines) + '\n'
