"""/ws in one process: auth, Origin, ping/pong, live notifications, presence, no held DB connection."""
import os

import pytest
import websocket

from collab import broadcast
from collab.jobs.instance import huey
from tasks.activity import generate_daily_digest
from tests.support import Listener, bearer_token, sign_in, wait_for_jobs_idle, wait_until


def handshake_status(url, **options):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, timeout=5, **options)
    return refused.value.status_code


def test_a_socket_needs_a_login_and_a_same_site_origin(server, team):
    url = server.url.replace('http', 'ws') + '/ws'
    assert handshake_status(url, suppress_origin=True) == 401
    assert handshake_status(url + '?token=wrong', suppress_origin=True) == 401
    assert handshake_status(f'{url}?token={bearer_token(team.ann)}', origin='http://evil.example') == 403
    same_site = Listener(server.url, bearer_token(team.ann), origin=server.url)
    assert same_site.of_type('hello')[0]['user_id'] == team.user_id(team.ann)
    same_site.close()


def test_a_session_cookie_authenticates_the_socket(server, team, client):
    sign_in(client, 'bob@example.com')
    cookie = client.get_cookie('collab_session')
    listener = Listener(server.url, origin=server.url, cookie=f'collab_session={cookie.value}')
    assert listener.of_type('hello')[0]['user_id'] == team.user_id(team.bob)
    listener.close()


def test_ping_gets_pong_and_nonsense_gets_an_error(server, team):
    listener = Listener(server.url, bearer_token(team.ann))
    listener.send({'type': 'ping'})
    listener.wait_for(lambda m: m['type'] == 'pong', 'pong')
    listener.ws.send('not json')
    listener.wait_for(lambda m: m['type'] == 'error', 'an error reply')
    listener.close()


def test_a_digest_reaches_a_second_members_socket(server, team, consumer):
    bob = Listener(server.url, bearer_token(team.bob))
    wait_for_jobs_idle()
    team.document('Weekly plan')
    generate_daily_digest(team.ws_id)
    digest = bob.wait_for(lambda m: m['type'] == 'notification'
                          and m['data']['type'] == 'digest', 'the digest on the socket')
    assert digest['data']['title'] == 'Daily digest: Garden club'
    assert digest['data']['data']['count'] >= 1 and digest['data']['read'] is False
    created = bob.wait_for(lambda m: m['type'] == 'notification'
                           and m['data']['type'] == 'document.created', 'the edit notification')
    assert created['data']['title'] == 'Ann created “Weekly plan”'
    bob.close()


def test_presence_is_announced_to_co_members(server, team):
    ann = Listener(server.url, bearer_token(team.ann))
    bob = Listener(server.url, bearer_token(team.bob))
    came = ann.wait_for(lambda m: m['type'] == 'presence' and m['online'], 'Bob online')
    assert came['user_id'] == team.user_id(team.bob) and came['workspace_ids'] == [team.ws_id]
    members = team.client.get(f'/api/workspaces/{team.ws_id}/members', headers=team.ann).json
    assert [m['online'] for m in members['members']] == [True, True]
    bob.close()
    ann.wait_for(lambda m: m['type'] == 'presence' and not m['online'], 'Bob offline')
    wait_until(lambda: broadcast.registry.count(team.user_id(team.bob)) == 0,
               message='Bob unregistered')
    eve = Listener(server.url, bearer_token(team.eve))   # not a co-member: nobody hears of her
    eve.close()
    assert not [m for m in ann.of_type('presence') if m['user_id'] == team.user_id(team.eve)]
    ann.close()


def test_open_sockets_hold_no_database_connection(server, team, settings):
    """Five open sockets that have talked, yet no more SQLite connections than before."""
    huey.ledger.flush()   # the ledger writer's own connection is open from here on
    before = _database_handles(settings)
    listeners = [Listener(server.url, bearer_token(team.ann)) for _ in range(5)]
    for listener in listeners:
        listener.send({'type': 'ping'})
        listener.wait_for(lambda m: m['type'] == 'pong', 'pong')
    # SQLite keeps the descriptor of a closed connection open while other
    # connections of the process hold locks on the file, for its next open to
    # reuse: at most one such. Five sockets holding connections would be five; a
    # connection another thread opens for a moment (the ledger writer's batch, a
    # socket's presence query) is closed again within the wait.
    wait_until(lambda: _database_handles(settings) <= before + 1, timeout=5,
               message='no more database handles than one kept for reuse')
    for listener in listeners:
        listener.close()


def _database_handles(settings):
    """Open file descriptors of this process on the database file: one per
    connection, and at most one of a closed connection, kept for reuse."""
    target = str(settings.data_dir / 'collab.db')
    count = 0
    for fd in os.listdir('/proc/self/fd'):
        try:
            count += os.readlink(f'/proc/self/fd/{fd}') == target
        except OSError:
            pass
    return count
