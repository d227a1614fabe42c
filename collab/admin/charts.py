"""The dashboard's charts: throughput and failures per window (stats.window_stats)
and queue wait (enqueue → start, p50/p95), for all jobs or one task, drawn by
collab.admin.svg.

Queue wait is measured on the jobs that finished in each slot of the window,
at most WAIT_SAMPLE of them per slot (an index range over finished_at, not a
scan of the window), and only first attempts: a retry's start says nothing of
the queue. A scheduled job waits from its scheduled time, not its enqueue.
"""
import threading
import time

from collab.admin import stats, svg
from collab.db import database
from collab.fields import utcnow
from collab.jobs.models import Job

WAIT_SAMPLE = 200
CHART_TTL = 10.0    # as stats.STATS_TTL: the page refreshes every few seconds
SUCCEEDED_COLOUR, FAILED_COLOUR = '#2e8b57', '#c0392b'
P50_COLOUR, P95_COLOUR = '#3b82c4', '#b7791f'
SLOT_NAMES = {'hour': '5 minutes', 'day': 'hour'}

_cache = {}
_cache_lock = threading.Lock()


def _cached(key, compute):
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] <= CHART_TTL:
            return hit[1]
    value = compute()
    with _cache_lock:
        if len(_cache) > 500:
            _cache.clear()
        _cache[key] = (time.monotonic(), value)
    return value


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _slot_waits(start, end, task):
    query = (Job.select(Job.enqueued_at, Job.scheduled_for, Job.started_at)
             .where((Job.finished_at >= start) & (Job.finished_at < end)
                    & Job.started_at.is_null(False) & (Job.attempts == 1)))
    if task is not None:
        query = query.where(Job.task == task)
    waits = []
    for enqueued, scheduled, started in query.order_by(Job.finished_at.desc()).limit(WAIT_SAMPLE).tuples():
        since = max(enqueued, scheduled) if scheduled is not None else enqueued
        waits.append(max(0.0, (started - since).total_seconds()))
    return waits


def queue_wait(name, task=None, now=None):
    """{'window', 'buckets': [{start, count, p50_s, p95_s}], 'p50_s', 'p95_s'}."""
    now = now or utcnow()
    span, step = stats.WINDOWS[name]
    start = now - span
    buckets, everything = [], []
    for i in range(int(span / step)):
        waits = _slot_waits(start + step * i, start + step * (i + 1), task)
        everything += waits
        buckets.append({'start': start + step * i, 'count': len(waits),
                        'p50_s': percentile(waits, 0.5), 'p95_s': percentile(waits, 0.95)})
    return {'window': name, 'buckets': buckets,
            'p50_s': percentile(everything, 0.5), 'p95_s': percentile(everything, 0.95)}


def seconds_text(seconds):
    """'350 ms', '4.2 s', '3.5 min'; '—' when no job finished."""
    if seconds is None:
        return '—'
    if seconds < 1:
        return f'{seconds * 1000:.0f} ms'
    return f'{seconds:.1f} s' if seconds < 60 else f'{seconds / 60:.1f} min'


def _x_labels(starts, name):
    """'10:05' for the hour's slots; '14 10:00' (day of month, hour) for the day's."""
    return [moment.strftime('%H:%M' if name == 'hour' else '%d %H:%M') for moment in starts]


def throughput_chart(window):
    """Succeeded and failed jobs per slot of a stats.window_stats window."""
    name, buckets = window['window'], window['buckets']
    labels = [b['start'][11:16] if name == 'hour' else b['start'][8:10] + ' ' + b['start'][11:16]
              for b in buckets]   # window_stats gives ISO strings
    return svg.line_chart(
        f'jobs finished per {SLOT_NAMES[name]}, last {name}',
        [('succeeded', SUCCEEDED_COLOUR, [b['succeeded'] for b in buckets]),
         ('failed', FAILED_COLOUR, [b['failed'] for b in buckets])],
        labels, f'jobs / {SLOT_NAMES[name]}')


def wait_chart(wait):
    """Queue wait p50 and p95 per slot (seconds); slots without jobs are gaps."""
    name, buckets = wait['window'], wait['buckets']
    return svg.line_chart(
        f'queue wait (enqueue to start) per {SLOT_NAMES[name]}, last {name}',
        [('p50', P50_COLOUR, [b['p50_s'] for b in buckets]),
         ('p95', P95_COLOUR, [b['p95_s'] for b in buckets])],
        _x_labels([b['start'] for b in buckets], name), 'wait (s)')


def window_charts(task=None):
    """{'hour': {...}, 'day': {...}}: per window its figures, throughput and wait charts."""
    def compute():
        result = {}
        for name in ('hour', 'day'):
            window = stats.window_stats(name, task=task)
            wait = queue_wait(name, task)
            result[name] = {'stats': window,
                            'wait': {'p50_s': wait['p50_s'], 'p95_s': wait['p95_s'],
                                     'p50_text': seconds_text(wait['p50_s']),
                                     'p95_text': seconds_text(wait['p95_s'])},
                            'throughput_chart': throughput_chart(window),
                            'wait_chart': wait_chart(wait)}
        return result
    return _cached(('windows', task, database.obj), compute)   # a new database: new figures
