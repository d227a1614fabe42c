"""Every route of the app with what each role of the security tests' world
(tests/support/world.py) must get there, and how to read those expectations."""
import io
import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlparse

from tests.support.users import PASSWORD
from tests.support.world import ROLES, unique

LOGIN = ('redirect', '/login')


def see(prefix):
    """A redirect (302 or 303) to a path starting with `prefix`."""
    return ('redirect', prefix)


def member_api(ok):
    return {'anonymous': 401, 'nonmember': 403, 'member': ok, 'workspace_admin': ok, 'owner': ok,
            'admin': 403}


def manager_api(ok):
    """Owners and admins of the workspace only (the rows are Ann's, so also her deletes)."""
    return {**member_api(ok), 'member': 403}


def user_api(ok):
    return {**dict.fromkeys(ROLES, ok), 'anonymous': 401}


def admin_api(ok):
    return {**dict.fromkeys(ROLES, 403), 'anonymous': 401, 'admin': ok}


def member_page(ok):
    return {'anonymous': LOGIN, 'nonmember': 403, 'member': ok, 'workspace_admin': ok,
            'owner': ok, 'admin': 403}


def manager_page(ok):
    """A plain member's form is refused with a message on the page it came from."""
    return {**member_page(ok), 'member': see('/')}


def user_page(ok):
    return {**dict.fromkeys(ROLES, ok), 'anonymous': LOGIN}


