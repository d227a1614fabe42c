"""API fuzzing: hypothesis-generated requests against every route of the app (the url_map
itself, so a new route is fuzzed too) — random ids, query strings, JSON of every shape,
non-JSON bodies, wrong content types, odd file names, every kind of credentials. Not one
answer may be a 5xx."""
import io
import json
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.world import World

TARGETS = {'api': 3000, 'admin_and_pages': 2200, 'postgres': 1500}   # 6,700 requests in all
MAX_ID = 2**63 - 1
# A few thousand requests each: over a minute on a busy machine, past the default timeout.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FIELDS = ['email', 'name', 'password', 'title', 'content', 'body', 'push', 'state', 'task',
          'q', 'since', 'until', 'limit', 'cursor', 'file', 'csrf_token', 'id']
QUERY_KEYS = ['limit', 'before', 'q', 'unread', 'state', 'task', 'since', 'until', 'cursor',
              'partial', 'diff', 'token', 'next', 'page']
NASTY_TEXT = ['', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', "' OR 1=1 --",
              '"', '\\', '%00', '\x00', '../../etc/passwd', '/etc/passwd', 'C:\\Windows\\win.ini',
              '<script>alert(1)</script>', '\u202e\u0000\ud7ff', '𝕏' * 50, 'a' * 5000,
              '9' * 40, '2024-13-45T99:99', '2024-01-01T00:00:00Z', '*', 'x:y', '%', '_']


def text():
    return st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=40),
                     st.text(alphabet=string.printable, min_size=200, max_size=1000))


def integers():
    return st.one_of(st.integers(-2**70, 2**70), st.sampled_from([0, -1, 1, MAX_ID, MAX_ID + 1,
                                                                  2**64, -2**63]))


json_scalars = st.one_of(st.none(), st.booleans(), integers(),
                         st.floats(allow_nan=False, allow_infinity=False), text())
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)),
    max_leaves=20)
known_objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
VALID = {'email': 'new@example.com', 'name': 'Name', 'password': 'correct horse', 'title': 'T',
         'content': 'c', 'body': 'b', 'push': True, 'state': 'failed', 'task': 'tests.x'}
# A valid body with one or two fields spoiled: gets past the first checks, deeper in.
spoiled_objects = st.builds(lambda changes: {**VALID, **changes},
                            st.dictionaries(st.sampled_from(sorted(VALID)),
                                            st.one_of(text(), json_values), min_size=1, max_size=2))


def path_value(world, converter):
    """A value for one URL variable: a real id, a random one, or garbage."""
    if converter.startswith('int') or converter == 'id':
        real = [v for v in world.one.values() if isinstance(v, int)] + [world.two['ws']]
        return st.one_of(st.sampled_from(real), integers().map(str), text())
    if converter.startswith('any('):
        options = [o.strip() for o in converter[4:-1].split(',')]
        return st.one_of(st.sampled_from(options), text())
    return st.one_of(st.sampled_from(['tests.sample_tasks.never_due', 'app.js', 'admin.css',
                                      'no-such-job', world.failed_job]), text())


def build_path(data, world, rule):
    def replace(match):
        converter = match.group(1) or 'default'
        value = data.draw(path_value(world, converter))
        return re.sub(r'[/?#]', lambda c: '%%%02X' % ord(c.group()), str(value)) or '_'
    return re.sub(r'<(?:([^:>]+):)?\w+>', replace, rule)


