"""The names people see for tasks."""
import functools

TASK_PREFIX = 'tasks.'


def task_name(task):
    """`activity.log_activity`, not `tasks.activity.log_activity` (a task or its class)."""
    return _name_of_class(task if isinstance(task, type) else type(task))


@functools.lru_cache(maxsize=None)
def _name_of_class(task_class):
    # Once per task class: the ledger asks for every job it records. The same
    # string as Huey's Registry.task_to_string, less the catalogue's package.
    name = f'{task_class.__module__}.{task_class.__name__}'
    return name[len(TASK_PREFIX):] if name.startswith(TASK_PREFIX) else name
