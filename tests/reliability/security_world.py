"""A realistic world for the security tests, built through the API, and the table of
every route with what each role may do there.

Two workspaces hold data whose names carry markers (`wsone-secret`, `wstwo-secret`):
a body shown to someone outside a workspace must never contain that workspace's
marker. Roles, seen from the first workspace:

- anonymous: no credentials at all;
- nonmember: Eve, who owns the second workspace (and is told of its changes);
- member: Bob, invited into the first workspace (he owns the notification used below);
- owner: Ann, who created the first workspace;
- admin: Root, a site administrator who is a member of neither workspace.
"""
import io
import itertools
import re
from dataclasses import dataclass, field
from typing import Callable

from collab.jobs.models import Job
from collab.jobs import ledger
from collab.jobs.engine import huey
from tests.sample_tasks import always_fail, succeed
from tests.support import wait_until

PASSWORD = 'correct horse'
ROLES = ('anonymous', 'nonmember', 'member', 'owner', 'admin')
MARKERS = {'one': 'wsone-secret', 'two': 'wstwo-secret'}
PERIODIC = 'tests.sample_tasks.never_due'
MISSING_ID = 987654321

_serial = itertools.count(1)


def unique():
    return next(_serial)


class Actor:
    """One role: a test client holding its session cookie, its CSRF token and a bearer token."""

    def __init__(self, app, role, email=None, name=None, admin=False):
        self.role, self.email, self.app = role, email, app
        self.client = app.test_client()
        self.token = self.csrf = None
        self.user_id = None
        if email:
            self.client.post('/api/auth/register', json={'email': email, 'name': name,
                                                         'password': PASSWORD})
            if admin:
                from collab.models import User
                User.update(is_admin=True).where(User.email == email).execute()
            self.sign_in()

    def sign_in(self):
        answer = self.client.post('/api/auth/login', json={'email': self.email,
                                                          'password': PASSWORD})
        assert answer.status_code == 200, answer.json
        self.token, self.csrf = answer.json['token'], answer.json['csrf_token']
        self.user_id = answer.json['user']['id']
        return self

    def fresh(self):
        """Another signed-in client of the same user (for routes that end or replace a session)."""
        other = Actor(self.app, self.role)
        other.email = self.email
        return other.sign_in() if self.email else other

    @property
    def bearer(self):
        return {'Authorization': f'Bearer {self.token}'} if self.token else {}

    def api(self, method, url, **kwargs):
        """As a script would: bearer token, no cookie."""
        headers = {**self.bearer, **kwargs.pop('headers', {})}
        return self.app.test_client().open(url, method=method, headers=headers, **kwargs)