def body_kwargs(data):
    kind = data.draw(st.sampled_from(['none', 'json', 'object', 'spoiled', 'spoiled', 'raw',
                                      'form', 'spoiled_form', 'file', 'huge']))
    if kind == 'spoiled':
        return {'json': data.draw(spoiled_objects)}
    if kind == 'spoiled_form':
        return {'data': {k: str(v) for k, v in data.draw(spoiled_objects).items()}}
    if kind == 'json':
        return {'data': json.dumps(data.draw(json_values)), 'content_type': data.draw(
            st.sampled_from(['application/json', 'text/plain', 'application/x-www-form-urlencoded']))}
    if kind == 'object':
        return {'json': data.draw(known_objects)}
    if kind == 'raw':
        return {'data': data.draw(st.binary(max_size=2000)), 'content_type': data.draw(
            st.sampled_from(['application/json', 'multipart/form-data', 'multipart/form-data; '
                             'boundary=x', 'text/xml', 'application/octet-stream', '', 'x/y;;']))}
    if kind == 'form':
        return {'data': data.draw(st.dictionaries(st.sampled_from(FIELDS), text(), max_size=5))}
    if kind == 'file':
        name = data.draw(st.sampled_from(['../../etc/passwd', '/etc/passwd', 'a\x00b.txt', '',
                                          '..', '.', 'x' * 1000, 'C:\\boot.ini', 'ok.txt']))
        return {'data': {'file': (io.BytesIO(data.draw(st.binary(max_size=500))), name)}}
    if kind == 'huge':
        return {'data': b'{"name": "' + b'x' * 300_000 + b'"}', 'content_type': 'application/json'}
    return {}


def credentials(data, world, path):
    owner, admin = world.actors['owner'], world.actors['admin']
    who = data.draw(st.sampled_from(['anonymous', 'owner', 'owner', 'nonmember', 'admin', 'admin',
                                     'bogus', 'cookie', 'cookie']))
    if path.rstrip('/').endswith('logout'):
        who = 'anonymous'   # keep the fuzzing users signed in
    if who == 'cookie':
        return owner.client, {'X-CSRF-Token': owner.csrf}
    headers = {'anonymous': {}, 'bogus': {'Authorization': 'Bearer ' + 'x' * 40}}.get(who)
    if headers is None:
        headers = world.actors[who].bearer if who != 'admin' else admin.bearer
    return world.app.test_client(), headers


def fuzz(app, target, rule_filter):
    world = World(app)
    world.failed_job = 'not-a-job'
    rules = sorted({(r.rule, tuple(sorted(r.methods - {'HEAD', 'OPTIONS'})))
                    for r in app.url_map.iter_rules() if rule_filter(r.rule)})
    assert rules
    sent, errors = [], []

    @settings(max_examples=target, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one_request(data):
        rule, methods = data.draw(st.sampled_from(rules))
        method = data.draw(st.one_of(st.sampled_from(methods), st.sampled_from(
            ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])))
        path = build_path(data, world, rule)
        query = data.draw(st.dictionaries(st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=8)),
                                          st.one_of(text(), integers().map(str)), max_size=4))
        client, headers = credentials(data, world, path)
        response = client.open(path, method=method, query_string=query, headers=headers,
                               **body_kwargs(data))
        sent.append(1)
        if response.status_code >= 500:
            errors.append(f'{method} {path} {query!r}: {response.status_code} '
                          f'{response.get_data(True)[:200]}')
        response.close()

    one_request()
    print(f'\nfuzzed {len(sent)} requests over {len(rules)} rules: {len(errors)} with a 5xx')
    assert len(sent) >= target
    assert errors == [], '\n'.join(errors[:20])


def test_fuzzing_the_json_api_gets_no_5xx(app):
    fuzz(app, TARGETS['api'], lambda rule: rule.startswith('/api/'))


def test_fuzzing_admin_pages_and_the_rest_gets_no_5xx(app):
    fuzz(app, TARGETS['admin_and_pages'], lambda rule: not rule.startswith(('/api/', '/ws')))


@pytest.mark.parametrize('db_backend', ['postgres'], indirect=True)
def test_fuzzing_the_json_api_on_postgresql_gets_no_5xx(app, db_backend):
    """PostgreSQL is stricter than SQLite (NUL bytes, integer ranges): fuzz it too."""
    fuzz(app, TARGETS['postgres'], lambda rule: rule.startswith('/api/'))
