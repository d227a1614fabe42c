"""The JSON API's OpenAPI 3.1 description, served at GET /api/openapi.json.

Kept by hand, one compact declaration per route (ROUTES), next to schemas that
say what collab/validation.py and the views really accept and answer.
tests/test_openapi.py holds it to the app's URL map; the schemathesis run in
tests/reliability/test_schemathesis.py holds it to what the server answers.
"""
import functools

from flask import Blueprint, jsonify

from collab.invites import MAX_LINK_USES
from collab.models import Export, Member
from collab.notification_settings import KINDS
from collab.users import MIN_PASSWORD
from collab.validation import MAX_CONTENT, MAX_ID, MAX_JSON_BYTES
from collab.workspace_search import KINDS as SEARCH_KINDS

bp = Blueprint('api_openapi', __name__, url_prefix='/api')

WRITES = ('post', 'put', 'patch', 'delete')
MAX_MESSAGE = 10_000   # collab/api/channels.py


# ------------------------------------------------------------------ schema pieces

def ref(name):
    return {'$ref': f'#/components/schemas/{name}'}


def nullable(schema):
    return {'anyOf': [schema, {'type': 'null'}]}


def answer(required, **optional):
    """A response object: exactly these members (`required` lists the always-present)."""
    properties = {**required, **optional}
    return {'type': 'object', 'properties': properties, 'required': list(required),
            'additionalProperties': False}


def request_body(required, **optional):
    """A request object: members the view reads; any others are ignored."""
    return {'type': 'object', 'properties': {**required, **optional},
            'required': list(required), 'additionalProperties': True}


def text(max_length):
    """validation.text: a string with no NUL, not blank, at most `max_length` once stripped."""
    return {'type': 'string', 'maxLength': max_length, 'pattern': r'^[^\x00]*[^\s\x00][^\x00]*$'}


def content(max_length):
    """validation.content: kept as sent, may be empty; longer than `max_length` is a 413,
    a NUL character a 400."""
    return {'type': 'string', 'maxLength': max_length}


def list_of(key, item, **more):
    return answer({key: {'type': 'array', 'items': item}, **more})


ID = {'type': 'integer', 'minimum': 1, 'maximum': MAX_ID}
USER_ID = nullable(ID)   # a deleted user's rows keep their content, without the user
TIME = {'type': 'string', 'format': 'date-time'}
MAYBE_TIME = nullable(TIME)
EMAIL = {'type': 'string', 'maxLength': 254, 'pattern': r'^\s*[^@\s]{1,64}@[^@\s]+\.[^@\s]+\s*$'}
PASSWORD = {'type': 'string', 'minLength': MIN_PASSWORD, 'maxLength': 1024}
NEXT_BEFORE = nullable(ID)
ROLE = {'type': 'string', 'enum': list(Member.ROLES)}
OK = answer({'ok': {'const': True}})

