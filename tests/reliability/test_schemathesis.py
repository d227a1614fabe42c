"""Schemathesis reads the API's own description (GET /api/openapi.json) and fuzzes a live
`python run.py` with it: as a member of a workspace full of data, anonymously,
statefully (following the description's links from what a create answers to the
operations on it) as the workspace's owner, and over the admin's operations
(/admin/api/) as the administrator, with real jobs, periodic tasks and users to act
on. The member and the anonymous runs cover the admin's operations too (403 and
401 as described). Not one answer may be a 5xx, and every
answer must be one the description documents: its status code, its content type and
its body's schema. Deterministic (derandomized), so a failure is the same on every run."""
import queue
import threading
from collections import Counter

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from hypothesis.errors import FlakyStrategyDefinition

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)
from tests.support import ADMIN, PASSWORD, garden_club, sign_in, sign_up, wait_for_state

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
TARGETS = {'member': 3000, 'anonymous': 1000, 'admin': 600, 'admin_all': 400,
           'stateful_scenarios': 50}   # > 5,000 requests
MODES = [GenerationMode.POSITIVE, GenerationMode.POSITIVE, GenerationMode.POSITIVE,
         GenerationMode.NEGATIVE]
# Operations that can take the fuzzing user's own access away: after one succeeds, the
# user's token and membership are checked and restored.
SELF_AFFECTING = {'logout', 'delete_token', 'remove_member', 'change_role'}
PASSWORD_HASHING = {'register', 'login', 'change_password', 'admin_reset_password'}
NAMED_BY_TEXT = {'job_id', 'task'}
# The admin's operations that delete job records, or act on every matching job: run
# after the others, which would find little left to act on.
SWEEPING = {'admin_delete_job', 'admin_delete_job_by_post', 'admin_bulk_retry',
            'admin_bulk_revoke', 'admin_bulk_delete'}
FUZZ_SETTINGS = dict(deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                     suppress_health_check=list(HealthCheck))


class Fuzzer:
    """Sends cases to the server and keeps every failure (rather than stopping at the
    first), with the number of requests sent."""

    def __init__(self, url):
        self.url, self.session = url, requests.Session()
        self.sent, self.server_errors, self.failures = 0, 0, []
        self.successes = 0
        self.answered_2xx = Counter()   # by operationId
        self.stateful_restarts = 0

    def send(self, case, headers):
        response = case.call(base_url=self.url, session=self.session, headers=headers,
                             timeout=15)
        self.sent += 1
        self.successes += response.status_code < 300
        self.answered_2xx[operation_id(case.operation)] += response.status_code < 300
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


def seed_jobs(workspace_id):
    """Jobs in each state the admin acts on, enqueued into the server's own queue
    (`server_queue` binds this process to it), real catalogue tasks: a group of two
    that fail (activity for a workspace that does not exist: a foreign key), two
    waiting to retry, three scheduled an hour ahead; and a message no consumer can read
    (a dead letter). The exports of build_world add chords with progress."""
    from huey import group
    from collab.jobs.instance import huey
    from tasks.activity import log_activity

    def failing(retries=0):
        task = log_activity.s(2**40, None, 'document.created', 'document')
        task.retries, task.retry_delay = retries, 3600
        return task

    failed = [result.id for result in huey.enqueue(group([failing(), failing()]))]
    retrying = [failing(retries=1), failing(retries=1)]
    for task in retrying:
        huey.enqueue(task)
    for _ in range(3):
        log_activity.schedule(args=(workspace_id, None, 'document.created', 'document'),
                              delay=3600)
    huey.storage.enqueue(b'garbage without a signature')
    huey.ledger.flush()
    for job_id in failed:
        wait_for_state(job_id, 'failed', timeout=30)
    for task in retrying:
        wait_for_state(task.id, 'retrying', timeout=30)


