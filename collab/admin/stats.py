"""Throughput, failure rates, per-task durations and consumers, for the dashboard.

Window totals come from an index range over finished_at; per-task durations
from each task's most recent runs (the (task, seq) index), not from all rows.
"""
import threading
import time
from datetime import timedelta

from collab.jobs.counts import task_state_counts
from collab.db import database, is_sqlite
from collab.fields import iso, utcnow
from collab.jobs.models import FAILED, SUCCEEDED, ConsumerProcess, Job, CONSUMER_DEAD_AFTER

WINDOWS = {'hour': (timedelta(hours=1), timedelta(minutes=5)),
           'day': (timedelta(days=1), timedelta(hours=1))}
DURATION_SAMPLE = 500


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return round(sorted_values[index], 1)


# Finished jobs per (state, time slot) of a window, counted by the database
# over the (finished_at, state) index: no row is read into Python.
SLOT_SQL = {
    'sqlite': "CAST((julianday(finished_at) - julianday({p})) * 86400 / {p} AS INTEGER)",
    'postgres': "CAST(FLOOR(EXTRACT(EPOCH FROM (finished_at - {p})) / {p}) AS INTEGER)",
}
WINDOW_SQL = """
    SELECT state, {slot} AS slot, COUNT(*) FROM job
    WHERE finished_at >= {p} AND finished_at <= {p} AND {state} IN ('succeeded', 'failed'){task}
    GROUP BY state, slot"""


def _slot_counts(start, end, step, task=None):
    dialect = 'sqlite' if is_sqlite() else 'postgres'
    p = database.param
    # SQLite's unary + keeps its planner off the (state, seq) index (and the
    # (task, seq) one: the window's finished_at range is the narrow side).
    state = '+state' if dialect == 'sqlite' else 'state'
    task_sql = '' if task is None else f" AND {'+task' if dialect == 'sqlite' else 'task'} = {p}"
    sql = WINDOW_SQL.format(slot=SLOT_SQL[dialect].format(p=p), p=p, state=state, task=task_sql)
    params = (start, step.total_seconds(), start, end) + (() if task is None else (task,))
    return database.execute_sql(sql, params).fetchall()


def window_stats(name, now=None, task=None):
    """Finished jobs (of one task, or all) in the last hour or day: totals,
    failure rate and buckets for a chart."""
    now = now or utcnow()
    span, step = WINDOWS[name]
    start = now - span
    count = int(span / step)
    succeeded, failed = [0] * count, [0] * count
    for state, slot, n in _slot_counts(start, now, step, task):
        slot = min(count - 1, max(0, int(slot)))
        (failed if state == FAILED else succeeded)[slot] += n
    total_ok, total_failed = sum(succeeded), sum(failed)
    done = total_ok + total_failed
    return {'window': name, 'succeeded': total_ok, 'failed': total_failed,
            'throughput_per_minute': round(done / (span.total_seconds() / 60), 2),
            'failure_rate': round(total_failed / done, 4) if done else 0.0,
            'buckets': [{'start': iso(start + step * i), 'succeeded': s, 'failed': f}
                        for i, (s, f) in enumerate(zip(succeeded, failed))]}


def recent_durations(task):
    rows = (Job.select(Job.duration_ms).where((Job.task == task) & Job.duration_ms.is_null(False))
            .order_by(Job.seq.desc()).limit(DURATION_SAMPLE).tuples())
    return sorted(value for (value,) in rows)


def per_task_stats():
    """[{task, count, succeeded, failed, failure_rate, p50_ms, p95_ms}] from the counts
    table and each task's last DURATION_SAMPLE runs."""
    totals = {}
    for (task, state), n in task_state_counts().items():
        totals.setdefault(task, {})[state] = n
    result = []
    for task in sorted(totals):
        states = totals[task]
        ok, failed = states.get(SUCCEEDED, 0), states.get(FAILED, 0)
        durations = recent_durations(task)
        result.append({'task': task, 'count': sum(states.values()), 'succeeded': ok,
                       'failed': failed,
                       'failure_rate': round(failed / (ok + failed), 4) if ok + failed else 0.0,
                       'p50_ms': percentile(durations, 0.5),
                       'p95_ms': percentile(durations, 0.95)})
    return result


def consumers(limit=50):
    """Consumer processes, newest heartbeat first; dead or stopped ones marked."""
    dead_before = utcnow() - CONSUMER_DEAD_AFTER
    rows = ConsumerProcess.select().order_by(ConsumerProcess.last_heartbeat.desc()).limit(limit)
    return [c.to_dict(alive=c.stopped_at is None and c.last_heartbeat >= dead_before)
            for c in rows]


# Hour and day windows and per-task percentiles move slowly but cost tens of
# milliseconds at a million jobs; the page refreshes every few seconds, so they
# are computed at most once per STATS_TTL per process.
STATS_TTL = 10.0
_cached = {'at': float('-inf'), 'database': None, 'value': None}
_cache_lock = threading.Lock()


def slow_stats():
    """The hour/day windows and per-task figures, recomputed at most every STATS_TTL seconds."""
    with _cache_lock:
        fresh = (time.monotonic() - _cached['at'] <= STATS_TTL
                 and _cached['database'] is database.obj)
        if not fresh:
            _cached['value'] = {'hour': window_stats('hour'), 'day': window_stats('day'),
                                'tasks': per_task_stats()}
            _cached['at'], _cached['database'] = time.monotonic(), database.obj
        return _cached['value']


def dashboard_stats():
    return {**slow_stats(), 'consumers': consumers(), 'queue': queue_depth()}


def queue_depth():
    from collab.jobs.instance import huey
    try:
        return {'queued': huey.storage.queue_size(), 'scheduled': huey.storage.schedule_size()}
    except Exception:
        return {'queued': None, 'scheduled': None}
