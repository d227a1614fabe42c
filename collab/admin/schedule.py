"""The periodic schedule: each periodic task with its next run, last run and pause flag."""
from datetime import timedelta

from collab.fields import iso, utcnow
from collab.jobs.models import Job
from collab.jobs import control
from collab.admin import schedule_words

LOOKAHEAD_MINUTES = 8 * 24 * 60   # a weekly crontab is due within 7 days
_next_run_cache = {}


def next_run(name, task_class, now):
    """The next minute at which the task's crontab is due (None if not within 8 days)."""
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    key = (name, start)
    if key not in _next_run_cache:
        if len(_next_run_cache) > 1000:
            _next_run_cache.clear()
        validate = task_class().validate_datetime
        _next_run_cache[key] = next(
            (start + timedelta(minutes=m) for m in range(LOOKAHEAD_MINUTES)
             if validate(start + timedelta(minutes=m))), None)
    return _next_run_cache[key]


def last_run(name):
    return (Job.select(Job.job_id, Job.state, Job.enqueued_at, Job.finished_at, Job.error)
            .where(Job.task == name).order_by(Job.seq.desc()).first())


def periodic_schedule(now=None):
    """[{task, description, paused, next_run, every, next_runs, last_run}] sorted by name
    (`every`: the schedule in words; `next_runs`: the next three)."""
    now = now or utcnow()
    entries = []
    for name, task_class in sorted(control.periodic_tasks().items()):
        last = last_run(name)
        entries.append({
            'task': name,
            'description': (task_class.__doc__ or '').strip().split('\n')[0],
            'paused': control.is_paused(name),
            'next_run': iso(next_run(name, task_class, now)),
            'every': schedule_words.describe(schedule_words.schedule_function(task_class)),
            'next_runs': [iso(m) for m in schedule_words.next_runs(
                schedule_words.schedule_function(task_class), now)],
            'last_run': None if last is None else {
                'id': last.job_id, 'state': last.state, 'enqueued_at': iso(last.enqueued_at),
                'finished_at': iso(last.finished_at), 'error': last.error},
        })
    return entries
