"""The authorization matrix: every route of the app × anonymous / non-member / member /
workspace admin / owner / site admin, each with the outcome it must get, and no
workspace's data shown to anyone outside it. A route missing from the table fails the test."""
import json

import pytest
import websocket

from tests.support import Listener, ThreadedServer, page_csrf_token
from tests.support.routes import ROUTES, allowed_role, app_routes, outcome_matches
from tests.support.world import MARKERS, ROLES, fill


def describe(expected):
    return expected if isinstance(expected, int) else f'redirect to {expected[1]}'


def workspace_ids(value):
    """Every `workspace_id` in a JSON document, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == 'workspace_id' and isinstance(item, int):
                yield item
            yield from workspace_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from workspace_ids(item)


def leaks(world, response, role, url):
    """What of a workspace this role does not belong to the response shows."""
    if role == 'admin' and (url.startswith('/admin') or url == '/metrics'):
        return []   # the job dashboard shows job arguments to administrators by design
    foreign = []
    if role not in ('member', 'workspace_admin', 'owner'):
        foreign.append(('one', world.one['ws']))
    if role != 'nonmember':
        foreign.append(('two', world.two['ws']))
    body = response.get_data()
    found = [MARKERS[name] for name, _ in foreign if MARKERS[name].encode() in body]
    if response.is_json:
        shown = set(workspace_ids(response.get_json(silent=True)))
        found += [f'workspace_id {ws}' for _, ws in foreign if ws in shown]
    return found


def modes(case):
    if case.kind == 'page' or (case.kind == 'session' and not case.url.startswith('/api/')):
        return ('cookie',)
    return ('bearer', 'cookie')


def perform(world, method, case, actor, mode, missing=False):
    if case.kind == 'session':
        actor = actor.fresh()
    url = fill(case.url, world, missing)
    if mode == 'bearer':
        return url, actor.api(method, url, **case.body())
    headers = {}
    if method != 'GET':   # anonymous visitors carry the page's token too (sign-in forms)
        headers['X-CSRF-Token'] = actor.csrf or page_csrf_token(actor.client)
    return url, actor.client.open(url, method=method, headers=headers, **case.body())


def check_websocket(app, world):
    """/ws is refused before the upgrade without a login or from another site; every
    signed-in role gets its own socket."""
    server = ThreadedServer(app).start()
    url = server.url.replace('http', 'ws') + '/ws'
    outcomes = []
    try:
        for role in ROLES:
            actor = world.actors[role]
            if actor.token is None:
                with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                    websocket.create_connection(url, timeout=5, suppress_origin=True)
                outcomes.append((role, refused.value.status_code, 401))
                continue
            listener = Listener(server.url, actor.token, origin=server.url)
            outcomes.append((role, listener.of_type('hello')[0]['user_id'], actor.user_id))
            listener.close()
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                websocket.create_connection(f'{url}?token={actor.token}', timeout=5,
                                            origin='http://evil.example')
            outcomes.append((f'{role} from another site', refused.value.status_code, 403))
    finally:
        server.stop()
    return outcomes


def test_every_route_answers_each_role_as_the_table_says_and_leaks_nothing(app, settled_world):
    world = settled_world
    in_app, in_table = app_routes(app), set(ROUTES)
    assert in_app - in_table == set(), 'routes missing from the authorization table'
    assert in_table - in_app == set(), 'table entries for routes the app no longer has'

    wrong, leaked, checked, seen_own = [], [], 0, 0
    for (method, rule), cases in sorted(ROUTES.items()):
        for case in cases:
            if case.kind == 'websocket':
                continue
            for role in ROLES:
                for mode in modes(case):
                    url, response = perform(world, method, case, world.actors[role], mode)
                    checked += 1
                    if not outcome_matches(response, case.expect[role]):
                        wrong.append(f'{method} {url} as {role} ({mode}): got '
                                     f'{response.status_code} {response.location or ""} '
                                     f'want {describe(case.expect[role])}: '
                                     f'{response.get_data(True)[:200]}')
                    leaked += [f'{method} {url} as {role} ({mode}) shows {what}'
                               for what in leaks(world, response, role, url)]
                    seen_own += role == 'member' and MARKERS['one'].encode() in response.data
            if case.missing is not None:
                role = allowed_role(case)
                mode = modes(case)[0]
                url, response = perform(world, method, case, world.actors[role], mode,
                                        missing=True)
                checked += 1
                if not outcome_matches(response, case.missing):
                    wrong.append(f'{method} {url} (missing ids) as {role}: got '
                                 f'{response.status_code}, want {describe(case.missing)}')

    for who, got, want in check_websocket(app, world):
        checked += 1
        if got != want:
            wrong.append(f'GET /ws as {who}: got {got}, want {want}')

    print(f'\nauthorization matrix: {len(in_app)} routes (method + rule), '
          f'{sum(len(c) for c in ROUTES.values())} cases, {len(ROLES)} roles, '
          f'{checked} checks, {len(wrong)} wrong, {len(leaked)} leaks')
    assert seen_own >= 20, 'the markers must show where they belong, or the leak check proves nothing'
    assert wrong == [], json.dumps(wrong, indent=1)
    assert leaked == [], json.dumps(leaked, indent=1)