SCHEMAS = {
    'Error': {'type': 'object', 'required': ['error'], 'additionalProperties': True,
              'description': 'Every error (collab/errors.py). `field` names the bad input; '
                             'some errors add details, e.g. a quota\'s used_bytes.',
              'properties': {'error': {'type': 'string'}, 'field': {'type': 'string'}}},
    'User': answer({'id': ID, 'email': {'type': 'string'}, 'name': {'type': 'string'},
                    'is_admin': {'type': 'boolean'}, 'push': {'type': 'boolean'},
                    'created_at': TIME}),
    'Token': answer({'id': ID, 'name': {'type': 'string'}, 'created_at': TIME,
                     'expires_at': MAYBE_TIME, 'last_used_at': MAYBE_TIME},
                    current={'type': 'boolean'}, token={'type': 'string'}),
    'Workspace': answer({'id': ID, 'name': {'type': 'string'}, 'owner_id': USER_ID,
                         'created_at': TIME, 'role': ROLE}),
    'Member': answer({'user_id': ID, 'name': {'type': 'string'}, 'email': {'type': 'string'},
                      'role': ROLE, 'joined_at': TIME, 'online': {'type': 'boolean'},
                      'last_seen_at': MAYBE_TIME}),
    'Invite': answer({'id': ID, 'workspace_id': ID, 'email': nullable({'type': 'string'}),
                      'link': {'type': 'boolean'}, 'max_uses': {'type': 'integer'},
                      'uses': {'type': 'integer'}, 'invited_by': USER_ID,
                      'created_at': TIME, 'expires_at': TIME, 'accepted_at': MAYBE_TIME},
                     token={'type': 'string'}, accept_url={'type': 'string'},
                     invite_url={'type': 'string'}, emailed={'type': 'boolean'}),
    'Document': answer({'id': ID, 'workspace_id': ID, 'title': {'type': 'string'},
                        'version': {'type': 'integer'}, 'created_by': USER_ID,
                        'updated_by': USER_ID, 'created_at': TIME, 'updated_at': TIME},
                       content={'type': 'string'}),
    'Version': answer({'id': ID, 'document_id': ID, 'version': {'type': 'integer'},
                       'title': {'type': 'string'}, 'author_id': USER_ID, 'created_at': TIME,
                       'lines_added': nullable({'type': 'integer'}),
                       'lines_removed': nullable({'type': 'integer'}),
                       'author_name': nullable({'type': 'string'}),
                       'restored_from': nullable({'type': 'integer'})},
                      content={'type': 'string'}),
    # A document (with its version), a chat message (with its channel) or a file;
    # `title` and `url` say what and where, `snippet` is HTML with the hits in <mark>.
    'SearchHit': answer({'id': ID, 'kind': {'type': 'string', 'enum': list(SEARCH_KINDS)},
                         'title': {'type': 'string'}, 'url': {'type': 'string'},
                         'snippet': {'type': 'string'}, 'score': {'type': 'number'}},
                        version={'type': 'integer'}, channel_id=ID),
    'Channel': answer({'id': ID, 'workspace_id': ID, 'name': {'type': 'string'},
                       'created_by': USER_ID, 'created_at': TIME},
                      unread={'type': 'integer', 'minimum': 0}),
    'Message': answer({'id': ID, 'channel_id': ID, 'user_id': USER_ID,
                       'body': {'type': 'string'}, 'created_at': TIME,
                       'edited_at': MAYBE_TIME}),
    'File': answer({'id': ID, 'workspace_id': ID, 'name': {'type': 'string'},
                    'content_type': {'type': 'string'}, 'size': {'type': 'integer'},
                    'uploaded_by': USER_ID, 'uploaded_by_name': nullable({'type': 'string'}),
                    'created_at': TIME, 'url': {'type': 'string'}}),
    'Activity': answer({'id': ID, 'workspace_id': ID, 'user_id': USER_ID,
                        'user_name': nullable({'type': 'string'}), 'action': {'type': 'string'},
                        'target_type': nullable({'type': 'string'}),
                        'target_id': nullable({'type': 'integer'}),
                        'metadata': {'type': 'object'}, 'created_at': TIME,
                        'sentence': {'type': 'string'}, 'link': nullable({'type': 'string'})}),
    # Repeats (one kind, one person, one thing, within a day) are one entry: `count`
    # of them, `ids` newest first, `id` the newest's.
    'Notification': answer({'id': ID, 'type': {'type': 'string'}, 'data': {'type': 'object'},
                            'read': {'type': 'boolean'}, 'created_at': TIME,
                            'title': {'type': 'string'}, 'body': {'type': 'string'},
                            'link': {'type': 'string'},
                            'count': {'type': 'integer', 'minimum': 1},
                            'ids': {'type': 'array', 'items': ID, 'minItems': 1},
                            'first_at': TIME}),
    'NotificationSettings': answer({'push': {'type': 'boolean'},
                                    'kinds': {'type': 'object', 'properties': {
                                        kind: {'type': 'boolean'} for kind in KINDS},
                                        'required': list(KINDS), 'additionalProperties': False}}),
    'Export': answer({'id': ID, 'workspace_id': ID,
                      'state': {'type': 'string', 'enum': [Export.PENDING, Export.RUNNING,
                                                           Export.READY, Export.FAILED]},
                      'job_id': nullable({'type': 'string'}), 'created_at': TIME,
                      'finished_at': MAYBE_TIME},
                     download_url={'type': 'string'}, error=nullable({'type': 'string'})),
    'Deleted': answer({'deleted': ID}),
}

