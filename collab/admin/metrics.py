"""GET /metrics: Prometheus metrics for an admin, or for a scraper holding METRICS_TOKEN
(`Authorization: Bearer <METRICS_TOKEN>`).

Every value is read from shared state at scrape time (the cumulative totals
in collab.jobs.totals, the queue, the consumers' heartbeats), not kept in
this process: any web process answers the same, and a restart loses nothing.
"""
from flask import Blueprint, Response, g
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from collab.admin import stats
from collab.errors import ApiError
from collab.jobs.models import live_consumers
from collab.jobs.queue_alerts import oldest_wait_seconds
from collab.jobs.totals import BUCKETS, DURATION, QUEUE_WAIT, finish_totals, histograms

bp = Blueprint('metrics', __name__)


@bp.get('/metrics')
def metrics():
    user = g.get('user')
    if g.get('auth') != 'metrics' and not (user is not None and user.is_admin):
        raise ApiError(403 if user is not None else 401, 'an admin or the METRICS_TOKEN is required')
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _histogram(name, help_text, metric, observed):
    family = HistogramMetricFamily(name, help_text, labels=['task'])
    bounds = [str(float(bound)) for bound in BUCKETS[metric]] + ['+Inf']
    for task, (counts, seconds) in sorted(observed.items()):
        cumulative, running = [], 0
        for bound, n in zip(bounds, counts):
            running += n
            cumulative.append((bound, running))
        family.add_metric([task], cumulative, seconds)
    return family


def _gauge(name, help_text, value):
    family = GaugeMetricFamily(name, help_text)
    family.add_metric([], float('nan') if value is None else value)
    return family


class LedgerCollector:
    """Yields the metric families from the database and the queue, per scrape."""

    def collect(self):
        jobs = CounterMetricFamily('collab_jobs', 'Jobs that reached a final state, '
                                   'by task and state.', labels=['task', 'state'])
        for (task, state), n in sorted(finish_totals().items()):
            jobs.add_metric([task, state], n)
        yield jobs
        observed = histograms()
        yield _histogram('collab_job_duration_seconds', 'Run time of finished jobs.',
                         DURATION, observed[DURATION])
        yield _histogram('collab_job_queue_wait_seconds', 'Time from a job being due '
                         'to its run starting.', QUEUE_WAIT, observed[QUEUE_WAIT])
        depth = stats.queue_depth()
        yield _gauge('collab_queue_depth', 'Messages waiting in the queue.', depth['queued'])
        yield _gauge('collab_schedule_depth', 'Messages waiting in the schedule.',
                     depth['scheduled'])
        yield _gauge('collab_consumers_alive', 'Consumer processes with a recent heartbeat.',
                     live_consumers().count())
        yield _gauge('collab_queue_oldest_wait_seconds', 'How long the oldest queued job '
                     'has waited.', oldest_wait_seconds())


# auto_describe off: describing would run the queries once more at registration.
REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(LedgerCollector())