class World:
    """Everything the routes need, made by the users themselves through the API."""

    def __init__(self, app):
        self.app = app
        self.actors = {
            'anonymous': Actor(app, 'anonymous'),
            'nonmember': Actor(app, 'nonmember', 'eve@example.com', 'Eve'),
            'member': Actor(app, 'member', 'bob@example.com', 'Bob'),
            'owner': Actor(app, 'owner', 'ann@example.com', 'Ann'),
            'admin': Actor(app, 'admin', 'root@example.com', 'Root', admin=True),
        }
        self.dan = Actor(app, 'other', 'dan@example.com', 'Dan')        # Eve's teammate
        self.frank = Actor(app, 'other', 'frank@example.com', 'Frank')  # signs in and out
        ann, bob, eve = self.actors['owner'], self.actors['member'], self.actors['nonmember']
        self.one = self.fill_workspace(ann, bob, MARKERS['one'])
        self.two = self.fill_workspace(eve, self.dan, MARKERS['two'])
        self.spare = self.created(ann.api('POST', '/api/workspaces', json={'name': 'spare'}))['id']

    def created(self, response, status=(200, 201, 202)):
        assert response.status_code in status, (response.status_code, response.get_data(True))
        return response.json

    def fill_workspace(self, owner, member, marker):
        """A workspace with a member, a document with two versions, a channel with a
        message, a file, an export and a pending invite."""
        ids = {}
        ws = self.created(owner.api('POST', '/api/workspaces', json={'name': f'{marker}-space'}))
        ids['ws'] = ws['id']
        invite = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/invites",
                                        json={'email': member.email}))
        self.created(member.api('POST', f"/api/invites/{invite['token']}/accept"))
        doc = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/documents",
                                     json={'title': f'{marker}-doc', 'content': f'{marker}-text'}))
        ids['doc'] = doc['id']
        self.created(member.api('PUT', f"/api/documents/{doc['id']}",
                                json={'content': f'{marker}-text, edited'}))
        channel = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/channels",
                                         json={'name': f'{marker}-chan'}))
        ids['channel'] = channel['id']
        self.created(member.api('POST', f"/api/channels/{channel['id']}/messages",
                                json={'body': f'{marker}-message'}))
        upload = self.created(owner.api(
            'POST', f"/api/workspaces/{ws['id']}/files",
            data={'file': (io.BytesIO(f'{marker}-bytes'.encode()), f'{marker}-file.txt')}))
        ids['file'] = upload['id']
        ids['export'] = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/exports"))[
            'export_id']
        self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/invites",
                               json={'email': f'{marker}-invitee@example.com'}))
        return ids

    def finish_background_work(self):
        """Exports ready and notifications delivered (needs a running consumer)."""
        from tests.domain import wait_for_jobs_idle
        for ids, owner in ((self.one, self.actors['owner']), (self.two, self.actors['nonmember'])):
            wait_until(lambda: owner.api('GET', f"/api/exports/{ids['export']}").json['state']
                       == 'ready', timeout=20, message='the export to be ready')
        wait_for_jobs_idle(timeout=20)
        notes = self.actors['member'].api('GET', '/api/notifications').json['notifications']
        assert notes, 'Bob has no notification'
        self.one['note'] = notes[0]['id']
        versions = self.actors['owner'].api('GET', f"/api/documents/{self.one['doc']}/versions")
        self.one['version'] = versions.json['versions'][-1]['version']
        self.failed_job = self.failed()

    # ---------------------------------------------------------------- fresh rows per call

    def fresh_doc(self):
        return self.created(self.actors['owner'].api(
            'POST', f"/api/workspaces/{self.one['ws']}/documents",
            json={'title': f'scratch {unique()}', 'content': ''}))['id']

    def fresh_invite(self):
        """A token for the spare workspace: accepting it must not change who sees the others."""
        return self.created(self.actors['owner'].api(
            'POST', f'/api/workspaces/{self.spare}/invites',
            json={'email': f'guest{unique()}@example.com'}))['token']

    def recorded(self, job_id, *states):
        def found():
            ledger.flush()
            row = Job.get_or_none(Job.job_id == job_id)
            return row is not None and (not states or row.state in states)
        wait_until(found, timeout=15, message=f'job {job_id} in the ledger {states}')
        return job_id

    def scheduled_job(self):
        # Wait until the consumer holds it in its schedule: the ledger's record of that
        # moment would otherwise overwrite a revoke made just before it.
        job_id = succeed.schedule((f'later {unique()}',), delay=3600).id
        wait_until(lambda: job_id in {task.id for task in huey.scheduled()}, timeout=15,
                   message='the consumer to schedule the job')
        return self.recorded(job_id, 'scheduled')

    def revoked_job(self):
        job_id = self.scheduled_job()
        answer = self.actors['admin'].api('POST', f'/admin/api/jobs/{job_id}/revoke')
        assert answer.status_code == 200, answer.json
        return job_id

    def failed(self):
        task = always_fail.s('matrix')
        task.retries = 0
        huey.enqueue(task)
        return self.recorded(task.id, 'failed')

    def values(self, missing=False):
        """Placeholders for URLs; fresh rows are made only when the URL asks for them."""
        one = self.one
        lazy = {'fresh_doc': self.fresh_doc, 'fresh_invite': self.fresh_invite,
                'scheduled_job': self.scheduled_job, 'revoked_job': self.revoked_job}
        if missing:
            plain = dict.fromkeys(('ws', 'doc', 'channel', 'file', 'export', 'note', 'fresh_doc',
                                   'version'),
                                  MISSING_ID)
            plain.update(failed_job='no-such-job', scheduled_job='no-such-job',
                         revoked_job='no-such-job', fresh_invite='no-such-invite',
                         task='no.such.task')
            return plain, {}
        plain = {**one, 'failed_job': self.failed_job, 'task': PERIODIC,
                 'spare_invite': 'not-a-real-token'}
        return plain, lazy


def fill(template, world, missing=False):
    plain, lazy = world.values(missing)
    names = re.findall(r'{(\w+)}', template)
    values = {n: plain[n] if n in plain else lazy[n]() for n in names}
    return template.format(**values)


# ---------------------------------------------------------------- expectations

LOGIN = ('redirect', '/login')


def see(prefix):
    """A redirect (302 or 303) to a path starting with `prefix`."""
    return ('redirect', prefix)


def member_api(ok):
    return {'anonymous': 401, 'nonmember': 403, 'member': ok, 'owner': ok, 'admin': 403}


