"""Talking to the app as its clients do: JSON over plain HTTP to a running server, the
pages' CSRF token, and a WebSocket client that collects what it hears."""
import json
import threading
import urllib.error
import urllib.request

import websocket

from bench.local import wait_until


def http_json(base_url, method, path, body=None, token=None):
    """(status, JSON body) of one HTTP request to a running server."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    if token:
        request.add_header('Authorization', f'Bearer {token}')
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b'null')
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'null')


def page_csrf_token(client):
    """The CSRF token that the pages' forms carry for this client's session."""
    return client.get('/api/auth/csrf').json['csrf_token']


def bearer_token(headers):
    """The token of `Authorization: Bearer ...` request headers."""
    return headers['Authorization'].split()[1]


def close_frame(ws, timeout=8):
    """(code, reason) of the close frame a raw websocket-client socket receives
    from the server, skipping other messages, waiting at most `timeout` seconds."""
    ws.settimeout(timeout)
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(data[:2], 'big'), data[2:].decode()


def close_code(ws, timeout=8):
    """The close code of `close_frame`."""
    return close_frame(ws, timeout)[0]


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
