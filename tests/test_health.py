"""GET /healthz: the database, the queue, and the consumers with a live heartbeat."""
from datetime import timedelta

import pytest

from collab.fields import utcnow
from collab.jobs.models import CONSUMER_DEAD_AFTER, ConsumerProcess


def consumer_row(name, heartbeat_age=timedelta(0), stopped=False):
    now = utcnow()
    ConsumerProcess.create(id=name, hostname='elsewhere', pid=4242, workers=4, backend='sqlite',
                           last_heartbeat=now - heartbeat_age,
                           stopped_at=now if stopped else None)


@pytest.mark.usefixtures('db_backend')
def test_all_up_without_a_consumer(client):
    response = client.get('/healthz')
    assert response.status_code == 200
    assert response.json == {'db': 'ok', 'queue': 'ok', 'disk': 'ok', 'consumers': 0}


@pytest.mark.usefixtures('db_backend')
def test_a_running_consumer_is_counted(client, consumer):
    response = client.get('/healthz')
    assert response.status_code == 200
    assert response.json == {'db': 'ok', 'queue': 'ok', 'disk': 'ok', 'consumers': 1}


def test_a_stopped_consumer_is_no_longer_counted(client, consumer):
    assert client.get('/healthz').json['consumers'] == 1
    consumer.stop()
    assert client.get('/healthz').json['consumers'] == 0


def test_only_live_heartbeats_count(client):
    consumer_row('fresh')
    consumer_row('also-fresh', heartbeat_age=CONSUMER_DEAD_AFTER / 2)
    consumer_row('silent', heartbeat_age=CONSUMER_DEAD_AFTER + timedelta(seconds=5))
    consumer_row('stopped', stopped=True)
    response = client.get('/healthz')
    assert response.status_code == 200 and response.json['consumers'] == 2


def test_healthz_needs_no_login_and_reveals_nothing_else(client):
    response = client.get('/healthz')
    assert response.status_code == 200
    assert set(response.json) == {'db', 'queue', 'disk', 'consumers'}


@pytest.mark.parametrize('queue_backend', ['redis'])
def test_redis_down_is_a_503_naming_the_queue(client, queue_backend, redis_server):
    assert client.get('/healthz').json['queue'] == 'ok'
    redis_server.stop()
    try:
        response = client.get('/healthz')
    finally:
        redis_server.start()
    assert response.status_code == 503
    assert response.json['queue'] == 'down' and response.json['db'] == 'ok'
    # And healthy again once Redis is back.
    assert client.get('/healthz').status_code == 200