ERRORS = {
    400: 'Bad input: the body, a query argument or the URL (`field` says which)',
    401: 'Not signed in, or an invalid or expired bearer token',
    403: 'Not allowed: not a member, not the role it needs, or (with the session cookie) '
         'a missing or wrong X-CSRF-Token',
    404: 'No such resource (or an id no row can have)',
    409: 'Conflicts with the present state',
    410: 'Gone: expired, used up, or its stored file is missing',
    413: 'Too large: the request body, a text field, a file, or the workspace\'s quota',
    414: 'The request line (the URL with its query) is longer than the web server takes '
         '(4,094 bytes); answered by the server itself, as an HTML page',
    415: 'The body is not JSON (send Content-Type: application/json)',
    429: 'Throttled; the Retry-After header says how many seconds to wait',
    507: 'The server is out of disk space; nothing was saved',
}


# ------------------------------------------------------------------ routes

def query(name, schema, description):
    return {'name': name, 'in': 'query', 'required': False, 'schema': schema,
            'description': description}


def limit(high, default):
    return query('limit', {'type': 'integer', 'minimum': 1, 'maximum': high, 'default': default},
                 'how many to answer')
BEFORE = query('before', ID, 'only those with a smaller id (the previous page\'s next_before)')


def link(operation_id, **parameters):
    """An OpenAPI link: `parameters` are the path parameters, from this response's body."""
    return {'operationId': operation_id,
            'parameters': {name: f'$response.body#/{field}' for name, field in parameters.items()}}


def links_to(param, field, *operations):
    """Links from a create's answer to the operations that take its id as `param`."""
    return {f'to_{op}': link(op, **{param: field}) for op in operations}


class Route:
    """One operation: its 2xx answer, the errors it can answer besides the ones every
    route of its kind can (see `errors`), and what it takes."""

    def __init__(self, method, path, operation_id, summary, status, schema, *, body=None,
                 errors=(), params=(), public=False, media='application/json', links=None,
                 multipart=False, csrf=True):
        self.method, self.path, self.operation_id = method, path, operation_id
        self.summary = summary
        self.status, self.schema, self.body, self.media = status, schema, body, media
        self.extra_errors, self.params, self.public = set(errors), list(params), public
        self.links, self.multipart, self.csrf = links or {}, multipart, csrf

    @property
    def path_names(self):
        return [part[1:-1] for part in self.path.split('/') if part.startswith('{')]

    def errors(self):
        codes = set(self.extra_errors) | {401}   # any route: a bad bearer token is a 401
        if self.path_names:
            codes |= {404, 414}   # a path parameter can make the request line too long
            if not self.public:
                codes.add(403)   # not a member of the workspace the row is in
        if self.params:
            codes |= {400, 414}   # a query string can make the request line too long
        if self.body is not None:
            codes |= {400, 413} | ({415} if not self.multipart else set())
        if self.method in WRITES:
            codes.add(507)   # the disk full
            if self.csrf:
                codes.add(403)   # with the session cookie and no (or a wrong) X-CSRF-Token
        return sorted(codes)

    def describe(self):
        operation = {'operationId': self.operation_id, 'summary': self.summary,
                     'tags': [self.path.split('/')[2]],
                     'responses': {str(self.status): self._success(),
                                   **{str(c): {'$ref': f'#/components/responses/E{c}'}
                                      for c in self.errors()}}}
        parameters = [{'name': n, 'in': 'path', 'required': True,
                       'schema': {'type': 'string', 'maxLength': 100} if n == 'token' else ID}
                      for n in self.path_names] + self.params
        if parameters:
            operation['parameters'] = parameters
        if self.body is not None:
            media = 'multipart/form-data' if self.multipart else 'application/json'
            operation['requestBody'] = {'required': True, 'content': {media: {'schema': self.body}}}
        if self.public:
            operation['security'] = []
        return operation

    def _success(self):
        response = {'description': self.summary}
        if self.schema is None:
            return response
        response['content'] = {self.media: {'schema': self.schema}}
        if self.links:
            response['links'] = self.links
        return response


