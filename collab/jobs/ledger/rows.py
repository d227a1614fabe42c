"""What a job's row says: its identity, display arguments and links, built
from the task by the writer (off the task's thread)."""
import json
from datetime import timezone

from collab.jobs.models import QUEUED, SCHEDULED
from collab.jobs.names import task_name

ARGS_LIMIT = 2000

# One encoder for every job: json.dumps with options builds a new one per call.
_COMPACT_JSON = json.JSONEncoder(separators=(',', ':'))


def display_args(task):
    """A JSON-safe, truncated copy of the arguments for people to read."""
    data = {'args': _json_safe(task.args)}
    if task.kwargs:
        data['kwargs'] = _json_safe(task.kwargs)
    text = _COMPACT_JSON.encode(data)
    if len(text) > ARGS_LIMIT:
        text = json.dumps({'args': [text[:ARGS_LIMIT] + '…'], 'truncated': True})
    return text


def _json_safe(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return repr(value)


def identity(task, retries, now):
    """The row's first columns (sql.IDENTITY up to enqueued_at)."""
    return [task.id, task_name(task), display_args(task), task.signed_message,
            (retries or 0) + 1, now]


NO_LINKS = [None, None, None, None]


def stored_params(stored, state=None):
    """The 'stored' statement's parameters; `state` instead of queued or scheduled
    (the first parameters of 'stored_ran' too)."""
    task, now = stored.task, stored.at
    parent, pipeline_parent, pipeline_id, group_id, group_kind = links(
        task, stored.current, stored.group_id)
    eta = naive(stored.eta)
    state = state or (SCHEDULED if eta is not None and eta > now else QUEUED)
    # pipeline_id: a later stage inherits its parent's pipeline (or the parent is the head).
    return identity(task, stored.retries, now) + [
        parent, pipeline_parent, pipeline_parent or pipeline_id, group_id, group_kind,
        state, eta]


def links(task, current, context_group_id):
    """(parent_id, pipeline_parent, pipeline_id, group_id, group_kind) for a job being
    stored by `current` (the task running then in that thread, if any)."""
    parent = current.id if current is not None and current.id != task.id else None
    pipeline_parent = parent if current is not None and current.on_complete is task else None
    pipeline_id = task.id if task.on_complete is not None else None
    group_id, group_kind = None, None
    chord_config = _chord_config(task)
    if chord_config is not None:
        group_id, group_kind = chord_config.cid, 'chord'
    elif current is not None and _is_chord_callback(current, task):
        group_id, group_kind = _chord_config(current).cid, 'chord'
    elif context_group_id:
        group_id, group_kind = context_group_id, 'group'
    return parent, pipeline_parent, pipeline_id, group_id, group_kind


def _chord_config(task):
    while task is not None:
        if task.chord_config is not None:
            return task.chord_config
        task = task.on_complete
    return None


def _is_chord_callback(current, task):
    config = current.chord_config
    return config is not None and config.callback is task


def naive(moment):
    """A UTC datetime without tzinfo, as the job table keeps them."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