def user_api(ok):
    return {'anonymous': 401, 'nonmember': ok, 'member': ok, 'owner': ok, 'admin': ok}


def admin_api(ok):
    return {'anonymous': 401, 'nonmember': 403, 'member': 403, 'owner': 403, 'admin': ok}


def member_page(ok):
    return {'anonymous': LOGIN, 'nonmember': 403, 'member': ok, 'owner': ok, 'admin': 403}


def user_page(ok):
    return {'anonymous': LOGIN, 'nonmember': ok, 'member': ok, 'owner': ok, 'admin': ok}


def admin_page(ok):
    return {'anonymous': LOGIN, 'nonmember': 403, 'member': 403, 'owner': 403, 'admin': ok}


def public(ok):
    return dict.fromkeys(ROLES, ok)


@dataclass
class Case:
    """One concrete request for a route: URL template, body, and each role's outcome."""
    url: str
    expect: dict
    json: object = None
    form: Callable = None        # () -> form fields (multipart when a file is in them)
    missing: object = None       # the outcome with ids that do not exist (for the allowed role)
    kind: str = 'api'            # 'api' (bearer and cookie), 'page' (cookie) or 'session'
    csrf: bool = True            # a cookie-authenticated write needs the token
    note: str = ''
    json_factory: Callable = field(default=None, repr=False)

    def body(self):
        if self.json_factory:
            return {'json': self.json_factory()}
        if self.form:
            return {'data': self.form()}
        if self.json is not None:
            return {'json': self.json}
        return {}


def upload_form():
    return {'file': (io.BytesIO(b'report'), f'report-{unique()}.txt')}


def channel_json():
    return {'name': f'room-{unique()}'}


def channel_form():
    return {'name': f'room-{unique()}'}


def new_user_json():
    return {'email': f'new{unique()}@example.com', 'name': 'New', 'password': PASSWORD}


WS, DOC, CH = '/api/workspaces/{ws}', '/api/documents/{doc}', '/api/channels/{channel}'
ADMIN_OK = 200