WS = '/api/workspaces/{workspace_id}'
DOC = '/api/documents/{document_id}'
BASE_VERSION = {**ID, 'description': 'the version this text was edited from; the save is '
                                     'refused (409) when the document is at another one'}
NAME_100 = request_body({'name': text(100)})

ROUTES = [
    Route('get', '/api/openapi.json', 'openapi', 'This description', 200, {'type': 'object'},
          public=True),
    # ---- signing up and in
    Route('post', '/api/auth/register', 'register', 'Sign up (SIGNUP decides who may)', 201,
          ref('User'), public=True, errors=(403, 409, 429), csrf=False,
          body=request_body({'email': EMAIL, 'name': text(100), 'password': PASSWORD},
                            invite={'type': 'string', 'description': "an invite's token"})),
    Route('post', '/api/auth/login', 'login', 'Sign in: a bearer token and the session cookie',
          200, answer({'token': {'type': 'string'}, 'user': ref('User'),
                       'csrf_token': {'type': 'string'}}),
          public=True, errors=(429,), csrf=False,
          body=request_body({'email': EMAIL, 'password': {'type': 'string', 'minLength': 1}},
                            token_name=text(100))),
    Route('post', '/api/auth/logout', 'logout', "End this request's bearer token and session",
          200, OK, public=True),
    Route('get', '/api/auth/csrf', 'csrf', "The session's CSRF token", 200,
          answer({'csrf_token': {'type': 'string'}}), public=True),
    Route('post', '/api/auth/password-reset', 'request_password_reset',
          'Email a one-hour password-reset link (the same answer whether or not the email '
          'has an account; 409 when the server sends no mail)', 202,
          answer({'ok': {'const': True}, 'message': {'type': 'string'}}), public=True,
          errors=(409, 429), body=request_body({'email': EMAIL})),
    Route('post', '/api/auth/password-reset/confirm', 'confirm_password_reset',
          "Set a new password with a reset link's token: every session and token ends", 200,
          OK, public=True, errors=(410,),
          body=request_body({'token': {'type': 'string', 'minLength': 1}, 'password': PASSWORD})),
    # ---- the current user
    Route('get', '/api/me', 'get_me', 'The current user', 200, ref('User')),
    Route('patch', '/api/me', 'update_me', 'Change your name and/or push setting', 200,
          ref('User'), body=request_body({}, name=text(100), push={'type': 'boolean'})),
    Route('post', '/api/me/password', 'change_password',
          'Change your password: every other session and token ends', 200, OK, errors=(429,),
          body=request_body({'current': {'type': 'string', 'minLength': 1}, 'new': PASSWORD})),
    Route('get', '/api/me/tokens', 'list_tokens', 'Your API tokens (never their secrets)', 200,
          list_of('tokens', ref('Token'))),
    Route('post', '/api/me/tokens', 'create_token', 'A new named token, shown once', 201,
          ref('Token'), body=NAME_100,
          links=links_to('token_id', 'id', 'delete_token')),
    Route('delete', '/api/me/tokens/{token_id}', 'delete_token', 'Revoke one of your tokens',
          204, None),
    # ---- workspaces and members
    Route('get', '/api/workspaces', 'list_workspaces', 'Your workspaces', 200,
          list_of('workspaces', ref('Workspace'))),
    Route('post', '/api/workspaces', 'create_workspace', 'A new workspace; you own it', 201,
          ref('Workspace'), body=NAME_100,
          links=links_to('workspace_id', 'id', 'get_workspace', 'list_members',
                         'list_documents', 'create_document', 'list_channels',
                         'create_channel', 'list_files', 'start_export', 'create_invite')),
    Route('get', WS, 'get_workspace', 'A workspace, with your role', 200, ref('Workspace'),
          errors=(403,)),
    Route('get', WS + '/members', 'list_members', 'Members, who is online and when last seen',
          200, list_of('members', ref('Member')), errors=(403,)),
    Route('patch', WS + '/members/{user_id}', 'change_role', "Change a member's role", 200,
          answer({'user_id': ID, 'role': ROLE}), errors=(409,),
          body=request_body({'role': ROLE})),
    Route('delete', WS + '/members/{user_id}', 'remove_member',
          'Leave (your own id), or remove a member', 200,
          answer({'removed': ID, 'workspace_id': ID}), errors=(409,)),
    Route('get', WS + '/activity', 'list_activity', 'The activity feed, newest first', 200,
          list_of('activity', ref('Activity'), next_before=NEXT_BEFORE), errors=(403,),
          params=[limit(1000, 50), BEFORE]),
    # ---- invites
    Route('post', WS + '/invites', 'create_invite',
          'Invite an email address, or make a link invite for anyone signed in', 201,
          ref('Invite'), errors=(429,),
          body={'oneOf': [
              request_body({'email': EMAIL}, link={'const': False}),
              request_body({'link': {'const': True},
                            'max_uses': {'type': 'integer', 'minimum': 1,
                                         'maximum': MAX_LINK_USES}})]},
          links={'invite_revoke': link('revoke_invite', invite_id='id'),
                 'invite_accept': link('accept_invite', token='token')}),
    Route('get', WS + '/invites', 'list_invites', 'Invites that can still be accepted', 200,
          list_of('invites', ref('Invite')), errors=(403,)),
    Route('delete', '/api/invites/{invite_id}', 'revoke_invite', 'Revoke an invite', 200,
          answer({'revoked': ID})),
    Route('get', '/api/invites/{token}/preview', 'show_invite',
          "What an invite's token is for: the workspace and who invited (no sign-in needed)",
          200, answer({'workspace_id': ID, 'workspace': {'type': 'string'},
                       'invited_by': nullable({'type': 'string'}),
                       'email': nullable({'type': 'string'}), 'expires_at': TIME,
                       'usable': {'type': 'boolean'}}), public=True),
    Route('post', '/api/invites/{token}/accept', 'accept_invite', 'Join by an invite\'s token',
          200, answer({'workspace_id': ID, 'role': ROLE}), errors=(400, 410)),
    # ---- documents
    Route('get', WS + '/documents', 'list_documents', 'Documents, last changed first', 200,
          list_of('documents', ref('Document')), errors=(403,)),
    Route('post', WS + '/documents', 'create_document', 'A new document', 201, ref('Document'),
          body=request_body({'title': text(200)}, content=content(MAX_CONTENT)),
          links=links_to('document_id', 'id', 'get_document', 'update_document',
                         'delete_document', 'list_versions')),
    Route('get', DOC, 'get_document', 'A document', 200, ref('Document')),
    Route('put', DOC, 'update_document',
          'Save a new version; a base_version older than the current one is a 409 whose '
          '`current` is the current version {version, title, content, author_id, '
          'author_name, updated_at}', 200, ref('Document'), errors=(409,),
          body=request_body({'content': content(MAX_CONTENT)}, title=text(200),
                            base_version=BASE_VERSION)),
    Route('patch', DOC, 'patch_document',
          'Save a new version with a new title, content or both (409 as for PUT)', 200,
          ref('Document'), errors=(409,),
          body={'anyOf': [request_body({'title': text(200)}, content=content(MAX_CONTENT),
                                       base_version=BASE_VERSION),
                          request_body({'content': content(MAX_CONTENT)}, title=text(200),
                                       base_version=BASE_VERSION)]}),
    Route('delete', DOC, 'delete_document', 'Delete a document, its versions and search entry',
          200, ref('Deleted')),
    Route('get', DOC + '/versions', 'list_versions', 'Its versions, newest first', 200,
          list_of('versions', ref('Version'))),
    Route('get', DOC + '/versions/{number}', 'get_version', 'One version', 200, ref('Version')),
    Route('post', DOC + '/versions/{number}/restore', 'restore_version',
          'A new version with the title and content of this one, by you', 200,
          ref('Document')),
    Route('get', WS + '/search', 'search_documents',
          'Search the documents (full text), chat messages and file names', 200,
          answer({'query': {'type': 'string'}, 'results': {'type': 'array',
                                                           'items': ref('SearchHit')}}),
          errors=(403,),
          params=[{**query('q', {'type': 'string', 'minLength': 1, 'maxLength': 500},
                           'the words to find'), 'required': True}, limit(100, 20),
                  query('kind', {'type': 'string', 'enum': list(SEARCH_KINDS)},
                        'only hits of this kind (`limit` is per kind)')]),
    # ---- chat
    Route('get', WS + '/channels', 'list_channels',
          'Channels, by name, each with your unread count', 200,
          list_of('channels', ref('Channel')), errors=(403,)),
    Route('post', WS + '/channels', 'create_channel', 'A new channel (its name in lower case)',
          201, ref('Channel'), body=request_body({'name': text(80)}), errors=(409,),
          links=links_to('channel_id', 'id', 'list_messages', 'post_message')),
    Route('get', '/api/channels/{channel_id}/messages', 'list_messages',
          'Messages, newest first', 200, list_of('messages', ref('Message'),
                                                 next_before=NEXT_BEFORE),
          params=[limit(1000, 50), BEFORE]),
    Route('post', '/api/channels/{channel_id}/messages', 'post_message', 'Post a message', 201,
          ref('Message'), body=request_body({'body': content(MAX_MESSAGE)}),
          links=links_to('message_id', 'id', 'edit_message', 'delete_message')),
    Route('patch', '/api/messages/{message_id}', 'edit_message',
          'Edit your message (its author only)', 200, ref('Message'),
          body=request_body({'body': content(MAX_MESSAGE)})),
    Route('delete', '/api/messages/{message_id}', 'delete_message',
          'Delete a message (its author, an owner or an admin)', 200, ref('Deleted')),
    Route('post', '/api/channels/{channel_id}/read', 'mark_channel_read',
          'Move your read marker to a message, or to the newest', 200,
          answer({'channel_id': ID, 'last_read_id': {'type': 'integer', 'minimum': 0},
                  'unread': {'type': 'integer', 'minimum': 0}}),
          body=request_body({}, message_id={'type': 'integer', 'minimum': 0,
                                            'maximum': MAX_ID})),
    # ---- files
    Route('get', WS + '/files', 'list_files', 'Files, newest first', 200,
          list_of('files', ref('File')), errors=(403,)),
    Route('post', WS + '/files', 'upload_file', 'Upload a file (multipart, field "file")', 201,
          ref('File'), multipart=True,
          body={'type': 'object', 'required': ['file'],
                'properties': {'file': {'type': 'string', 'format': 'binary'}}},
          links=links_to('file_id', 'id', 'download_file', 'delete_file')),
    Route('get', '/api/files/{file_id}', 'download_file', 'Download a file (as an attachment)',
          200, {'type': 'string', 'format': 'binary'}, media='application/octet-stream',
          errors=(410,)),
    Route('delete', '/api/files/{file_id}', 'delete_file',
          'Delete a file (its uploader, an owner or an admin)', 200, ref('Deleted')),
    # ---- exports
    Route('post', WS + '/exports', 'start_export',
          'Start an export (owners and admins; one at a time)', 202,
          answer({'export_id': ID, 'job_id': nullable({'type': 'string'}),
                  'url': {'type': 'string'}}), errors=(409, 413),
          links=links_to('export_id', 'export_id', 'get_export', 'delete_export',
                         'download_export')),
    Route('get', '/api/exports/{export_id}', 'get_export', "An export's state", 200,
          ref('Export')),
    Route('delete', '/api/exports/{export_id}', 'delete_export', 'Delete an export and its zip',
          200, ref('Deleted')),
    Route('get', '/api/exports/{export_id}/download', 'download_export', 'The ready zip', 200,
          {'type': 'string', 'format': 'binary'}, media='application/zip', errors=(409, 410)),
    # ---- notifications
    Route('get', '/api/notifications', 'list_notifications', 'Your notifications, newest first',
          200, list_of('notifications', ref('Notification'),
                       unread={'type': 'integer', 'minimum': 0}, next_before=NEXT_BEFORE),
          params=[query('unread', {'type': 'string', 'enum': ['', '0', '1', 'true', 'false']},
                        'only the unread ones (1 or true)'), limit(1000, 50), BEFORE]),
    Route('post', '/api/notifications/{notification_id}/read', 'mark_read', 'Mark one read',
          200, answer({'read': ID, 'unread': {'type': 'integer', 'minimum': 0}})),
    Route('post', '/api/notifications/read-all', 'mark_all_read', 'Mark them all read', 200,
          answer({'marked': {'type': 'integer', 'minimum': 0}, 'unread': {'const': 0}})),
    Route('get', '/api/notifications/settings', 'get_notification_settings',
          'Your notification settings: push on or off, and which kinds notify you', 200,
          ref('NotificationSettings')),
    Route('put', '/api/notifications/settings', 'put_notification_settings',
          'Change push and/or kinds (what is left out stays as it was)', 200,
          ref('NotificationSettings'),
          body=request_body({}, push={'type': 'boolean'}, kinds={
              'type': 'object', 'properties': {kind: {'type': 'boolean'} for kind in KINDS},
              'additionalProperties': False})),
]


