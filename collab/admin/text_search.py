"""The parts of the admin's search that the args index does not serve.

On SQLite the args index (collab/jobs/args_index.py) finds the jobs whose
argument text matches. A search also matches error text and, from 8
characters, the start of a job id: those jobs are walked here, each over an
index of its own (errors: the partial index on the jobs that have one; ids:
the unique job_id index), and merged with the index's, newest first. Every
walk keeps the whole filter's conditions, so a job is in the page exactly
when a plain scan with JobFilter.conditions() would find it.
"""
import heapq


def other_walks(job_filter, select, conditions, limit, cursor):
    """Newest-first lists of up to `limit` jobs matching by error text, log text or id prefix.
    `select(conditions, limit, cursor)` runs one walk."""
    walks = [select([*conditions, job_filter.error_condition()], limit, cursor),
             select([*conditions, job_filter.log_condition()], limit, cursor)]
    if job_filter.id_prefix:
        walks.append(select([*conditions, job_filter.id_prefix_condition()], limit, cursor))
    return walks


def newest_first(walks, limit):
    """The walks (each newest first) merged, each job once, at most `limit`."""
    seen, merged = set(), []
    for job in heapq.merge(*walks, key=lambda job: -job.seq):
        if job.seq not in seen:
            seen.add(job.seq)
            merged.append(job)
            if len(merged) == limit:
                break
    return merged