def admin_world(url, ids):
    """The administrator, and real ids for the admin's path parameters: the jobs
    (seed_jobs' and the exports'), the periodic tasks, and users (the administrator's
    own id, whose reset is a 409, and one more)."""
    seed_jobs(ids['workspace_id'][0])
    admin = sign_in(url, ADMIN['email'], ADMIN['password'])
    spare = sign_up(url, 'dan@example.com', 'Dan')
    jobs = admin.call('GET', '/admin/api/jobs?limit=30')['jobs']
    schedule = admin.call('GET', '/admin/api/schedule')['schedule']
    assert {'failed', 'retrying', 'scheduled', 'succeeded'} <= {job['state'] for job in jobs}
    assert schedule and admin.call('GET', '/admin/api/dead-letters')['dead_letters']
    return admin, {**ids, 'job_id': [job['id'] for job in jobs],
                   'task': [entry['task'] for entry in schedule],
                   'user_id': [admin.id, spare.id]}


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


def real_id(name, draw):
    """Whether a path parameter gets a real id, by a drawn 0 to 3. Hypothesis draws 0
    (the generated value kept) most: a generated number is often a real id anyway, a
    generated job id or task name never is, so those keep theirs only on a 3."""
    return draw != 3 if name in NAMED_BY_TEXT else draw != 0


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
            if name in ids and real_id(name, data.draw(st.integers(0, 3))):
                case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
        sender.put(case, identity)

    try:
        one_request()
    finally:
        sender.finish()


def stateful_run(fuzzer, schema, identity, scenarios, runs=3):
    """Scenarios of linked calls: create something, then get, change or delete it.

    The server's answers steer them: a create answered 201 in one scenario and 409
    in a later one with the same draws (e.g. an export while another still runs)
    leaves a bundle empty, which Hypothesis reports as inconsistent data generation.
    As in schemathesis' own runner, that ends the run, not the test (each answer has
    been checked as it came): the scenarios left run again, `runs` times at most."""
    completed = []

    class Scenario(schema.as_state_machine()):
        def teardown(self):
            completed.append(True)
            super().teardown()

        def get_call_kwargs(self, case):
            return {'base_url': fuzzer.url, 'headers': identity.headers, 'timeout': 15}

        def call(self, case, **kwargs):
            fuzzer.sent += 1
            return case.call(session=fuzzer.session, **kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            fuzzer.check(case, response, identity.headers)
            if operation_id(case.operation) in SELF_AFFECTING:
                identity.restore()

    for run in range(runs):
        try:
            Scenario.run(settings=settings(max_examples=max(1, scenarios - len(completed)),
                                           stateful_step_count=10, **FUZZ_SETTINGS))
            return
        except FlakyStrategyDefinition:
            if run == runs - 1:
                raise
            fuzzer.stateful_restarts += 1


def test_the_api_answers_as_its_description_says(live_server, server_queue):
    url = live_server.url
    owner, member, ids = build_world(url)
    schema = schemathesis.openapi.from_url(url + '/api/openapi.json')
    operations = [result.ok() for result in schema.get_all_operations()]
    admin_operations = [op for op in operations if op.path.startswith('/admin/api/')]
    assert admin_operations
    admin, admin_ids = admin_world(url, ids)
    fuzzer = Fuzzer(url)

    fuzz_operations(fuzzer, operations, ids, member, TARGETS['member'])
    fuzz_operations(fuzzer, operations, ids, None, TARGETS['anonymous'])
    stateful_run(fuzzer, schema, owner, TARGETS['stateful_scenarios'])
    # Last: a password reset ends the sessions and tokens of the users the others use.
    fuzz_operations(fuzzer, [op for op in admin_operations if operation_id(op) not in SWEEPING],
                    admin_ids, admin, TARGETS['admin'])
    fuzz_operations(fuzzer, admin_operations, admin_ids, admin, TARGETS['admin_all'])

    print(f'\nschemathesis: {fuzzer.sent} requests over {len(operations)} operations '
          f'({fuzzer.successes} answered 2xx), {fuzzer.server_errors} with a 5xx, '
          f'{len(fuzzer.failures)} not as described; the stateful run restarted '
          f'{fuzzer.stateful_restarts} times')
    assert fuzzer.failures == [], fuzzer.report()
    assert fuzzer.sent >= 5000
    # Each admin operation's success schema was held to real answers.
    never = [operation_id(op) for op in admin_operations
             if not fuzzer.answered_2xx[operation_id(op)]]
    assert never == [], f'admin operations never answered 2xx: {never}'
