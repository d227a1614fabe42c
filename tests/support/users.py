"""Users for tests, set up the one way a person does: through the HTTP API.

`register` signs a user up (POST /api/auth/register), `sign_in` signs one in
(POST /api/auth/login) and `sign_up` does both. Each takes a Flask test client
(whose cookie then holds that user's session, as a browser's would) or the base
URL of a running server.

A site administrator is a user promoted as an operator promotes one, with the
function behind `run.py create-admin`; that needs the app's database in this
process. A running server's administrator is ADMIN, which the `live_server`
fixture has it create at its first start (ADMIN_EMAIL, ADMIN_PASSWORD).
"""
from dataclasses import dataclass

from collab.models import User
from collab.users import create_or_promote_admin
from tests.support.clients import http_json, page_csrf_token

PASSWORD = 'correct horse'
ADMIN = {'email': 'admin@example.com', 'password': 'admin password'}


@dataclass
class Account:
    """A signed-in user: a bearer token, the session's CSRF token, the user as the API shows it."""
    target: object      # the test client or base URL it signed in through
    email: str
    token: str
    csrf: str
    user: dict

    @property
    def id(self):
        return self.user['id']

    @property
    def headers(self):
        return {'Authorization': f'Bearer {self.token}'}

    def call(self, method, path, body=None):
        """The JSON answer to one request with this user's bearer token; an error fails."""
        status, answer = _request(self.target, method, path, body, self.token)
        assert status < 400, (method, path, status, answer)
        return answer


def register(target, email='ann@example.com', name=None, password=PASSWORD):
    """Sign up a user (named after the email's local part unless `name`); the user's JSON."""
    body = {'email': email, 'name': name or email.split('@')[0], 'password': password}
    status, answer = _request(target, 'POST', '/api/auth/register', body)
    assert status == 201, (status, answer)
    return answer


def sign_in(target, email='ann@example.com', password=PASSWORD):
    status, answer = _request(target, 'POST', '/api/auth/login',
                              {'email': email, 'password': password})
    assert status == 200, (status, answer)
    return Account(target, answer['user']['email'], answer['token'], answer['csrf_token'],
                   answer['user'])


def sign_up(target, email='ann@example.com', name=None, password=PASSWORD, admin=False):
    """Register a user and sign them in; with `admin`, promoted first."""
    register(target, email, name, password)
    if admin:
        if isinstance(target, str):
            raise ValueError("a running server's administrator is ADMIN, made at its start")
        create_or_promote_admin(email.strip().lower(), password)
    return sign_in(target, email, password)


def sign_up_member(client, email='ann@example.com', name=None, password=PASSWORD):
    """Sign up a user who is not an administrator: on a server with no account yet, the
    first (which becomes its administrator) is made before, as root@example.com."""
    if not User.select().exists():
        register(client, 'root@example.com')
    return sign_up(client, email, name, password)


def sign_in_page(client, email, password=PASSWORD):
    """Sign in through the /login form, as a browser does: the client keeps the cookie."""
    response = client.post('/login', data={'email': email, 'password': password,
                                           'csrf_token': page_csrf_token(client)})
    assert response.status_code == 302, response.status_code
    return client


def page_client(app, email, password=PASSWORD):
    """A new test client signed in through the /login form."""
    return sign_in_page(app.test_client(), email, password)


def _request(target, method, path, body=None, token=None):
    if isinstance(target, str):
        return http_json(target, method, path, body, token)
    headers = {'Authorization': f'Bearer {token}'} if token else {}
    response = target.open(path, method=method, json=body, headers=headers)
    return response.status_code, response.get_json(silent=True)
