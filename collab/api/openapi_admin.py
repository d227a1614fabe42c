"""The admin's JSON (/admin/api/…) in the API's OpenAPI description: its operations
(ADMIN_ROUTES) and the schemas of what they answer, read from the serializers in
collab/admin/ and collab/jobs/. GET /api/openapi.json serves them with the rest
(collab/api/openapi.py: `describe_too`, called at the end of this module).

The limits below are collab/admin's own: that package imports collab.api, so
this module cannot import it back; tests/test_openapi.py holds them equal.
"""
from collab.api import openapi
from collab.api.openapi import (ID, MAYBE_TIME, TIME, Route, answer, limit, nullable, query,
                                ref)
from collab.jobs.models import STATES

MAX_LIMIT = 500            # collab/admin/queries.py and users.py
MAX_QUERY = 200            # collab/admin/filters.py: the job search
MAX_USER_QUERY = 254       # collab/admin/users.py: the email search
MAX_CURSOR = 2**62         # collab/admin/api.py: a job's seq
TABS = ('queued', 'scheduled', 'running', 'retrying', 'failed', 'succeeded', 'ended',
        'retried')         # collab/admin/filters.py TAB_STATES
GROUP_KINDS = ('group', 'chord')
RELATIONS = ('parent', 'child', 'pipeline', *GROUP_KINDS)
ADMIN_ONLY = ('Administrators only: the bearer token or the session cookie of a user '
              'whose is_admin is true. Anonymous: 401; any other user: 403.')

# ------------------------------------------------------------------ schema pieces

STRING = {'type': 'string'}
MAYBE_STRING = nullable(STRING)
COUNT = {'type': 'integer', 'minimum': 0}
RATE = {'type': 'number', 'minimum': 0, 'maximum': 1}
STATE = {'type': 'string', 'enum': list(STATES)}
STATE_COUNTS = {'type': 'object', 'propertyNames': STATE, 'additionalProperties': COUNT,
                'description': 'jobs per state; a state with none is left out'}
# `state` takes a tab (one of several states) or states separated by commas; empty: any.
STATE_FILTER = {'type': 'string', 'maxLength': 100,
                'pattern': r'^\s*(?:{tabs}|(?:{states})(?:\s*,\s*(?:{states}))*)?\s*$'.format(
                    tabs='|'.join(TABS), states='|'.join(STATES))}
MOMENT = {'type': 'string', 'format': 'date-time', 'maxLength': 40,
          'description': 'ISO 8601, in UTC unless it names an offset; 1970 to 9999'}
FILTER_FIELDS = {'state': STATE_FILTER, 'task': {'type': 'string', 'maxLength': 100},
                 'q': {'type': 'string', 'maxLength': MAX_QUERY}, 'since': MOMENT,
                 'until': MOMENT}
FILTER_ABOUT = {'state': 'a tab (queued, scheduled, running, retrying, failed, succeeded, '
                         'ended, retried) or states separated by commas',
                'task': 'one task name', 'q': 'text in the arguments, error or logs, '
                                              'or (8 or more characters) the start of a job id',
                'since': 'enqueued at or after', 'until': 'enqueued before'}
FILTER_PARAMS = [query(name, schema, FILTER_ABOUT[name]) for name, schema in FILTER_FIELDS.items()]

JOB_FIELDS = {
    'id': STRING, 'task': STRING, 'state': STATE,
    'args': {'type': 'array', 'description': 'a display copy (a long one is cut)'},
    'kwargs': {'type': 'object', 'additionalProperties': True},
    'attempts': COUNT, 'max_attempts': COUNT, 'enqueued_at': TIME,
    'scheduled_for': MAYBE_TIME, 'started_at': MAYBE_TIME, 'finished_at': MAYBE_TIME,
    'duration_ms': nullable({'type': 'number', 'minimum': 0}), 'error': MAYBE_STRING,
    'parent_id': MAYBE_STRING, 'pipeline_id': MAYBE_STRING, 'group_id': MAYBE_STRING,
    'group_kind': nullable({'type': 'string', 'enum': list(GROUP_KINDS)}),
    'consumer': MAYBE_STRING, 'retried_as': MAYBE_STRING,
}
PROGRESS = nullable(answer({'done': {'type': 'number', 'minimum': 0},
                            'total': nullable({'type': 'number', 'minimum': 0}),
                            'note': MAYBE_STRING}))
