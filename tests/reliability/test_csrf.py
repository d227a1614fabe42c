"""CSRF on every cookie-authenticated write, the admin actions too: without the session's
token a write is refused with 403 and changes nothing; with it, it does what it should."""
import json

from collab.auth import CSRF_EXEMPT
from collab.db import database
from collab.jobs.instance import huey
from collab.jobs.models import Job
from tests.support import wait_until
from tests.support.routes import ROUTES, allowed_role, app_routes, outcome_matches
from tests.support.world import fill

# Heartbeats, last-seen times and counters that move by themselves, not by a request:
# the job counts and /metrics totals fold their deltas when read, and the consumer's
# queue watcher folds them too, long after the job that made them.
MOVING_TABLES = {'consumerprocess', 'presence', 'ratelimitwindow', 'jobstatecount',
                 'jobstatedelta', 'jobtotal', 'jobobservation', 'jobtotaldelta'}


def snapshot(settings):
    """Every row of every table, the uploaded and exported files, and the queue's storage."""
    tables = {}
    for table in sorted(set(database.get_tables()) - MOVING_TABLES):
        rows = database.execute_sql(f'SELECT * FROM "{table}"').fetchall()
        tables[table] = sorted(map(repr, rows))
    files = sorted(str(p.relative_to(settings.data_dir)) for p in settings.data_dir.rglob('*')
                   if p.is_file() and p.parent.name in ('files', 'exports'))
    storage = (huey.storage.queue_size(), huey.storage.schedule_size(),
               huey.storage.result_store_size())
    return tables, files, storage


def wait_until_quiet():
    """Nothing queued or running (jobs scheduled for later stay where they are)."""
    def quiet():
        huey.ledger.flush()
        busy = Job.select().where(Job.state.in_(['queued', 'running', 'retrying'])).count()
        return huey.storage.queue_size() == 0 and busy == 0
    wait_until(quiet, timeout=20, interval=0.05, message='the queue to be quiet')


def difference(before, after):
    changed = [name for name in before[0] if before[0][name] != after[0].get(name)]
    if before[1] != after[1]:
        changed.append('files on disk')
    if before[2] != after[2]:
        changed.append(f'queue storage {before[2]} -> {after[2]}')
    return changed


def writes():
    """(method, case) for every route that is not GET."""
    return [(method, case) for (method, _), cases in sorted(ROUTES.items()) if method != 'GET'
            for case in cases]


def test_every_write_route_is_in_the_table(app):
    assert {key for key in app_routes(app) if key[0] != 'GET'} == {
        key for key in ROUTES if key[0] != 'GET'}


def test_the_only_writes_without_a_token_are_signing_up_and_in():
    exempt = {case.url for _, case in writes() if not case.csrf}
    assert exempt == {'/api/auth/register', '/api/auth/login'}
    assert set(CSRF_EXEMPT) == {'api_auth.register', 'api_auth.login'}


def test_cookie_writes_without_the_csrf_token_are_refused_and_change_nothing(app, settings,
                                                                             settled_world):
    world = settled_world
    # Every request is prepared first (fresh rows, fresh sessions), so that only the
    # refused requests themselves run between the two snapshots.
    prepared = []
    for method, case in writes():
        if not case.csrf:
            continue
        role = allowed_role(case)
        actor = world.actors[role].fresh() if case.kind == 'session' else world.actors[role]
        prepared.append((method, case, role, actor, fill(case.url, world)))
    wait_until_quiet()

    before = snapshot(settings)
    not_refused = []
    for method, case, role, actor, url in prepared:
        response = actor.client.open(url, method=method, **case.body())
        body = response.get_data(True)
        if response.status_code != 403 or 'CSRF' not in body:
            not_refused.append(f'{method} {url} as {role}: {response.status_code} {body[:150]}')
        wrong = actor.client.open(url, method=method, headers={'X-CSRF-Token': 'forged'},
                                  **case.body())
        if wrong.status_code != 403:
            not_refused.append(f'{method} {url} as {role} with a forged token: {wrong.status_code}')
    changed = difference(before, snapshot(settings))
    assert not_refused == [], json.dumps(not_refused, indent=1)
    assert changed == [], f'refused writes changed {changed}'

    # The same requests with the session's token are done.
    failed = []
    for method, case, role, actor, url in prepared:
        response = actor.client.open(url, method=method, headers={'X-CSRF-Token': actor.csrf},
                                     **case.body())
        if response.status_code == 403 or not outcome_matches(response, case.expect[role]):
            failed.append(f'{method} {url} as {role}: {response.status_code} '
                          f'{response.get_data(True)[:150]}')
    assert failed == [], json.dumps(failed, indent=1)
    print(f'\nCSRF: {len(prepared)} cookie-authenticated writes refused without the token, '
          f'done with it')


def test_signing_up_and_in_need_no_token_even_with_an_old_session(app, settled_world):
    actor = settled_world.actors['member'].fresh()
    for method, case in writes():
        if case.csrf:
            continue
        response = actor.client.open(case.url, method=method, **case.body())
        assert outcome_matches(response, case.expect['member']), (case.url, response.json)
