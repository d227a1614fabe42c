"""Template filters for the dashboard. Jinja escapes their output like any value."""
import json

SHORT_ARGS = 80
SHORT_ERROR = 120


def short_args(job):
    """`(41, 'x', key=1)`, cut to a table cell's width."""
    parts = [json.dumps(a, ensure_ascii=False) for a in job.get('args') or []]
    parts += [f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in (job.get('kwargs') or {}).items()]
    return _cut('(' + ', '.join(parts) + ')', SHORT_ARGS)


def full_args(job):
    return json.dumps({'args': job.get('args') or [], 'kwargs': job.get('kwargs') or {}},
                      indent=2, ensure_ascii=False)


def short_error(text):
    return _cut((text or '').splitlines()[0] if text else '', SHORT_ERROR)


def moment(value):
    """'2024-05-01T10:00:00.123Z' → '2024-05-01 10:00:00'."""
    return value[:19].replace('T', ' ') if value else ''


def duration(ms):
    if ms is None:
        return ''
    if ms < 1000:
        return f'{ms:.0f} ms'
    if ms < 60_000:
        return f'{ms / 1000:.1f} s'
    return f'{ms / 60_000:.1f} min'


def percent(fraction):
    return f'{fraction * 100:.1f} %'


def _cut(text, limit):
    return text if len(text) <= limit else text[:limit - 1] + '…'


FILTERS = {'short_args': short_args, 'full_args': full_args, 'short_error': short_error,
           'moment': moment, 'duration': duration, 'percent': percent}
