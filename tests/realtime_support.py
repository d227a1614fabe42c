"""A real HTTP server for the app in a thread, and a WebSocket client that collects events."""
import json
import threading

import websocket
from werkzeug.serving import make_server

from tests.support import http_json, wait_until


class ThreadedServer:
    """The test app behind werkzeug's threaded server: real sockets, same process."""

    def __init__(self, app):
        self.httpd = make_server('127.0.0.1', 0, app, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return f'http://127.0.0.1:{self.port}'

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Listener:
    """A WebSocket client; a thread keeps every message it receives."""

    def __init__(self, base_url, token=None, origin=None, cookie=None):
        url = base_url.replace('http://', 'ws://') + '/ws' + (f'?token={token}' if token else '')
        options = {'origin': origin} if origin else {'suppress_origin': True}
        if cookie:
            options['cookie'] = cookie
        self.ws = websocket.create_connection(url, timeout=5, **options)
        self.messages = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.wait_for(lambda m: m['type'] == 'hello', 'hello')

    def _read(self):
        while True:
            try:
                text = self.ws.recv()
            except Exception:
                return
            if text:
                self.messages.append(json.loads(text))

    def send(self, message):
        self.ws.send(json.dumps(message))

    def wait_for(self, predicate, what, timeout=10):
        return wait_until(lambda: next((m for m in self.messages if predicate(m)), None),
                          timeout=timeout, message=what)

    def of_type(self, kind):
        return [m for m in self.messages if m['type'] == kind]

    def close(self):
        self.ws.close()


class Api:
    """Plain HTTP against the live server, with a bearer token."""

    def __init__(self, base):
        self.base, self.token = base, None

    def call(self, method, path, body=None):
        status, answer = http_json(self.base, method, path, body, self.token)
        assert status < 400, (method, path, status, answer)
        return answer

    def sign_up(self, email, name):
        self.call('POST', '/api/auth/register', {'email': email, 'name': name,
                                                 'password': 'correct horse'})
        self.token = self.call('POST', '/api/auth/login', {'email': email,
                                                           'password': 'correct horse'})['token']
        return self
