"""Reads over the job ledger for the admin views: no query per row."""
from collab.errors import ApiError
from collab.job_models import STATES, DeadLetter, Job, JobAttempt

MAX_LIMIT = 500


def list_jobs(state=None, task=None, limit=50, cursor=None):
    """Newest first; `cursor` is the last seen job's seq. Returns (jobs, next_cursor)."""
    query = Job.select()
    if state:
        if state not in STATES:
            raise ApiError(400, f'state must be one of {", ".join(STATES)}', 'state')
        query = query.where(Job.state == state)
    if task:
        query = query.where(Job.task == task)
    if cursor is not None:
        query = query.where(Job.seq < cursor)
    jobs = list(query.order_by(Job.seq.desc()).limit(limit + 1))
    next_cursor = jobs[limit - 1].seq if len(jobs) > limit else None
    return jobs[:limit], next_cursor


def job_detail(job_id):
    job = Job.get_or_none(Job.job_id == job_id)
    if job is None:
        raise ApiError(404, 'no such job')
    attempts = (JobAttempt.select().where(JobAttempt.job_id == job_id)
                .order_by(JobAttempt.id))
    data = job.to_dict()
    data['attempts_log'] = [a.to_dict(n) for n, a in enumerate(attempts, start=1)]
    data['related'] = [j.to_dict() for j in related_jobs(job)]
    return data


def related_jobs(job, limit=100):
    """The parent, the children, and the pipeline/group/chord siblings of a job."""
    condition = Job.parent_id == job.job_id
    if job.parent_id:
        condition |= Job.job_id == job.parent_id
    if job.pipeline_id:
        condition |= Job.pipeline_id == job.pipeline_id
    if job.group_id:
        condition |= Job.group_id == job.group_id
    return (Job.select().where(condition & (Job.job_id != job.job_id))
            .order_by(Job.seq).limit(limit))


def list_dead_letters(limit=50):
    return DeadLetter.select().order_by(DeadLetter.id.desc()).limit(limit)