def admin_page(ok):
    return {**dict.fromkeys(ROLES, 403), 'anonymous': LOGIN, 'admin': ok}


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
    ('GET', '/account/password'): [Case('/account/password', user_page(200), kind='page')],
    ('POST', '/account/password'): [Case('/account/password', user_page(see('/')), kind='page',
                                         form=lambda: {'current': PASSWORD, 'new': 'short'},
                                         note='refused (too short): a change would end the '
                                              "actors' tokens")],
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
    ('POST', '/w/<row_id>/invites'): [Case('/w/{ws}/invites', manager_page(see('/w/')), kind='page',
                                           missing=404, form=lambda: {'email': 'p@example.com'})],
    ('POST', '/w/<row_id>/files'): [Case('/w/{ws}/files', member_page(see('/w/')), kind='page',
                                         missing=404, form=upload_form)],
    ('POST', '/w/<row_id>/exports'): [Case('/w/{exports_idle}/exports',
                                           manager_page(see('/w/')), kind='page', missing=404,
                                           note='one export at a time: after the last one')],
    ('GET', '/w/<row_id>/search'): [Case('/w/{ws}/search?q=text', member_page(200), kind='page',
                                         missing=404)],
    ('GET', '/d/<row_id>'): [Case('/d/{doc}?diff=2', member_page(200), kind='page', missing=404)],
    ('POST', '/d/<row_id>'): [Case('/d/{doc}', member_page(see('/d/')), kind='page', missing=404,
                                   form=lambda: {'title': 'Plan', 'content': 'saved by form'})],
    ('GET', '/d/<row_id>/v/<number>'): [Case('/d/{doc}/v/{version}', member_page(200),
                                             kind='page', missing=404)],
    ('POST', '/d/<row_id>/v/<number>/restore'): [
        Case('/d/{doc}/v/{version}/restore', member_page(see('/d/')), kind='page', missing=404)],
    ('GET', '/d/<row_id>/delete'): [Case('/d/{doc}/delete', {**member_page(200), 'member': 403},
                                         kind='page', missing=404,
                                         note="Ann's document: Bob may not delete it")],
    ('POST', '/d/<row_id>/delete'): [Case('/d/{fresh_doc}/delete', manager_page(see('/w/')),
                                          kind='page', missing=404, note="Ann's document")],
    ('GET', '/f/<row_id>/delete'): [Case('/f/{file}/delete', {**member_page(200), 'member': 403},
                                         kind='page', missing=404,
                                         note="Ann's file: Bob may not delete it")],
    ('POST', '/f/<row_id>/delete'): [Case('/f/{fresh_file}/delete', manager_page(see('/w/')),
                                          kind='page', missing=404, note="Ann's file")],
    ('GET', '/c/<row_id>'): [Case('/c/{channel}', member_page(200), kind='page', missing=404)],
    ('POST', '/c/<row_id>'): [Case('/c/{channel}', member_page(see('/c/')), kind='page',
                                   missing=404, form=lambda: {'body': 'hello from a form'})],
    ('GET', '/exports/<row_id>'): [Case('/exports/{export}', member_page(see('/api/exports/')),
                                        kind='page', missing=404)],
    ('GET', '/invites/<token>'): [Case('/invites/{fresh_invite}', public(200), kind='page',
                                       missing=404,
                                       note='the workspace and who invited, even signed out')],
    ('POST', '/invites/<token>'): [Case('/invites/{fresh_invite}', user_page(see('/w/')),
                                        kind='page', missing=see('/'),
                                        note='a bad token is a message on the page')],
    ('GET', '/account'): [Case('/account', user_page(200), kind='page')],
    ('GET', '/forgot-password'): [Case('/forgot-password', public(200), kind='page')],
    ('POST', '/forgot-password'): [Case('/forgot-password', public(200), kind='page',
                                        form=lambda: {'email': 'ann@example.com'},
                                        note='no SMTP_URL here: the page says so')],
    ('GET', '/reset-password/<token>'): [Case('/reset-password/not-a-real-token', public(410),
                                              kind='page')],
    ('POST', '/reset-password/<token>'): [Case('/reset-password/not-a-real-token', public(410),
                                               kind='page', form=lambda: {
                                                   'new': 'a new password',
                                                   'repeat': 'a new password'})],
    ('GET', '/w/<row_id>/members'): [Case('/w/{ws}/members', member_page(200), kind='page',
                                          missing=404)],
    ('POST', '/w/<row_id>/members/invites'): [
        Case('/w/{ws}/members/invites', manager_page(see('/w/')), kind='page', missing=404,
             form=lambda: {'kind': 'link', 'max_uses': '2'})],
    ('POST', '/w/<row_id>/invites/<invite_id>/revoke'): [
        Case('/w/{ws}/invites/{page_invite_id}/revoke', manager_page(see('/w/')), kind='page',
             missing=404)],
    ('POST', '/w/<row_id>/members/<user_id>/role'): [
        Case('/w/{ws}/members/{admin_id}/role', {**manager_page(see('/w/')),
                                                 'workspace_admin': see('/')},
             kind='page', missing=404, form=lambda: {'role': 'admin'},
             note="Wes made admin again: nothing changes; he may not change his own role")],
    ('POST', '/w/<row_id>/members/<user_id>/remove'): [
        Case('/w/{ws}/members/{member_to_promote}/remove', manager_page(see('/w/')),
             kind='page', missing=404, note='Dan, who joins again for each request')],
    ('POST', '/w/<row_id>/members/<user_id>/transfer'): [
        Case('/w/{ws}/members/{owner_id}/transfer',
             {**member_page(see('/')), 'member': see('/')}, kind='page', missing=404,
             note="to Ann, the owner: refused for everyone (a transfer is to someone else; "
                  "tests/test_members_page.py makes one)")],
    ('POST', '/w/<row_id>/leave'): [
        Case('/w/{spare}/leave', {**public(see('/')), 'anonymous': LOGIN}, kind='page',
             missing=404, note='the spare workspace, which every signed-in role joined by '
                               "its link above; Ann, its last owner, is refused (409)")],
    ('GET', '/notifications'): [Case('/notifications', user_page(200), kind='page')],
    ('POST', '/notifications/read-all'): [Case('/notifications/read-all',
                                               user_page(see('/notifications')), kind='page')],
    ('GET', '/static/<filename>'): [Case('/static/app.js', public(200), kind='page')],
    ('GET', '/favicon.ico'): [Case('/favicon.ico', public(200), kind='page')],
    ('GET', '/settings'): [Case('/settings', user_page(200), kind='page')],
    ('POST', '/settings'): [Case('/settings', user_page(see('/settings')), kind='page',
                                 form=lambda: {'push': '1', **{f'kind:{k}': '1' for k in (
                                     'document.created', 'document.updated', 'message.posted',
                                     'invite.accepted', 'export.ready', 'export.failed',
                                     'digest')}})],
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
    ('POST', '/api/auth/password-reset'): [Case('/api/auth/password-reset', public(409),
                                                json={'email': 'ann@example.com'},
                                                note='no SMTP_URL here: 409, mail is off')],
    ('POST', '/api/auth/password-reset/confirm'): [
        Case('/api/auth/password-reset/confirm', public(410),
             json={'token': 'not-a-real-token', 'password': 'a new password'})],
    ('GET', '/api/openapi.json'): [Case('/api/openapi.json', public(200))],
    ('GET', '/api/me'): [Case('/api/me', user_api(200))],
    ('PATCH', '/api/me'): [Case('/api/me', user_api(200), json={'push': True})],
    ('POST', '/api/me/password'): [Case('/api/me/password', user_api(400),
                                        json={'current': PASSWORD, 'new': 'short'},
                                        note="refused (too short): a change would end the "
                                             "actors' tokens")],
    ('GET', '/api/me/tokens'): [Case('/api/me/tokens', user_api(200))],
    ('POST', '/api/me/tokens'): [Case('/api/me/tokens', user_api(201), json={'name': 'matrix'})],
    ('DELETE', '/api/me/tokens/<token_id>'): [Case('/api/me/tokens/{fresh_token}',
                                                   {**user_api(404), 'owner': 204}, missing=404,
                                                   note="the owner's token: no one else's")],
    ('GET', '/api/workspaces'): [Case('/api/workspaces', user_api(200))],
    ('POST', '/api/workspaces'): [Case('/api/workspaces', user_api(201), json={'name': 'new'})],
    ('GET', '/api/workspaces/<workspace_id>'): [Case(WS, member_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/members'): [
        Case(WS + '/members', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/invites'): [
        Case(WS + '/invites', manager_api(201), missing=404, json={'email': 'i@example.com'}),
        Case(WS + '/invites', manager_api(201), missing=404, json={'link': True, 'max_uses': 3})],
    ('GET', '/api/workspaces/<workspace_id>/invites'): [
        Case(WS + '/invites', manager_api(200), missing=404)],
    ('DELETE', '/api/invites/<invite_id>'): [
        Case('/api/invites/{fresh_invite_id}', manager_api(200), missing=404)],
    ('PATCH', '/api/workspaces/<workspace_id>/members/<user_id>'): [
        Case(WS + '/members/{member_to_promote}', manager_api(200), missing=404,
             json={'role': 'admin'}, note='Dan, made a plain member again for each request')],
    ('DELETE', '/api/workspaces/<workspace_id>/members/<user_id>'): [
        Case(WS + '/members/{member_to_remove}', manager_api(200), missing=404,
             note='Frank, who joins again for each request')],
    ('GET', '/api/invites/<token>/preview'): [
        Case('/api/invites/{fresh_invite}/preview', public(200), missing=404,
             note='for whoever holds the token, signed in or not')],
    ('POST', '/api/invites/<token>/accept'): [
        Case('/api/invites/{fresh_invite}/accept', user_api(200), missing=404)],
    ('GET', '/api/workspaces/<workspace_id>/documents'): [
        Case(WS + '/documents', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/documents'): [
        Case(WS + '/documents', member_api(201), missing=404, json={'title': 'T', 'content': 'c'})],
    ('GET', '/api/documents/<document_id>'): [Case(DOC, member_api(200), missing=404)],
    ('PUT', '/api/documents/<document_id>'): [
        Case(DOC, member_api(200), missing=404, json={'content': 'put by the matrix'})],
    ('PATCH', '/api/documents/<document_id>'): [
        Case(DOC, member_api(200), missing=404, json={'title': 'patched by the matrix'})],
    ('POST', '/api/documents/<document_id>/versions/<number>/restore'): [
        Case(DOC + '/versions/{version}/restore', member_api(200), missing=404)],
    ('DELETE', '/api/documents/<document_id>'): [
        Case('/api/documents/{fresh_doc}', manager_api(200), missing=404,
             note="Ann's document: Bob, a plain member, may not delete it")],
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
    ('DELETE', '/api/messages/<message_id>'): [
        Case('/api/messages/{fresh_message}', manager_api(200), missing=404,
             note="Ann's message")],
    ('PATCH', '/api/messages/<message_id>'): [
        Case('/api/messages/{fresh_message}', {**manager_api(200), 'workspace_admin': 403},
             missing=404, json={'body': 'edited'}, note="Ann's message: only she edits it")],
    ('POST', '/api/channels/<channel_id>/read'): [
        Case(CH + '/read', member_api(200), missing=404, json={})],
    ('GET', '/api/workspaces/<workspace_id>/files'): [
        Case(WS + '/files', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/files'): [
        Case(WS + '/files', member_api(201), missing=404, form=upload_form)],
    ('GET', '/api/files/<file_id>'): [Case('/api/files/{file}', member_api(200), missing=404)],
    ('DELETE', '/api/files/<file_id>'): [
        Case('/api/files/{fresh_file}', manager_api(200), missing=404, note="Ann's file")],
    ('GET', '/api/workspaces/<workspace_id>/activity'): [
        Case(WS + '/activity?limit=5', member_api(200), missing=404)],
    ('POST', '/api/workspaces/<workspace_id>/exports'): [
        Case('/api/workspaces/{exports_idle}/exports', manager_api(202), missing=404)],
    ('DELETE', '/api/exports/<export_id>'): [
        Case('/api/exports/{fresh_export}', manager_api(200), missing=404,
             note="Ann's export")],
    ('GET', '/api/exports/<export_id>'): [
        Case('/api/exports/{export}', member_api(200), missing=404)],
    ('GET', '/api/exports/<export_id>/download'): [
        Case('/api/exports/{export}/download', member_api(200), missing=404)],
    ('GET', '/api/notifications'): [Case('/api/notifications?unread=0', user_api(200))],
    ('POST', '/api/notifications/<notification_id>/read'): [
        Case('/api/notifications/{note}/read',
             {**member_api(200), 'workspace_admin': 403, 'owner': 403}, missing=404,
             note="Bob's notification: only Bob may mark it")],
    ('POST', '/api/notifications/read-all'): [Case('/api/notifications/read-all', user_api(200))],
    ('GET', '/api/notifications/settings'): [Case('/api/notifications/settings', user_api(200))],
    ('PUT', '/api/notifications/settings'): [Case('/api/notifications/settings', user_api(200),
                                                  json={'push': True})],

    # ---- admin pages
    ('GET', '/admin/'): [Case('/admin/', admin_page(see('/admin/jobs')), kind='page')],
    ('GET', '/admin/jobs'): [Case('/admin/jobs?state=failed', admin_page(200), kind='page')],
    ('GET', '/admin/jobs/<job_id>'): [Case('/admin/jobs/{failed_job}', admin_page(200),
                                           kind='page', missing=404)],
    ('POST', '/admin/jobs/<job_id>/<action>'): [
        Case('/admin/jobs/{fresh_failed_job}/retry', admin_page(see('/admin/jobs/')), kind='page'),
        Case('/admin/jobs/{scheduled_job}/revoke', admin_page(see('/admin/jobs/')), kind='page'),
        Case('/admin/jobs/{revoked_job}/delete', admin_page(see('/admin/jobs')), kind='page'),
        Case('/admin/jobs/{scheduled_job}/run', admin_page(see('/admin/jobs/')), kind='page')],
    ('POST', '/admin/jobs/bulk/<action>'): [
        Case('/admin/jobs/bulk/retry', admin_page(see('/admin/jobs')), kind='page',
             form=lambda: {'task': 'tests.sample_tasks.always_fail'}),
        Case('/admin/jobs/bulk/revoke', admin_page(see('/admin/jobs')), kind='page',
             form=lambda: {'task': 'tests.sample_tasks.succeed'}),
        Case('/admin/jobs/bulk/delete', admin_page(see('/admin/jobs')), kind='page',
             form=lambda: {'task': 'tests.sample_tasks.add'})],
    ('GET', '/admin/schedule'): [Case('/admin/schedule', admin_page(200), kind='page')],
    ('POST', '/admin/schedule/<task>/<action>'): [
        Case('/admin/schedule/{task}/' + action, admin_page(see('/admin/schedule')), kind='page')
        for action in ('run', 'pause', 'resume')],
    ('GET', '/admin/system'): [Case('/admin/system', admin_page(200), kind='page')],
    ('GET', '/admin/tasks/<task>'): [Case('/admin/tasks/{task}', admin_page(200), kind='page',
                                          missing=404)],
    ('GET', '/admin/users'): [Case('/admin/users?q=example', admin_page(200), kind='page')],
    ('POST', '/admin/users/<user_id>/reset-password'): [
        Case('/admin/users/{user_to_reset}/reset-password', admin_page(200), kind='page',
             missing=404, note='Sam, whom nothing else signs in as')],
    ('GET', '/admin/static/<filename>'): [Case('/admin/static/admin.css', public(200),
                                               kind='page')],

    # ---- admin JSON
    ('GET', '/admin/api/jobs'): [Case('/admin/api/jobs?limit=5', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/jobs/<job_id>'): [Case('/admin/api/jobs/{failed_job}',
                                               admin_api(ADMIN_OK), missing=404)],
    ('GET', '/admin/api/jobs/<job_id>/graph'): [Case('/admin/api/jobs/{failed_job}/graph',
                                                     admin_api(ADMIN_OK), missing=404)],
    ('DELETE', '/admin/api/jobs/<job_id>'): [Case('/admin/api/jobs/{revoked_job}',
                                                  admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/<job_id>/delete'): [Case('/admin/api/jobs/{revoked_job}/delete',
                                                       admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/<job_id>/retry'): [Case('/admin/api/jobs/{fresh_failed_job}/retry',
                                                      admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/<job_id>/revoke'): [Case('/admin/api/jobs/{scheduled_job}/revoke',
                                                       admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/retry'): [Case('/admin/api/jobs/retry', admin_api(ADMIN_OK),
                                             json={'task': 'tests.sample_tasks.always_fail'})],
    ('POST', '/admin/api/jobs/revoke'): [Case('/admin/api/jobs/revoke', admin_api(ADMIN_OK),
                                              json={'task': 'tests.sample_tasks.succeed'})],
    ('POST', '/admin/api/jobs/<job_id>/run'): [Case('/admin/api/jobs/{scheduled_job}/run',
                                                    admin_api(ADMIN_OK), missing=404)],
    ('POST', '/admin/api/jobs/delete'): [Case('/admin/api/jobs/delete', admin_api(ADMIN_OK),
                                              json={'task': 'tests.sample_tasks.add'})],
    ('GET', '/admin/api/counts'): [Case('/admin/api/counts', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/stats'): [Case('/admin/api/stats', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/schedule'): [Case('/admin/api/schedule', admin_api(ADMIN_OK))],
    ('POST', '/admin/api/schedule/<task>/<action>'): [
        Case('/admin/api/schedule/{task}/' + action, admin_api(ADMIN_OK), missing=404)
        for action in ('run', 'pause', 'resume')],
    ('GET', '/admin/api/dead-letters'): [Case('/admin/api/dead-letters', admin_api(ADMIN_OK))],
    ('GET', '/admin/api/users'): [Case('/admin/api/users?limit=5&q=example',
                                       admin_api(ADMIN_OK))],
    ('POST', '/admin/api/users/<user_id>/reset-password'): [
        Case('/admin/api/users/{user_to_reset}/reset-password', admin_api(ADMIN_OK), missing=404,
             note='Sam, whom nothing else signs in as')],
}


def rule_key(rule):
    """'/api/documents/<int(max=…):document_id>' -> '/api/documents/<document_id>'."""
    return re.sub(r'<(?:[^:>]+:)?(\w+)>', r'<\1>', rule)


def app_routes(app):
    """Every (method, rule) the app answers, HEAD and OPTIONS aside."""
    return {(method, rule_key(rule.rule)) for rule in app.url_map.iter_rules()
            for method in rule.methods - {'HEAD', 'OPTIONS'}}


def outcome_matches(response, expected):
    """Whether a response is the outcome the table expects: a status, or a redirect."""
    if isinstance(expected, int):
        return response.status_code == expected
    path = urlparse(response.location or '').path
    prefix = expected[1]
    return response.status_code in (302, 303) and (
        path == prefix or (prefix != '/' and path.startswith(prefix)))


def allowed_role(case):
    """The first of owner, member and admin that the case lets through; the owner for a
    case whose request the view itself refuses for everyone (bad input, on purpose)."""
    return next((role for role in ('owner', 'member', 'admin')
                 if not (isinstance(case.expect[role], int) and case.expect[role] >= 400)),
                'owner')