# (method, rule with converters removed) -> cases. Every route of the app is here.
ROUTES = {
    # ---- pages
    ('GET', '/'): [Case('/', user_page(200), kind='page')],
    ('GET', '/login'): [Case('/login', public(200), kind='page')],
    ('POST', '/login'): [Case('/login', public(see('/')), kind='session', form=lambda: {
        'email': 'frank@example.com', 'password': PASSWORD})],
    ('POST', '/logout'): [Case('/logout', public(LOGIN), kind='session')],
    ('GET', '/register'): [Case('/register', public(200), kind='page')],
    ('POST', '/register'): [Case('/register', public(see('/')), kind='session', form=lambda: {
        'email': f'page{unique()}@example.com', 'name': 'Paige', 'password': PASSWORD})],
    ('POST', '/workspaces'): [Case('/workspaces', user_page(see('/w/')), kind='page',
                                   form=lambda: {'name': 'from a form'})],
    ('GET', '/w/<row_id>'): [Case('/w/{ws}', member_page(200), kind='page', missing=404)],
    ('POST', '/w/<row_id>/documents'): [Case('/w/{ws}/documents', member_page(see('/d/')),
                                             kind='page', missing=404,
                                             form=lambda: {'title': 'Paged', 'content': 'x'})],
    ('POST', '/w/<row_id>/channels'): [Case('/w/{ws}/channels', member_page(see('/c/')),
                                            kind='page', missing=404, form=channel_form)],
    ('POST', '/w/<row_id>/invites'): [Case('/w/{ws}/invites', member_page(see('/w/')), kind='page',
                                           missing=404, form=lambda: {'email': 'p@example.com'})],
    ('POST', '/w/<row_id>/files'): [Case('/w/{ws}/files', member_page(see('/w/')), kind='page',
                                         missing=404, form=upload_form)],
    ('POST', '/w/<row_id>/exports'): [Case('/w/{ws}/exports', member_page(see('/w/')),
                                           kind='page', missing=404)],
    ('GET', '/w/<row_id>/search'): [Case('/w/{ws}/search?q=text', member_page(200), kind='page',
                                         missing=404)],
    ('GET', '/d/<row_id>'): [Case('/d/{doc}?diff=2', member_page(200), kind='page', missing=404)],
    ('POST', '/d/<row_id>'): [Case('/d/{doc}', member_page(see('/d/')), kind='page', missing=404,
                                   form=lambda: {'title': 'Plan', 'content': 'saved by form'})],
    ('GET', '/c/<row_id>'): [Case('/c/{channel}', member_page(200), kind='page', missing=404)],
    ('POST', '/c/<row_id>'): [Case('/c/{channel}', member_page(see('/c/')), kind='page',
                                   missing=404, form=lambda: {'body': 'hello from a form'})],
    ('GET', '/exports/<row_id>'): [Case('/exports/{export}', member_page(see('/api/exports/')),
                                        kind='page', missing=404)],
    ('GET', '/invites/<token>'): [Case('/invites/{spare_invite}', user_page(200), kind='page',
                                       note='shows a form; the token is checked on POST')],
    ('POST', '/invites/<token>'): [Case('/invites/{fresh_invite}', user_page(see('/w/')),
                                        kind='page', missing=see('/'),
                                        note='a bad token is a message on the page')],
    ('GET', '/notifications'): [Case('/notifications', user_page(200), kind='page')],
    ('POST', '/notifications/read-all'): [Case('/notifications/read-all',
                                               user_page(see('/notifications')), kind='page')],
    ('GET', '/static/<filename>'): [Case('/static/app.js', public(200), kind='page')],
    ('GET', '/healthz'): [Case('/healthz', public(200))],
    ('GET', '/metrics'): [Case('/metrics', admin_api(200))],
    ('GET', '/ws'): [Case('/ws', {}, kind='websocket',
                          note='checked over a real socket in the matrix test')],

    # ---- the JSON API
    ('POST', '/api/auth/register'): [Case('/api/auth/register', public(201), kind='session',
                                          json_factory=new_user_json, csrf=False,
                                          note='starts no session for the caller')],
    ('POST', '/api/auth/login'): [Case('/api/auth/login', public(200), kind='session', csrf=False,
                                       json={'email': 'frank@example.com', 'password': PASSWORD},
                                       note='replaces the session; needs no session to start')],
    ('POST', '/api/auth/logout'): [Case('/api/auth/logout', public(200), kind='session')],
    ('GET', '/api/auth/csrf'): [Case('/api/auth/csrf', public(200))],
    ('GET', '/api/me'): [Case('/api/me', user_api(200))],
    ('PATCH', '/api/me'): [Case('/api/me', user_api(200), json={'push': True})],
    ('GET', '/api/workspaces'): [Case('/api/workspaces', user_api(200))],
    ('POST', '/api/workspaces'): [Case('/api/workspaces', user_api(201), json={'name': 'new'})],
    ('GET', '/api/workspaces/<workspace_id>'): [Case(WS, member_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/members'): [
        Case(WS + '/members', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/invites'): [
        Case(WS + '/invites', member_api(201), missing=404, json={'email': 'i@example.com'})],
    ('POST', '/api/invites/<token>/accept'): [
        Case('/api/invites/{fresh_invite}/accept', user_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/documents'): [
        Case(WS + '/documents', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/documents'): [
        Case(WS + '/documents', member_api(201), missing=404, json={'title': 'T', 'content': 'c'})],
    ('GET', '/api/documents/<document_id>'): [Case(DOC, member_api(200), missing=404)],
    ('PUT', '/api/documents/<document_id>'): [
        Case(DOC, member_api(200), missing=404, json={'content': 'put by the matrix'})],
    ('DELETE', '/api/documents/<document_id>'): [
        Case('/api/documents/{fresh_doc}', member_api(200), missing=404)],
    ('GET', '/api/documents/<document_id>/versions'): [
        Case(DOC + '/versions', member_api(200), missing=404)],
    ('GET', '/api/documents/<document_id>/versions/<number>'): [
        Case(DOC + '/versions/{version}', member_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/search'): [
        Case(WS + '/search?q=text', member_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/channels'): [
        Case(WS + '/channels', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/channels'): [
        Case(WS + '/channels', member_api(201), missing=404, json_factory=channel_json)],
    ('GET', '/api/channels/<channel_id>/messages'): [
        Case(CH + '/messages', member_api(200), missing=404)],
    ('POST', '/api/channels/<channel_id>/messages'): [
        Case(CH + '/messages', member_api(201), missing=404, json={'body': 'hi'})],
    ('GET', '/api/workspaces/<workspace_id>/files'): [
        Case(WS + '/files', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/files'): [
        Case(WS + '/files', member_api(201), missing=404, form=upload_form)],
    ('GET', '/api/files/<file_id>'): [Case('/api/files/{file}', member_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/activity'): [
        Case(WS + '/activity?limit=5', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/exports'): [
        Case(WS + '/exports', member_api(202), missing=404)],
    ('GET', '/api/exports/<export_id>'): [
        Case('/api/exports/{export}', member_api(200), missing=404)],
    ('GET', '/api/exports/<export_id>/download'): [
        Case('/api/exports/{export}/download', member_api(200), missing=404)],
    ('GET', '/api/notifications'): [Case('/api/notifications?unread=0', user_api(200))],
    ('POST', '/api/notifications/<notification_id>/read'): [
        Case('/api/notifications/{note}/read', {**member_api(200), 'owner': 403}, missing=404,
             note="Bob's notification: only Bob may mark it")],
    ('POST', '/api/notifications/read-all'): [Case('/api/notifications/read-all', user_api(200))],

    # ---- admin pages
    ('GET', '/admin/'): [Case('/admin/', admin_page(see('/admin/jobs')), kind='page')],
    ('GET', '/admin/jobs'): [Case('/admin/jobs?state=failed', admin_page(200), kind='page')],
    ('GET', '/admin/jobs/<job_id>'): [Case('/admin/jobs/{failed_job}', admin_page(200),
                                           kind='page', missing=404)],
    ('POST', '/admin/jobs/<job_id>/<action>'): [
        Case('/admin/jobs/{failed_job}/retry', admin_page(see('/admin/jobs/')), kind='page'),
        Case('/admin/jobs/{scheduled_job}/revoke', admin_page(see('/admin/jobs/')), kind='page'),
        Case('/admin/jobs/{revoked_job}/delete', admin_page(see('/admin/jobs')), kind='page')],
    ('POST', '/admin/jobs/bulk/<action>'): [
        Case('/admin/jobs/bulk/retry', admin_page(see('/admin/jobs')), kind='page',
             form=lambda: {'task': 'tests.sample_tasks.always_fail'}),
        Case('/admin/jobs/bulk/revoke', admin_page(see('/admin/jobs')), kind='page',
             form=lambda: {'task': 'tests.sample_tasks.succeed'})],
    ('GET', '/admin/schedule'): [Case('/admin/schedule', admin_page(200), kind='page')],
    ('POST', '/admin/schedule/<task>/<action>'): [
        Case('/admin/schedule/{task}/' + action, admin_page(see('/admin/schedule')), kind='page')
        for action in ('run', 'pause', 'resume')],
    ('GET', '/admin/system'): [Case('/admin/system', admin_page(200), kind='page')],
    ('GET', '/admin/static/<filename>'): [Case('/admin/static/admin.css', public(200),
                                               kind='page')],

    # ---- admin JSON
    ('GET', '/admin/api/jobs'): [Case('/admin/api/jobs?limit=5', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/jobs/<job_id>'): [Case('/admin/api/jobs/{failed_job}',
                                               admin_api(ADMIN_OK), missing=404)],
    ('DELETE', '/admin/api/jobs/<job_id>'): [Case('/admin/api/jobs/{revoked_job}',
                                                  admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/<job_id>/delete'): [Case('/admin/api/jobs/{revoked_job}/delete',
                                                       admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/<job_id>/retry'): [Case('/admin/api/jobs/{failed_job}/retry',
                                                      admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/<job_id>/revoke'): [Case('/admin/api/jobs/{scheduled_job}/revoke',
                                                       admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/retry'): [Case('/admin/api/jobs/retry', admin_api(ADMIN_OK),
                                             json={'task': 'tests.sample_tasks.always_fail'})],
    ('POST', '/admin/api/jobs/revoke'): [Case('/admin/api/jobs/revoke', admin_api(ADMIN_OK),
                                              json={'task': 'tests.sample_tasks.succeed'})],
    ('GET', '/admin/api/counts'): [Case('/admin/api/counts', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/stats'): [Case('/admin/api/stats', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/schedule'): [Case('/admin/api/schedule', admin_api(ADMIN_OK))],
    ('POST', '/admin/api/schedule/<task>/<action>'): [
        Case('/admin/api/schedule/{task}/' + action, admin_api(ADMIN_OK), missing=404)
        for action in ('run', 'pause', 'resume')],
    ('GET', '/admin/api/dead-letters'): [Case('/admin/api/dead-letters', admin_api(ADMIN_OK))],
}


def rule_key(rule):
    """'/api/documents/<int(max=…):document_id>' -> '/api/documents/<document_id>'."""
    return re.sub(r'<(?:[^:>]+:)?(\w+)>', r'<\1>', rule)


def app_routes(app):
    """Every (method, rule) the app answers, HEAD and OPTIONS aside."""
    return {(method, rule_key(rule.rule)) for rule in app.url_map.iter_rules()
            for method in rule.methods - {'HEAD', 'OPTIONS'}}