# Operations described in modules of their own (collab/api/openapi_admin.py: the
# admin's). They import this module's pieces, so it cannot import them: each adds
# itself here when imported (collab/api/__init__.py imports them all).
MORE_ROUTES, MORE_SCHEMAS, MORE_RESPONSES = [], {}, {}


def describe_too(routes, schemas=(), responses=()):
    MORE_ROUTES.extend(routes)
    MORE_SCHEMAS.update(schemas)
    MORE_RESPONSES.update(responses)
    _cached_document.cache_clear()


def document(routes=None):
    """The description of `routes`, by default every route: ROUTES and MORE_ROUTES."""
    routes = [*ROUTES, *MORE_ROUTES] if routes is None else routes
    paths = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method] = route.describe()
    return {
        'openapi': '3.1.0',
        'info': {'title': 'Collab API', 'version': '1',
                 'description': 'Every JSON route of Collab: /api/ and the admin\'s /admin/api/ '
                                '(tag admin). Errors are `{"error": ..., '
                                '"field": ...}`. JSON bodies are at most '
                                f'{MAX_JSON_BYTES} bytes and nest at most 32 levels.'},
        'paths': paths,
        'components': {
            'schemas': {**SCHEMAS, **MORE_SCHEMAS},
            'responses': {**{f'E{code}': _error_response(code, about)
                             for code, about in ERRORS.items()}, **MORE_RESPONSES},
            'securitySchemes': {
                'bearer': {'type': 'http', 'scheme': 'bearer',
                           'description': 'A token from POST /api/auth/login or /api/me/tokens'},
                'cookie': {'type': 'apiKey', 'in': 'cookie', 'name': 'collab_session',
                           'description': 'The session cookie of a sign-in; a write made '
                                          'with it must also send the X-CSRF-Token header '
                                          '(GET /api/auth/csrf)'},
            },
        },
        'security': [{'bearer': []}, {'cookie': []}],
    }


def _error_response(code, description):
    if code == 414:
        return {'description': description,
                'content': {'text/html': {'schema': {'type': 'string'}}}}
    response = {'description': description,
                'content': {'application/json': {'schema': ref('Error')}}}
    if code == 429:
        response['headers'] = {'Retry-After': {'schema': {'type': 'integer'}, 'required': True}}
    return response


@functools.lru_cache(maxsize=1)
def _cached_document():
    return document()


@bp.get('/openapi.json')
def openapi():
    response = jsonify(_cached_document())
    response.headers['Cache-Control'] = 'public, max-age=3600'
    return response
