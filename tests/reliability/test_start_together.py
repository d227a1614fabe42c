"""Processes started at the same instant on a fresh DATA_DIR, as systemd or a
compose file starts them: two web servers and two workers share one generated
secret key and one admin, and none of them logs a traceback."""
import pytest

from tests.support import ADMIN, LiveServer, http_json, sign_in, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.parametrize('database', ['sqlite', 'postgres'])
def test_four_processes_started_together_share_one_key_and_one_admin(
        tmp_path, redis_url, database, request):
    data_dir = tmp_path / 'data'
    env = {'SECRET_KEY': '', 'REDIS_URL': redis_url, 'ADMIN_EMAIL': ADMIN['email'],
           'ADMIN_PASSWORD': ADMIN['password'], 'CATCH_UP_PERIODIC': '0'}
    if database == 'postgres':
        env['DATABASE_URL'] = request.getfixturevalue('postgres_url')
    webs = [LiveServer(data_dir, env=env, command=('web',)) for _ in range(2)]
    workers = [LiveServer(data_dir, env=env, command=('worker',)) for _ in range(2)]
    everyone = webs + workers
    try:
        for process in everyone:   # no waiting in between: they race
            process.start(wait_for=None)
        for web in webs:
            wait_until(web._healthy, timeout=60, interval=0.1,
                       message=f'{web.command} to answer ({web.output()[-2000:]})')
        for worker in workers:
            worker.wait_for_output(' started: ', timeout=60)

        assert len((data_dir / 'secret_key').read_text()) > 40
        # One admin, and one key: a job signed by one web server runs on a worker,
        # and the other web server's admin sees it succeed.
        first, second = (sign_in(web.url, ADMIN['email'], ADMIN['password']).token
                         for web in webs)
        assert http_json(webs[0].url, 'POST', '/api/workspaces', {'name': 'Team'}, first)[0] == 201
        wait_until(lambda: succeeded(webs[1], second, 'activity.log_activity'), timeout=30,
                   message='the job to run on a worker')
        assert http_json(webs[1].url, 'GET', '/admin/api/jobs?q=never', token=second)[0] == 200
    finally:
        codes = [process.stop() for process in everyone]
    outputs = [process.output() for process in everyone]
    assert codes == [0, 0, 0, 0], outputs
    assert not [out for out in outputs if 'Traceback' in out], outputs



def succeeded(web, token, task):
    status, body = http_json(web.url, 'GET', f'/admin/api/jobs?task={task}', token=token)
    assert status == 200, body
    return any(job['state'] == 'succeeded' for job in body['jobs'])
