"""/ws: refused before the upgrade without a login or from another site, each user hears
only their own notifications, oversized messages and idle sockets are closed."""
import json
import time

import pytest
import websocket

from tests.support import Listener, close_frame, wait_for_jobs_idle, wait_until
from tests.support.world import MARKERS


def ws_url(server):
    return server.url.replace('http', 'ws') + '/ws'


def refused_status(url, **options):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, timeout=5, **options)
    return refused.value.status_code


def cookie_of(actor):
    return f"collab_session={actor.client.get_cookie('collab_session').value}"


def test_the_upgrade_is_refused_without_a_login_or_from_another_site(server, world):
    url, bob = ws_url(server), world.actors['member']
    assert refused_status(url, suppress_origin=True) == 401
    assert refused_status(url + '?token=not-a-token', suppress_origin=True) == 401
    # Another site's page riding on the browser's cookie (cross-site WebSocket hijacking).
    for origin in ('http://evil.example', 'null', server.url.replace('127.0.0.1', 'localhost')):
        assert refused_status(url, origin=origin, cookie=cookie_of(bob)) == 403, origin
        assert refused_status(f'{url}?token={bob.token}', origin=origin) == 403, origin
    same_site = Listener(server.url, origin=server.url, cookie=cookie_of(bob))
    assert same_site.of_type('hello')[0]['user_id'] == bob.user_id
    same_site.close()


def test_a_user_never_receives_another_users_notifications(server, world, consumer):
    actors = {role: world.actors[role] for role in ('owner', 'member', 'nonmember')}
    listeners = {role: Listener(server.url, actor.token) for role, actor in actors.items()}
    ann, eve = actors['owner'], actors['nonmember']
    for n in range(3):
        ann.api('POST', f"/api/workspaces/{world.one['ws']}/documents",
                json={'title': f"{MARKERS['one']} live {n}", 'content': ''})
        world.dan.api('POST', f"/api/workspaces/{world.two['ws']}/documents",
                      json={'title': f"{MARKERS['two']} live {n}", 'content': ''})
    wait_for_jobs_idle(timeout=20)
    for role in ('member', 'nonmember'):
        wait_until(lambda: len([m for m in listeners[role].of_type('notification')
                                if ' live ' in json.dumps(m)]) == 3,
                   timeout=10, message=f'three live notifications for {role}')
    heard = {role: listener.of_type('notification') for role, listener in listeners.items()}
    for listener in listeners.values():
        listener.close()

    for role, actor in actors.items():
        own = {n['id'] for n in actor.api('GET', '/api/notifications').json['notifications']}
        received = {m['data']['id'] for m in heard[role]}
        assert received <= own, f'{role} received notifications that are not theirs'
    text = {role: json.dumps(messages) for role, messages in heard.items()}
    assert MARKERS['two'] not in text['member'] and MARKERS['one'] not in text['nonmember']
    assert text['member'].count(MARKERS['one']) >= 3 and text['nonmember'].count(MARKERS['two']) >= 3
    assert ' live ' not in text['owner'], "Ann is not told of her own documents, nor of Eve's"
    assert eve.user_id != ann.user_id


def test_a_message_over_the_size_limit_closes_the_socket(server, world):
    from collab.realtime import SERVER_OPTIONS
    limit = SERVER_OPTIONS['max_message_size']
    token = world.actors['member'].token
    within = websocket.create_connection(f'{ws_url(server)}?token={token}', timeout=5,
                                         suppress_origin=True)
    within.recv()   # hello
    within.send(json.dumps({'type': 'ping', 'pad': 'x' * (limit - 100)}))
    assert json.loads(within.recv())['type'] == 'pong'
    within.close()

    over = websocket.create_connection(f'{ws_url(server)}?token={token}', timeout=5,
                                       suppress_origin=True)
    over.recv()
    over.send('x' * (limit + 1))
    assert close_frame(over)[0] == 1009   # message too big
    over.close()


def test_a_deeply_nested_message_is_answered_and_the_socket_lives_on(server, world):
    token = world.actors['member'].token
    ws = websocket.create_connection(f'{ws_url(server)}?token={token}', timeout=5,
                                     suppress_origin=True)
    ws.recv()   # hello
    ws.send('[' * 20_000)
    assert json.loads(ws.recv())['type'] == 'error'
    ws.send(json.dumps({'type': 'ping'}))
    assert json.loads(ws.recv())['type'] == 'pong'
    ws.close()


def test_a_silent_socket_is_closed_after_the_idle_timeout(app, server, world):
    app.config['WS_IDLE_TIMEOUT'] = 1
    token = world.actors['member'].token
    silent = websocket.create_connection(f'{ws_url(server)}?token={token}', timeout=5,
                                         suppress_origin=True)
    started = time.monotonic()
    assert close_frame(silent) == (1001, 'idle timeout')
    assert 0.8 < time.monotonic() - started < 5
    silent.close()

    talking = Listener(server.url, token)
    for _ in range(8):          # 2.4 s of pings, each well within the timeout
        talking.send({'type': 'ping'})
        time.sleep(0.3)
    assert talking.ws.connected and len(talking.of_type('pong')) >= 7
    talking.close()


def test_the_idle_timeout_has_a_default_longer_than_the_pages_ping(app):
    from collab.realtime import IDLE_TIMEOUT
    assert app.config['WS_IDLE_TIMEOUT'] == IDLE_TIMEOUT and 25 < IDLE_TIMEOUT <= 300
