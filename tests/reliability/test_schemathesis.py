"""Schemathesis reads the API's own description (GET /api/openapi.json) and fuzzes a live
`python run.py` with it: as a member of a workspace full of data, anonymously, and
statefully (following the description's links from what a create answers to the
operations on it) as the workspace's owner. Not one answer may be a 5xx, and every
answer must be one the description documents: its status code, its content type and
its body's schema. Deterministic (derandomized), so a failure is the same on every run."""
import queue
import threading

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)
from tests.support import PASSWORD, garden_club

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
TARGETS = {'member': 3400, 'anonymous': 1200, 'stateful_scenarios': 50}   # > 5,000 requests
MODES = [GenerationMode.POSITIVE, GenerationMode.POSITIVE, GenerationMode.POSITIVE,
         GenerationMode.NEGATIVE]
# Operations that can take the fuzzing user's own access away: after one succeeds, the
# user's token and membership are checked and restored.
SELF_AFFECTING = {'logout', 'delete_token', 'remove_member', 'change_role'}
PASSWORD_HASHING = {'register', 'login', 'change_password'}
FUZZ_SETTINGS = dict(deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                     suppress_health_check=list(HealthCheck))


class Fuzzer:
    """Sends cases to the server and keeps every failure (rather than stopping at the
    first), with the number of requests sent."""

    def __init__(self, url):
        self.url, self.session = url, requests.Session()
        self.sent, self.server_errors, self.failures = 0, 0, []
        self.successes = 0

    def send(self, case, headers):
        response = case.call(base_url=self.url, session=self.session, headers=headers,
                             timeout=15)
        self.sent += 1
        self.successes += response.status_code < 300
        self.check(case, response, headers)
        return response

    def check(self, case, response, headers):
        self.server_errors += response.status_code >= 500
        try:
            case.validate_response(response, checks=CHECKS, headers=headers,
                                   transport_kwargs={'base_url': self.url})
        except FailureGroup as group:
            self.failures.append(f'{case.method} {case.formatted_path} '
                                 f'{response.status_code}: {group.exceptions[0].title}\n'
                                 f'{str(group)[:1500]}')

    def report(self):
        distinct = sorted({f.split('\n')[0] for f in self.failures})
        return f'{len(self.failures)} failures:\n' + '\n'.join(distinct[:40]) + (
            '\n\nfirst in full:\n' + self.failures[0] if self.failures else '')


class Identity:
    """A signed-in user whose bearer token and membership the fuzzing may end (logout,
    revoking the token, leaving): `restore` gets them back through a separate
    cookie session and a link invite, without another sign-in (sign-ins are throttled)."""

    def __init__(self, url, account, workspace_id, link_token):
        self.url, self.account = url, account
        self.workspace_id, self.link_token = workspace_id, link_token
        self.cookie = requests.Session()
        answer = self.cookie.post(url + '/api/auth/login', timeout=15, json={
            'email': account.email, 'password': PASSWORD}).json()
        self.csrf = answer['csrf_token']

    @property
    def headers(self):
        return self.account.headers

    def restore(self):
        if requests.get(self.url + '/api/me', headers=self.headers, timeout=15).status_code == 401:
            minted = self.cookie.post(self.url + '/api/me/tokens', json={'name': 'fuzzing'},
                                      headers={'X-CSRF-Token': self.csrf}, timeout=15)
            assert minted.status_code == 201, minted.text
            self.account.token = minted.json()['token']
        workspace = requests.get(f'{self.url}/api/workspaces/{self.workspace_id}',
                                 headers=self.headers, timeout=15)
        if workspace.status_code == 403:
            requests.post(f'{self.url}/api/invites/{self.link_token}/accept',
                          headers=self.headers, timeout=15).raise_for_status()


def upload(url, account, workspace_id, name):
    response = requests.post(f'{url}/api/workspaces/{workspace_id}/files', headers=account.headers,
                             files={'file': (name, b'seed bytes\n')}, timeout=15)
    assert response.status_code == 201, response.text
    return response.json()['id']


def build_world(url):
    """Ann owns "Garden club" and a workspace of her own; Bob is a member of the club.
    Real ids of every kind, for the fuzzing to hit (keyed by path parameter name)."""
    ann, bob, club = garden_club(url)
    own = ann.call('POST', '/api/workspaces', {'name': 'Ann alone'})['id']
    link = ann.call('POST', f'/api/workspaces/{club}/invites', {'link': True, 'max_uses': 1000})
    ids = {'workspace_id': [club, own], 'user_id': [ann.id, bob.id], 'number': [1, 2],
           'token': [link['token'], 'x' * 43], 'invite_id': [link['id']]}
    for who, workspace in [(bob, club), (bob, club), (ann, club), (ann, own)]:
        doc = who.call('POST', f'/api/workspaces/{workspace}/documents',
                       {'title': 'Seeds', 'content': 'tomato\nbasil'})
        who.call('PUT', f"/api/documents/{doc['id']}", {'content': 'tomato\nbasil\nleek'})
        ids.setdefault('document_id', []).append(doc['id'])
        channel = who.call('POST', f'/api/workspaces/{workspace}/channels',
                           {'name': f"general-{doc['id']}"})
        ids.setdefault('channel_id', []).append(channel['id'])
        message = who.call('POST', f"/api/channels/{channel['id']}/messages", {'body': 'hello'})
        ids.setdefault('message_id', []).append(message['id'])
        ids.setdefault('file_id', []).append(upload(url, who, workspace, 'plan.txt'))
    ids['export_id'] = [ann.call('POST', f'/api/workspaces/{club}/exports')['export_id'],
                        ann.call('POST', f'/api/workspaces/{own}/exports')['export_id']]
    ids['invite_id'].append(ann.call('POST', f'/api/workspaces/{club}/invites',
                                     {'email': 'cat@example.com'})['id'])
    ids['token_id'] = [t['id'] for t in bob.call('GET', '/api/me/tokens')['tokens']]
    ids['notification_id'] = [n['id'] for n in bob.call('GET', '/api/notifications')
                              ['notifications']] or [1]
    return (Identity(url, ann, club, link['token']), Identity(url, bob, club, link['token']),
            ids)


