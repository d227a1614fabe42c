"""The parts of the admin's search that the args index does not serve.

On SQLite the args index (collab/jobs/args_index.py) finds the jobs whose
argument text matches. A search also matches error text, log text and, from
8 characters, the start of a job id: those jobs are walked here, each over an
index of its own (errors: the partial index on the jobs that have one; logs:
the log index, collab/jobs/log_search.py; ids: the unique job_id index), and
merged with the args index's, newest first. Every walk keeps the filter's
other conditions and adds one part of the search's OR, so the union holds a
job exactly when a plain scan with JobFilter.conditions() would find it, and
no walk pays for another's part.
"""
from collab.jobs.models import Job


def other_walks(job_filter, select, fields, conditions, state, limit, cursor):
    """Newest-first lists of up to `limit` jobs in `state` (or any) matching by error
    text, log text or id prefix. `select(conditions, limit, cursor)` runs one walk."""
    in_state = [Job.state == state] if state else []
    # Through an expression, the state cannot draw the planner to the state's index
    # (a walk of the whole tab) away from the walk's own, much shorter, index.
    aside = [Job.state.concat('') == state] if state else []
    logs = job_filter.log_search
    walks = [select([*conditions, *aside, job_filter.error_condition()], limit, cursor),
             logs.newest(fields, [*conditions, *in_state], limit, cursor)
             if logs.search is not None
             else select([*conditions, *in_state, logs.condition], limit, cursor)]
    if job_filter.id_prefix:
        walks.append(select([*conditions, *aside, job_filter.id_prefix_condition()],
                            limit, cursor))
    return walks
