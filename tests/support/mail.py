"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and the
`smtp_server` fixture starting one on a free port for a test.

tests/conftest.py loads this module's fixture (pytest_plugins); the server can require a password, offer STARTTLS or speak
TLS from the start, and refuse the first messages (to see jobs retry).
"""
import email
import email.policy
import re
import socket
import ssl
import subprocess
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bench.local import free_port, wait_until

LINK_RE = re.compile(r'https?://\S+')


class Inbox:
    """aiosmtpd's handler: every message accepted, with whether it came over TLS."""

    def __init__(self):
        self.messages = []
        self.refuse_next = 0
        self.logins = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refuse_next:
                self.refuse_next -= 1
                return '451 4.3.0 try again later'
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append({'from': envelope.mail_from, 'to': list(envelope.rcpt_tos),
                                  'message': message, 'tls': session.ssl is not None})
        return '250 OK'

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=(auth_data.login, auth_data.password) == self.account)
        return AuthResult(success=False)

    account = None   # (user, password) bytes when the server requires a login


class MailServer:
    def __init__(self, account=None, tls_context=None, implicit_tls=False, host='127.0.0.1'):
        self.inbox = Inbox()
        self.host = host
        self.port = free_port()
        options = {}
        if account is not None:
            self.inbox.account = tuple(part.encode() for part in account)
            options.update(authenticator=self.inbox.authenticate, auth_required=True,
                           auth_require_tls=tls_context is not None and not implicit_tls)
        if tls_context is not None and implicit_tls:
            options['ssl_context'] = tls_context
        elif tls_context is not None:
            options['tls_context'] = tls_context
        self.implicit_tls = implicit_tls
        self.controller = Controller(self.inbox, hostname=host, port=self.port,
                                     server_hostname=host, **options)

    def url(self, credentials=''):
        scheme = 'smtps' if self.implicit_tls else 'smtp'
        return f'{scheme}://{credentials}{"@" if credentials else ""}{self.host}:{self.port}'

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    @property
    def messages(self):
        with self.inbox.lock:
            return list(self.inbox.messages)

    def wait_for(self, to, count=1, timeout=15):
        """The messages to `to`, once there are `count` of them."""
        def arrived():
            mine = [m for m in self.messages if to in m['to']]
            return mine if len(mine) >= count else None
        return wait_until(arrived, timeout=timeout, interval=0.05, message=f'mail to {to}')


def own_address():
    """This machine's address on its network (not loopback), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(('10.255.255.255', 9))   # no packet is sent: it only picks a route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith('127.') else address


def body_of(entry):
    return entry['message'].get_body(('plain',)).get_content()


def link_in(entry):
    """The one link in a message's text."""
    [link] = LINK_RE.findall(body_of(entry))
    return link


def self_signed_certificate(directory):
    """(certificate path, key path) for 127.0.0.1, made with openssl."""
    cert, key = directory / 'cert.pem', directory / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                    '-keyout', str(key), '-out', str(cert)],
                   check=True, capture_output=True)
    return cert, key


def server_tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def smtp_server():
    server = MailServer().start()
    yield server
    server.stop()