class Sender:
    """Sends cases in a thread of its own, in the order they are drawn, while the next
    ones are drawn: drawing a case takes as long as the server takes to answer it.

    The first `WARM_UP` are sent from the drawing thread itself: the modules a request,
    its check and its failure report import on first use are imported then. Imported
    from the sender while Hypothesis parses a lambda's source in the other thread, they
    trip CPython 3.11's AST recursion counter, which the threads share (a SystemError)."""

    WARM_UP = 300

    def __init__(self, fuzzer):
        self.fuzzer, self.queue = fuzzer, queue.Queue(maxsize=50)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.warm_up = self.WARM_UP

    def put(self, case, identity):
        if self.warm_up:
            self.warm_up -= 1
            self._send(case, identity)
        else:
            self.queue.put((case, identity))

    def finish(self):
        self.queue.put(None)
        self.thread.join()

    def _run(self):
        while (item := self.queue.get()) is not None:
            self._send(*item)

    def _send(self, case, identity):
        try:
            response = self.fuzzer.send(case, identity.headers if identity else {})
            if identity and operation_id(case.operation) in SELF_AFFECTING \
                    and response.status_code < 400:
                identity.restore()
        except Exception as exc:   # e.g. a timeout: a failure like any other
            self.fuzzer.failures.append(f'{case.method} {case.formatted_path}: {exc!r}')


def operation_id(operation):
    return operation.definition.raw['operationId']


def draws(operations):
    """(operation, mode) pairs to draw from: negative cases only where there is input to
    spoil, and the operations that hash a password (slow, and throttled) drawn less."""
    pairs = []
    for operation in operations:
        raw = operation.definition.raw
        modes = MODES if raw.get('parameters') or raw.get('requestBody') else MODES[:1]
        weight = 1 if operation_id(operation) in PASSWORD_HASHING else 3
        pairs += [(operation, mode) for mode in modes] * weight
    return pairs


def fuzz_operations(fuzzer, operations, ids, identity, count):
    """`count` cases drawn over every operation, positive and negative, most with the
    path parameters set to real ids."""
    pairs = draws(operations)
    strategies = {pair: pair[0].as_strategy(pair[1]) for pair in set(pairs)}
    sender = Sender(fuzzer)

    @settings(max_examples=count, **FUZZ_SETTINGS)
    @given(st.data())
    def one_request(data):
        case = data.draw(strategies[data.draw(st.sampled_from(pairs))])
        for name in list(case.path_parameters or {}):
            if name in ids and data.draw(st.integers(0, 3)):
                case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
        sender.put(case, identity)

    try:
        one_request()
    finally:
        sender.finish()


def stateful_run(fuzzer, schema, identity, scenarios):
    """Scenarios of linked calls: create something, then get, change or delete it."""

    class Scenario(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {'base_url': fuzzer.url, 'headers': identity.headers, 'timeout': 15}

        def call(self, case, **kwargs):
            fuzzer.sent += 1
            return case.call(session=fuzzer.session, **kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            fuzzer.check(case, response, identity.headers)
            if operation_id(case.operation) in SELF_AFFECTING:
                identity.restore()

    Scenario.run(settings=settings(max_examples=scenarios, stateful_step_count=10,
                                   **FUZZ_SETTINGS))


def test_the_api_answers_as_its_description_says(live_server):
    url = live_server.url
    owner, member, ids = build_world(url)
    schema = schemathesis.openapi.from_url(url + '/api/openapi.json')
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzer = Fuzzer(url)

    fuzz_operations(fuzzer, operations, ids, member, TARGETS['member'])
    fuzz_operations(fuzzer, operations, ids, None, TARGETS['anonymous'])
    stateful_run(fuzzer, schema, owner, TARGETS['stateful_scenarios'])

    print(f'\nschemathesis: {fuzzer.sent} requests over {len(operations)} operations '
          f'({fuzzer.successes} answered 2xx), {fuzzer.server_errors} with a 5xx, '
          f'{len(fuzzer.failures)} not as described')
    assert fuzzer.failures == [], fuzzer.report()
    assert fuzzer.sent >= 5000
