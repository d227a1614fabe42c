"""Chaos: 400 document saves through the API while the worker is SIGKILLed every
1.5 s and the web server twice. Every save that committed has exactly one
activity entry, one notification and one described version; none is lost or
doubled, and every job ends terminal.

Run once on SQLite throughout, and once on Redis and PostgreSQL (each backend once).
"""
import itertools
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from collab.jobs.models import FINAL_STATES, DUPLICATE, Job, JobAttempt, OutboxMessage
from collab.models import Activity, DocumentVersion, Notification
from tests.support import LiveServer, WorkerProcess, bearer_token, http_json, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

WRITES = 400
DOCUMENTS = 10
CLIENTS = 8
WORKER_KILL_EVERY = 1.5
MIN_WORKER_KILLS = 5


class Saves:
    """Clients saving documents through whichever web server is up."""

    def __init__(self, token, document_ids):
        self.token, self.document_ids = token, document_ids
        self.url = None
        self.accepted = []          # (document id, version) answered 200
        self.refused = 0            # no answer: the server was down or killed mid-request
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    def run(self):
        with ThreadPoolExecutor(CLIENTS) as pool:
            for _ in range(CLIENTS):
                pool.submit(self._client)

    def _client(self):
        while len(self.accepted) < WRITES:
            n = next(self._numbers)
            doc = self.document_ids[n % DOCUMENTS]
            try:
                status, body = http_json(self.url, 'PUT', f'/api/documents/{doc}',
                                         {'content': f'save {n}\nline two'}, self.token)
            except OSError:
                status = None
            with self._lock:
                if status == 200:
                    self.accepted.append((doc, body['version']))
                else:
                    self.refused += 1
            if status != 200:
                time.sleep(0.05)


def start_web(env):
    return LiveServer(Path(env['DATA_DIR']), env=env, command=('web',)).start(timeout=60)


@pytest.mark.parametrize('queue_backend,db_backend', [('sqlite', 'sqlite'), ('redis', 'postgres')],
                         indirect=True)
def test_crashes_neither_lose_nor_double_an_effect(team, worker_env, tmp_path,
                                                   queue_backend, db_backend):
    # Only the app's own tasks: a periodic test task killed mid-run (it has no
    # retries) would end failed, as it should, and is not what is counted here.
    env = dict(worker_env, VERSIONS_KEEP='5000', HUEY_WORKERS='4', TASK_MODULES='')
    docs = [team.document(f'Doc {n}')['id'] for n in range(DOCUMENTS)]
    bob = team.user_id(team.bob)
    saves = Saves(bearer_token(team.ann), docs)
    web = start_web(env)
    saves.url = web.url
    workers = [WorkerProcess(env, tmp_path / 'workers.log').start()]
    clients = threading.Thread(target=saves.run)
    began = time.monotonic()
    clients.start()
    web_kills, next_kill = 0, time.monotonic() + WORKER_KILL_EVERY
    try:   # whatever fails, no worker is left to take the next tests' jobs
        # Kills go on until there were enough, however fast the saves went.
        while clients.is_alive() or len(workers) <= MIN_WORKER_KILLS:
            clients.join(0.05)
            if time.monotonic() >= next_kill:
                workers[-1].kill()
                workers.append(WorkerProcess(env, tmp_path / 'workers.log').start())
                next_kill += WORKER_KILL_EVERY
            if web_kills < 2 and len(saves.accepted) >= WRITES * (web_kills + 1) // 3:
                web.stop(sig=signal.SIGKILL, group=True)
                web = start_web(env)
                saves.url = web.url
                web_kills += 1
        writes_took = time.monotonic() - began
        figures = settle_and_count(docs, bob)
    finally:
        workers[-1].stop()
        web.stop()
    figures.update(accepted=len(saves.accepted), refused=saves.refused, web_kills=web_kills,
                   worker_kills=len(workers) - 1, writes_s=round(writes_took, 1))
    committed = figures.pop('committed')
    figures['committed'] = len(committed)
    print(f'\nchaos on {queue_backend} queue, {db_backend} database: {figures}')
    assert web_kills == 2 and figures['worker_kills'] >= MIN_WORKER_KILLS
    assert set(saves.accepted) <= committed, 'an accepted save is missing'
    assert figures['lost'] == figures['doubled'] == 0, figures
    assert figures['not_terminal'] == figures['failed'] == 0, figures


def settle_and_count(docs, bob):
    """Wait until the saves' jobs are done (a live worker recovers the killed ones'
    claims once their heartbeat is stale), then count each save's effects."""
    def versions():
        return {(v.document_id, v.version): v for v in DocumentVersion.select().where(
            DocumentVersion.document.in_(docs), DocumentVersion.version > 1)}

    def effects():
        activity = Counter((a.target_id, a.metadata.get('version')) for a in Activity.select()
                           .where(Activity.action == 'document.updated'))
        notified = Counter((n.data['document_id'], n.data['version']) for n in Notification
                           .select().where(Notification.user == bob,
                                           Notification.type == 'document.updated'))
        return activity, notified

    def settled():
        open_jobs = Job.select().where(Job.state.not_in(FINAL_STATES)).count()
        if open_jobs or OutboxMessage.select().exists():
            return False
        activity, notified = effects()
        wanted = set(versions())
        return wanted <= set(activity) and wanted <= set(notified)
    try:
        wait_until(settled, timeout=240, interval=1, message='every job to finish')
    except AssertionError:
        pass   # counted below: the figures say what is missing
    saved = versions()
    activity, notified = effects()
    undescribed = sum(1 for v in saved.values() if v.lines_added is None)
    return {
        'committed': set(saved),
        'lost': sum(1 for key in saved if activity[key] == 0 or notified[key] == 0) + undescribed,
        'doubled': sum(1 for key in saved if activity[key] > 1 or notified[key] > 1),
        'not_terminal': Job.select().where(Job.state.not_in(FINAL_STATES)).count(),
        'failed': Job.select().where(Job.state == 'failed').count(),
        'failed_jobs': [(j.task, (j.error or '')[-300:]) for j in
                        Job.select().where(Job.state == 'failed').limit(5)],
        'duplicate_deliveries': JobAttempt.select().where(JobAttempt.outcome == DUPLICATE).count(),
        'interrupted_attempts': JobAttempt.select().where(
            JobAttempt.outcome == 'interrupted').count(),
    }