LOG_RECORD = answer({'at': TIME, 'level': STRING, 'logger': STRING, 'message': STRING})
ATTEMPT = answer({'n': {'type': 'integer', 'minimum': 1}, 'started_at': TIME,
                  'finished_at': MAYBE_TIME, 'outcome': MAYBE_STRING, 'error': MAYBE_STRING,
                  'traceback': MAYBE_STRING, 'consumer': MAYBE_STRING,
                  'logs': {'type': 'array', 'items': LOG_RECORD}})
WINDOW = answer({'window': {'type': 'string', 'enum': ['hour', 'day']},
                 'succeeded': COUNT, 'failed': COUNT,
                 'throughput_per_minute': {'type': 'number', 'minimum': 0},
                 'failure_rate': RATE,
                 'buckets': {'type': 'array', 'items': answer({'start': TIME, 'succeeded': COUNT,
                                                               'failed': COUNT})}})
TASK_STATS = answer({'task': STRING, 'count': COUNT, 'succeeded': COUNT, 'failed': COUNT,
                     'failure_rate': RATE, 'p50_ms': nullable({'type': 'number'}),
                     'p95_ms': nullable({'type': 'number'})})
CONSUMER = answer({'id': STRING, 'hostname': STRING, 'pid': {'type': 'integer'},
                   'workers': {'type': 'integer'}, 'backend': STRING, 'started_at': TIME,
                   'last_heartbeat': TIME, 'stopped_at': MAYBE_TIME,
                   'alive': {'type': 'boolean'}})
LAST_RUN = nullable(answer({'id': STRING, 'state': STATE, 'enqueued_at': TIME,
                            'finished_at': MAYBE_TIME, 'error': MAYBE_STRING}))


def outcome(**more):
    """What an admin action answers (collab/admin/job_actions.py Outcome)."""
    return answer({'ok': {'const': True}, 'message': STRING, **more})


ADMIN_SCHEMAS = {
    'Job': answer({**JOB_FIELDS, 'progress': PROGRESS}),
    'JobDetail': answer({**JOB_FIELDS, 'progress': PROGRESS,
                         'attempts_log': {'type': 'array', 'items': ATTEMPT},
                         'retried_from': MAYBE_STRING,
                         'related': {'type': 'array', 'items': ref('RelatedJob')}}),
    'RelatedJob': answer({'relation': {'type': 'string', 'enum': list(RELATIONS)},
                          **JOB_FIELDS}),
    'Graph': answer({'nodes': {'type': 'array',
                               'items': answer({'id': STRING, 'task': STRING, 'state': STATE})},
                     'edges': {'type': 'array', 'description': '[from id, to id]',
                               'items': {'type': 'array', 'items': STRING, 'minItems': 2,
                                         'maxItems': 2}}}),
    'Counts': answer({'counts': STATE_COUNTS,
                      'capped': {'type': 'boolean', 'description': 'over 10,000 jobs matched: '
                                                                   'each count is a lower bound'}}),
    'Stats': answer({'hour': WINDOW, 'day': WINDOW,
                     'tasks': {'type': 'array', 'items': TASK_STATS},
                     'consumers': {'type': 'array', 'items': CONSUMER},
                     'queue': answer({'queued': nullable(COUNT), 'scheduled': nullable(COUNT)}),
                     'counts': STATE_COUNTS}),
    'ScheduleEntry': answer({'task': STRING, 'description': STRING,
                             'paused': {'type': 'boolean'}, 'next_run': MAYBE_TIME,
                             'every': STRING, 'next_runs': {'type': 'array', 'items': TIME,
                                                            'maxItems': 3},
                             'last_run': LAST_RUN}),
    'DeadLetter': answer({'id': ID, 'received_at': TIME, 'source': STRING, 'error': STRING,
                          'size': COUNT,
                          'preview': {'type': 'string', 'pattern': '^([0-9a-f]{2}){0,200}$',
                                      'description': 'the first 200 bytes, in hex'},
                          'consumer': MAYBE_STRING}),
    'AdminUser': answer({'id': ID, 'email': STRING, 'name': STRING,
                         'is_admin': {'type': 'boolean'}, 'created_at': TIME,
                         'sessions': COUNT, 'tokens': COUNT, 'last_sign_in_at': MAYBE_TIME}),
    'JobAction': outcome(job_id=STRING),
    'BulkAction': outcome(count=COUNT, skipped=COUNT),
    'BulkDelete': outcome(count=COUNT),
    'PeriodicAction': answer({'ok': {'const': True}, 'message': STRING},
                             job_id=STRING),
}

