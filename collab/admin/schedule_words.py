"""A periodic task's crontab in words ("every day at 08:00 UTC") and its next runs.

Huey's `crontab()` returns a test function; the value sets it matches
(months, days, weekdays, hours, minutes) live in that function's closure as
`cron_settings`. periodic_once keeps the function on the task class as
`schedule` (collab/jobs/slots.py); a plain periodic_task keeps it inside its
`validate_datetime`. A schedule that is not a crontab is "a custom schedule".
"""
import inspect
from datetime import timedelta

ALL = {'months': set(range(1, 13)), 'days': set(range(1, 32)), 'weekdays': set(range(7)),
       'hours': set(range(24)), 'minutes': set(range(60))}
WEEKDAYS = ('Sundays', 'Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays')
MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
          'September', 'October', 'November', 'December')
LOOKAHEAD_DAYS = 366 * 4 + 1   # "29 February" comes round within four years
CUSTOM = 'a custom schedule'


def schedule_function(task_class):
    """The function that says whether a minute is due, as the task was registered."""
    schedule = getattr(task_class, 'schedule', None)
    if schedule is not None:
        return schedule
    registered = _closure_value(task_class.validate_datetime, 'validate_datetime')
    return registered or task_class().validate_datetime   # a subclass's own method


def _closure_value(fn, name):
    try:
        return inspect.getclosurevars(fn).nonlocals.get(name)
    except (TypeError, ValueError):
        return None


def cron_fields(schedule):
    """{'months', 'days', 'weekdays', 'hours', 'minutes'} as sets, or None when
    `schedule` is not a huey crontab."""
    settings = _closure_value(schedule, 'cron_settings') if callable(schedule) else None
    if not (isinstance(settings, list) and len(settings) == 5):
        return None
    months, days, weekdays, hours, minutes = (set(values) for values in settings)
    return {'months': months, 'days': days, 'weekdays': {w % 7 for w in weekdays},
            'hours': hours, 'minutes': minutes}


def _step(values, full):
    """n when `values` is every n-th of `full` from its first value (n > 1), else None."""
    ordered = sorted(values)
    if len(ordered) < 2 or ordered[0] != min(full):
        return None
    step = ordered[1] - ordered[0]
    return step if ordered == sorted(full)[::step] else None


def _plural(n, unit):
    return f'{n} {unit}' if n == 1 else f'{n} {unit}s'


def _times(hours, minutes):
    return ', '.join(f'{h:02d}:{m:02d}' for h in sorted(hours) for m in sorted(minutes))


def _clock(fields):
    """The time-of-day part: 'every 5 minutes', 'every hour at :30', 'at 08:00 UTC'."""
    hours, minutes = fields['hours'], fields['minutes']
    every_hour = hours == ALL['hours']
    if minutes == ALL['minutes']:
        return 'every minute' if every_hour else f'every minute during hours {_list(hours)} UTC'
    minute_step = _step(minutes, ALL['minutes'])
    if minute_step and every_hour:
        return f'every {_plural(minute_step, "minute")}'
    if len(minutes) == 1 and every_hour:
        return f'every hour at :{min(minutes):02d}'
    hour_step = _step(hours, ALL['hours'])
    if len(minutes) == 1 and hour_step:
        return f'every {_plural(hour_step, "hour")} at :{min(minutes):02d}'
    if len(hours) * len(minutes) <= 6:
        return f'at {_times(hours, minutes)} UTC'
    return f'at minutes {_list(minutes)} of hours {_list(hours)} UTC'


def _list(values):
    return ', '.join(str(v) for v in sorted(values))


def _days(fields):
    """The calendar part: '' (every day), 'Sundays', 'on day 1 of the month', …"""
    parts = []
    if fields['weekdays'] != ALL['weekdays']:
        parts.append(', '.join(WEEKDAYS[w] for w in sorted(fields['weekdays'])))
    if fields['days'] != ALL['days']:
        parts.append(f"on day {_list(fields['days'])} of the month")
    if fields['months'] != ALL['months']:
        parts.append('in ' + ', '.join(MONTHS[m - 1] for m in sorted(fields['months'])))
    return ' '.join(parts)


def describe(schedule):
    """The schedule in words: 'every day at 08:00 UTC', 'every 5 minutes',
    'every hour at :30', 'Sundays at 00:00 UTC'."""
    fields = cron_fields(schedule)
    if fields is None:
        return CUSTOM
    clock, days = _clock(fields), _days(fields)
    if not days:
        return f'every day {clock}' if clock.startswith('at ') else clock
    return f'{days} {clock}'


def next_runs(schedule, now, count=3):
    """The next `count` minutes after `now` (UTC, naive) that the schedule names."""
    fields = cron_fields(schedule)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if fields is None:
        return _scan(schedule, start, count)
    runs = []
    day = start.replace(hour=0, minute=0)
    for _ in range(LOOKAHEAD_DAYS):
        if _day_matches(fields, day):
            runs += [moment for moment in _day_times(fields, day) if moment >= start]
            if len(runs) >= count:
                return runs[:count]
        day += timedelta(days=1)
    return runs


def _day_matches(fields, day):
    weekday = (day.weekday() + 1) % 7   # crontab counts from Sunday = 0
    return (day.month in fields['months'] and day.day in fields['days']
            and weekday in fields['weekdays'])


def _day_times(fields, day):
    return [day.replace(hour=h, minute=m) for h in sorted(fields['hours'])
            for m in sorted(fields['minutes'])]


def _scan(schedule, start, count, minutes=8 * 24 * 60):
    """Minute by minute, for a schedule that is only a function (within 8 days)."""
    runs = []
    for m in range(minutes):
        moment = start + timedelta(minutes=m)
        if schedule(moment):
            runs.append(moment)
            if len(runs) == count:
                break
    return runs
