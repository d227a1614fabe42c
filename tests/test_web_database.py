"""The web server's database connections: in the gevent web server, SQLite
connections come from a bounded pool (a hundred requests at once must not open a
hundred connections, each with its schema and page cache), and the supervisor of
`python run.py` loads no database driver at all."""
import json
import subprocess
import sys

from collab.db import WEB_POOL
from tests.support import ROOT

# A hundred greenlets of the gevent web server, each taking a connection, holding
# it for a moment (as a request does) and giving it back.
CROWD = '''
from gevent import monkey; monkey.patch_all()
import json, sys, gevent
from collab.db import database, open_database
db = open_database('sqlite:///' + sys.argv[1])
most = 0
def request():
    global most
    with database.connection_context():
        most = max(most, len(db._in_use))
        gevent.sleep(0.02)
        database.execute_sql('SELECT 1')
gevent.joinall([gevent.spawn(request) for _ in range(100)], raise_error=True)
print(json.dumps({'pooled': type(db).__name__, 'most': most, 'idle': len(db._connections)}))
'''


def test_a_hundred_requests_at_once_share_a_bounded_pool_of_connections(tmp_path):
    result = subprocess.run([sys.executable, '-c', CROWD, str(tmp_path / 'collab.db')],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report['pooled'] == 'PooledSqliteDatabase'
    # Every request was served; never more connections at once than the pool holds.
    assert 1 < report['most'] <= WEB_POOL['max_connections']
    assert report['idle'] == report['most']   # given back, kept for the next requests


class FakeSocket:
    def __init__(self):
        self.closed_with = None

    def close(self, code, reason):
        self.closed_with = code


def test_the_sign_in_watcher_closes_only_the_sockets_whose_sign_in_is_gone(app, db_backend):
    """Across several slices of its queries, on SQLite and PostgreSQL."""
    from datetime import timedelta
    from collab.fields import utcnow
    from collab.models import ApiToken, User
    from collab.socket_guard import CHUNK, REVOKED_CODE, Grant, Watcher
    users = [User.create(email=f'u{i}@example.com', name=f'U{i}', password_hash='x')
             for i in range(CHUNK + 20)]
    tokens = [ApiToken.create(token_hash=f'{i:064x}', user=u) for i, u in enumerate(users)]
    watcher = Watcher()
    sockets = []
    for user, token in zip(users, tokens):
        sockets.append(FakeSocket())
        watcher._watched[sockets[-1]] = Grant(user.id, token_hash=token.token_hash)
    tokens[3].delete_instance()                                  # signed out
    ApiToken.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        ApiToken.id == tokens[CHUNK + 5].id).execute()           # expired
    users[CHUNK + 10].delete_instance()                          # the account is gone

    assert watcher.check() == 3
    closed = [i for i, s in enumerate(sockets) if s.closed_with == REVOKED_CODE]
    assert closed == [3, CHUNK + 5, CHUNK + 10]
    assert len(watcher.sockets()) == len(sockets) - 3