ADMIN_ERRORS = {
    401: 'Not signed in, or an invalid or expired bearer token',
    403: 'Not an administrator, or (with the session cookie) a missing or wrong X-CSRF-Token',
}
# A path segment: no slash, and not "." or ".." (which a client resolves away: then
# it is another URL, e.g. POST /admin/api/jobs/./retry is the bulk retry).
SEGMENT = r'^(?!\.\.?$)[^/]+$'
PATH_PARAMS = {
    'job_id': {'type': 'string', 'minLength': 1, 'maxLength': 64, 'pattern': SEGMENT},
    'task': {'type': 'string', 'minLength': 1, 'maxLength': 100, 'pattern': SEGMENT},
    'action': {'type': 'string', 'enum': ['run', 'pause', 'resume']},
    'user_id': ID,
}


# ------------------------------------------------------------------ routes

class AdminRoute(Route):
    """An admin operation: admins only (401 anonymously, 403 for anyone else), tagged
    "admin"; a bulk action's body may be left out (`optional_body`)."""

    def __init__(self, *args, optional_body=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional_body = optional_body

    def errors(self):
        return sorted(set(super().errors()) | {401, 403})

    def describe(self):
        operation = super().describe()
        operation['tags'] = ['admin']
        operation['description'] = ADMIN_ONLY
        operation['security'] = [{'bearer': ['admin']}, {'cookie': ['admin']}]
        for code in ADMIN_ERRORS:
            operation['responses'][str(code)] = {'$ref': f'#/components/responses/Admin{code}'}
        for parameter in operation.get('parameters', []):
            if parameter['in'] == 'path':
                parameter['schema'] = PATH_PARAMS[parameter['name']]
        if self.optional_body:
            operation['requestBody']['required'] = False
        return operation


def job_route(method, suffix, operation_id, summary, errors=(409,)):
    return AdminRoute(method, JOB + suffix, operation_id, summary, 200, ref('JobAction'),
                      errors=errors)


def bulk_route(action, operation_id, summary, answer_name):
    """A bulk action: its body, when sent, is a job filter (JSON)."""
    body = {'type': 'object', 'additionalProperties': True,
            'properties': {name: {**field, 'description': FILTER_ABOUT[name]}
                           for name, field in FILTER_FIELDS.items()}}
    return AdminRoute('post', f'{ADMIN}/jobs/{action}', operation_id, summary, 200,
                      ref(answer_name), body=body, optional_body=True)


ADMIN = '/admin/api'
JOB = ADMIN + '/jobs/{job_id}'
JOBS_LIMIT = limit(MAX_LIMIT, 50)

ADMIN_ROUTES = [
    # ---- the job ledger
    AdminRoute('get', ADMIN + '/jobs', 'admin_list_jobs', 'Jobs, newest first, filtered', 200,
               answer({'jobs': {'type': 'array', 'items': ref('Job')},
                       'next_cursor': nullable({'type': 'integer', 'minimum': 0})}),
               params=[*FILTER_PARAMS, JOBS_LIMIT,
                       query('cursor', {'type': 'integer', 'minimum': 0, 'maximum': MAX_CURSOR},
                             "the previous page's next_cursor")]),
    AdminRoute('get', JOB, 'admin_get_job', 'A job, its attempts with their logs, and its '
                                            'related jobs', 200, ref('JobDetail')),
    AdminRoute('get', JOB + '/graph', 'admin_job_graph',
               'The pipelines, groups and chords the job belongs to, as a graph', 200,
               ref('Graph')),
    job_route('post', '/retry', 'admin_retry_job',
              'Run a failed, interrupted, revoked or expired job again as a new job '
              '(job_id: the new one)'),
    job_route('post', '/revoke', 'admin_revoke_job', 'Revoke a queued, scheduled or retrying job'),
    job_route('post', '/run', 'admin_run_job_now', 'Move a scheduled or retrying job to the queue'),
    job_route('delete', '', 'admin_delete_job', "Delete an ended job's record"),
    job_route('post', '/delete', 'admin_delete_job_by_post',
              "Delete an ended job's record (as DELETE does)"),
    bulk_route('retry', 'admin_bulk_retry',
               'Retry up to 1,000 matching jobs (failed ones unless `state` says)', 'BulkAction'),
    bulk_route('revoke', 'admin_bulk_revoke', 'Revoke up to 1,000 matching waiting jobs',
               'BulkAction'),
    bulk_route('delete', 'admin_bulk_delete',
               'Delete the records of up to 50,000 matching ended jobs', 'BulkDelete'),
    AdminRoute('get', ADMIN + '/counts', 'admin_counts', 'Jobs per state for a filter', 200,
               ref('Counts'), params=FILTER_PARAMS),
    AdminRoute('get', ADMIN + '/stats', 'admin_stats',
               'Throughput, failure rates, durations per task, consumers, queue depth', 200,
               ref('Stats')),
    AdminRoute('get', ADMIN + '/dead-letters', 'admin_dead_letters',
               'Refused queue messages, newest first', 200,
               answer({'dead_letters': {'type': 'array', 'items': ref('DeadLetter')}}),
               params=[JOBS_LIMIT]),
    # ---- the periodic schedule
    AdminRoute('get', ADMIN + '/schedule', 'admin_schedule',
               'Each periodic task: its schedule, next runs, last run, pause', 200,
               answer({'schedule': {'type': 'array', 'items': ref('ScheduleEntry')}})),
    AdminRoute('post', ADMIN + '/schedule/{task}/{action}', 'admin_periodic_action',
               'Run a periodic task now (job_id: its job), pause it or resume it', 200,
               ref('PeriodicAction'), errors=(404,)),
    # ---- accounts
    AdminRoute('get', ADMIN + '/users', 'admin_list_users',
               'Accounts, newest first, by email search', 200,
               answer({'users': {'type': 'array', 'items': ref('AdminUser')},
                       'next_cursor': nullable(ID)}),
               params=[query('q', {'type': 'string', 'maxLength': MAX_USER_QUERY},
                             'part of the email, any case'), limit(MAX_LIMIT, 50),
                       query('cursor', ID, "the previous page's next_cursor")]),
    AdminRoute('post', ADMIN + '/users/{user_id}/reset-password', 'admin_reset_password',
               "A new temporary password, shown once; the user's sessions and tokens end", 200,
               answer({'ok': {'const': True}, 'user_id': ID, 'email': STRING,
                       'temporary_password': {'type': 'string', 'minLength': 16},
                       'message': STRING}),
               errors=(409,)),
]

ADMIN_RESPONSES = {f'Admin{code}': {'description': about,
                                    'content': {'application/json': {'schema': ref('Error')}}}
                   for code, about in ADMIN_ERRORS.items()}

openapi.describe_too(ADMIN_ROUTES, schemas=ADMIN_SCHEMAS, responses=ADMIN_RESPONSES)
