"""Reads over the job ledger for the admin: each page is a few indexed queries,
never one per row, never a count over the job table."""
import heapq

from collab.admin import text_search
from collab.jobs import args_index, job_logs, progress
from collab.jobs.counts import task_state_counts
from collab.admin.filters import JobFilter
from collab.errors import ApiError
from collab.jobs.models import SUCCEEDED, DeadLetter, Job, JobAttempt
from collab.jobs.trigram_index import newest_first

MAX_LIMIT = 500
# Every column but the signed message: lists never need it.
LIST_FIELDS = [f for f in Job._meta.sorted_fields if f.name != 'message']
# A search within a task or state that has at most this many jobs scans them
# (a few ms); beyond that the args index serves it (collab/jobs/args_index.py).
SCAN_ROWS = 20_000


def list_jobs(job_filter=None, limit=50, cursor=None, fields=LIST_FIELDS):
    """Newest first; `cursor` is the last seen job's seq. Returns (jobs, next_cursor).
    `fields` must hold Job.seq (the merge's order)."""
    job_filter = job_filter or JobFilter()
    if job_filter.q:
        exact = _exact_id_match(job_filter, cursor, fields)
        if exact is not None:
            return exact, None
    states = job_filter.states or (None,)
    search = args_index.prepare(job_filter.fragment) if job_filter.q else None
    # The kept counts tell whether a task or state is small enough to scan.
    narrowed = bool(job_filter.task or job_filter.states)
    counts = task_state_counts() if search is not None and narrowed else {}
    # One indexed (state, seq) walk per state, merged: an IN over several
    # states would make the database sort every matching row.
    walks = [_page_query(job_filter, state, limit + 1, cursor,
                         None if _few_jobs(counts, job_filter.task, state) else search, fields)
             for state in states]
    jobs = list(heapq.merge(*walks, key=lambda job: -job.seq))[:limit + 1]
    next_cursor = jobs[limit - 1].seq if len(jobs) > limit else None
    return jobs[:limit], next_cursor


def _page_query(job_filter, state, limit, cursor, search=None, fields=LIST_FIELDS):
    # With the args index, each walk takes one part of the search, not the whole OR.
    conditions = job_filter.conditions(text=search is None)
    in_state = [Job.state == state] if state else []

    def scan(conditions, limit, cursor):
        query = Job.select(*fields)
        for condition in conditions:
            query = query.where(condition)
        if cursor is not None:
            query = query.where(Job.seq < cursor)
        return list(query.order_by(Job.seq.desc()).limit(limit))

    if search is None:
        return scan([*conditions, *in_state], limit, cursor)
    # The args index finds argument text only; error text and id prefixes have walks of their own.
    walks = [args_index.newest(search, fields,
                               [*conditions, *in_state, job_filter.args_condition()], limit, cursor),
             *text_search.other_walks(job_filter, scan, fields, conditions, state, limit, cursor)]
    return newest_first(walks, limit)


def _few_jobs(counts, task, state):
    """Whether a task or state filter leaves at most SCAN_ROWS jobs, by `counts`
    ({(task, state): n}, the kept counts): then a scan beats the args index."""
    if task is None and state is None:
        return False
    return sum(n for (row_task, row_state), n in counts.items()
               if task in (None, row_task) and state in (None, row_state)) <= SCAN_ROWS


def _exact_id_match(job_filter, cursor, fields=LIST_FIELDS):
    """A search for a job id finds that job (if it also passes the other filters)."""
    if cursor is not None:
        return None
    job = Job.select(*fields).where(Job.job_id == job_filter.q).first()
    if job is None:
        return None
    passes = (not job_filter.states or job.state in job_filter.states) and \
        (not job_filter.task or job.task == job_filter.task)
    return [job] if passes else []


def get_job(job_id):
    job = Job.get_or_none(Job.job_id == job_id)
    if job is None:
        raise ApiError(404, 'no such job')
    return job


def attempts_of(job):
    """The job's attempts. A job that succeeded at its first attempt has no attempt
    row (the ledger saves that insert on most jobs): its own row is that attempt."""
    rows = list(JobAttempt.select().where(JobAttempt.job_id == job.job_id).order_by(JobAttempt.id))
    if rows or job.state != SUCCEEDED or job.attempts != 1:
        return rows
    return [JobAttempt(job_id=job.job_id, started_at=job.started_at, finished_at=job.finished_at,
                       outcome='succeeded', consumer=job.consumer)]


def job_detail(job_id):
    job = get_job(job_id)
    data = progress.attach_to([job.to_dict()])[0]
    logs = job_logs.logs_by_attempt(job.job_id)
    data['attempts_log'] = [a.to_dict(n) | {'logs': logs.get(a.started_at, [])}
                            for n, a in enumerate(attempts_of(job), start=1)]
    data['retried_from'] = retried_from(job)
    data['related'] = [describe_relation(job, other) | other.to_dict()
                       for other in related_jobs(job)]
    return data


def retried_from(job):
    """The id of the job an admin retried as this one, or None. A retry makes its
    new job a child of the old one (collab.jobs.control.retry_message)."""
    if not job.parent_id:
        return None
    return Job.select(Job.job_id).where((Job.job_id == job.parent_id)
                                        & (Job.retried_as == job.job_id)).scalar()


def related_jobs(job, limit=100):
    """The parent, the children, and the pipeline/group/chord siblings of a job."""
    condition = Job.parent_id == job.job_id
    if job.parent_id:
        condition |= Job.job_id == job.parent_id
    if job.pipeline_id:
        condition |= Job.pipeline_id == job.pipeline_id
    if job.group_id:
        condition |= Job.group_id == job.group_id
    return list(Job.select(*LIST_FIELDS).where(condition & (Job.job_id != job.job_id))
                .order_by(Job.seq).limit(limit))


def describe_relation(job, other):
    """{'relation': ...}: how `other` is linked to `job`."""
    if other.job_id == job.parent_id:
        relation = 'parent'
    elif other.parent_id == job.job_id:
        relation = 'child'
    elif job.pipeline_id and other.pipeline_id == job.pipeline_id:
        relation = 'pipeline'
    else:
        relation = job.group_kind or 'group'
    return {'relation': relation}


def list_dead_letters(limit=50):
    return DeadLetter.select().order_by(DeadLetter.id.desc()).limit(limit)
