"""Outgoing mail over SMTP (SMTP_URL, MAIL_FROM), with the standard library's smtplib.

`smtp://` connects in plain text and upgrades with STARTTLS when the server
offers it; on port 587 (submission) STARTTLS is required, and a password goes
in plain text to no server but one on this machine. `smtps://` speaks TLS
from the first byte (port 465 by default). The jobs in tasks/mail.py call `send`;
a failure raises, and the job is retried like any other.
"""
import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlparse

SUBMISSION_PORT = 587
SMTPS_PORT = 465
TIMEOUT = 30   # seconds for the connection and each command


class MailError(Exception):
    """The server cannot be used as configured (e.g. no STARTTLS on port 587)."""


class Hidden:
    """A job argument people must not read (a link holding an invite's token): the
    job ledger shows the arguments it cannot turn into JSON by their repr."""
    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return '<hidden>'

    def __getstate__(self):
        return self.value

    def __setstate__(self, value):
        self.value = value


def configured(settings):
    return bool(settings.smtp_url)


def message(settings, to, subject, body):
    mail = EmailMessage()
    mail['From'] = settings.mail_from
    mail['To'] = to
    mail['Subject'] = subject
    mail['Message-ID'] = make_msgid(domain=urlparse(settings.base_url).hostname)
    mail.set_content(body)
    return mail


def send(settings, to, subject, body):
    """Send one plain-text mail; raises on any failure (refused, unreachable, no TLS)."""
    url = urlparse(settings.smtp_url)
    mail = message(settings, to, subject, body)
    with _connect(url) as server:
        if url.username:
            _refuse_plain_text_login(server, url)
            server.login(unquote(url.username), unquote(url.password or ''))
        server.send_message(mail)


def _refuse_plain_text_login(server, url):
    """A password goes only over TLS, or to a server on this machine."""
    encrypted = url.scheme == 'smtps' or getattr(server, 'encrypted', False)
    if not encrypted and not _is_loopback(url.hostname):
        raise MailError(f'the SMTP server {url.hostname} offers no STARTTLS: the password '
                        'is not sent in plain text (use smtps://)')


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == 'localhost'


def _connect(url):
    context = ssl.create_default_context()
    if url.scheme == 'smtps':
        return smtplib.SMTP_SSL(url.hostname, url.port or SMTPS_PORT, timeout=TIMEOUT,
                                context=context)
    port = url.port or SUBMISSION_PORT
    server = smtplib.SMTP(url.hostname, port, timeout=TIMEOUT)
    try:
        server.ehlo()
        if server.has_extn('starttls'):
            server.starttls(context=context)
            server.ehlo()
            server.encrypted = True
        elif port == SUBMISSION_PORT:
            raise MailError(f'the SMTP server on port {port} does not offer STARTTLS; '
                            'use smtps:// or a server that encrypts')
    except BaseException:
        server.close()
        raise
    return server
