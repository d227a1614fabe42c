"""Real-time events between the processes of one machine, without Redis.

The web process (the one holding WebSockets) listens on a Unix socket in
DATA_DIR; any other process sharing DATA_DIR and SECRET_KEY (a consumer,
`run.py worker`, a script) connects and sends it events, and may ask it who is
online. On connecting, each end proves to the other that it knows a key
derived from SECRET_KEY (an HMAC of the other's random challenge), so a
process without it is refused; the socket file is its owner's only, too.

One process listens: it holds an exclusive lock file beside the socket for its
whole life, so a socket file found by whoever takes the lock is stale (its
listener died) and is replaced. Frames are a 4-byte length and JSON:
`{"op": "publish", "users": [...], "text": "..."}` and `{"op": "online"}`,
answered by `{"online": [...]}`. Only plain socket calls are used, with
socket timeouts, so the same code runs in threads and in the web process's
gevent greenlets (multiprocessing.connection reads its descriptor directly,
which a monkey-patched, non-blocking socket does not allow). This module never
imports Flask.
"""
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import struct
import sys
import threading

log = logging.getLogger('collab.realtime')

SOCKET_NAME = 'realtime.sock'
LOCK_NAME = 'realtime.lock'
KEY_LABEL = b'collab local realtime channel'
# A publisher never waits longer than this to connect, prove the key or send.
SEND_TIMEOUT = 1.0
# How long a publisher waits for the answer to "who is online".
ANSWER_TIMEOUT = 3.0
MAX_MESSAGE = 1024 * 1024
NONCE_BYTES = 32
# Linux caps a socket path near 108 bytes; a longer DATA_DIR uses an abstract name.
MAX_PATH = 100


class ChannelError(Exception):
    """The listener is there but did not answer in time."""


class ChannelRefused(ChannelError):
    """The listener refused this process's key (another SECRET_KEY)."""


def channel_key(secret_key):
    return hmac.new(secret_key.encode(), KEY_LABEL, hashlib.sha256).digest()


def address(data_dir):
    path = os.path.join(os.fspath(data_dir), SOCKET_NAME)
    if len(os.fsencode(path)) <= MAX_PATH or not sys.platform.startswith('linux'):
        return path
    return '\0collab-realtime-' + hashlib.sha256(os.fsencode(path)).hexdigest()[:32]


def send_frame(sock, data):
    sock.sendall(struct.pack('>I', len(data)) + data)


def recv_frame(sock):
    (length,) = struct.unpack('>I', _recv_exactly(sock, 4))
    if length > MAX_MESSAGE:
        raise ConnectionError(f'a frame of {length} bytes')
    return _recv_exactly(sock, length)


def _recv_exactly(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(n)
        if not chunk:
            raise EOFError('the other end closed the channel')
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def _proof(key, role, nonce):
    return hmac.new(key, role + nonce, hashlib.sha256).digest()


class ChannelServer:
    """The listening end, in the web process: `deliver(user_ids, text)` for each
    event, `online()` for the user ids with a socket here."""

    def __init__(self, data_dir, secret_key, deliver, online):
        self.address = address(data_dir)
        self.lock_path = os.path.join(os.fspath(data_dir), LOCK_NAME)
        self.key = channel_key(secret_key)
        self.deliver, self.online = deliver, online
        self._stopping = threading.Event()
        self._lock_fd = self._socket = None
        self._peers, self._peers_lock = set(), threading.Lock()

    def start(self):
        """Listen; False when another live process already does."""
        lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            return False
        try:
            if not self.address.startswith('\0') and os.path.exists(self.address):
                os.unlink(self.address)   # left by a listener that died: we hold the lock
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(self.address)
            if not self.address.startswith('\0'):
                os.chmod(self.address, 0o600)
            sock.listen(16)
            sock.settimeout(1.0)   # the accept loop looks at the stop flag this often
        except OSError:
            os.close(lock_fd)
            raise
        self._lock_fd, self._socket = lock_fd, sock
        threading.Thread(target=self._accept_loop, name='realtime-channel', daemon=True).start()
        return True

    def stop(self):
        self._stopping.set()
        with self._peers_lock:
            peers = list(self._peers)
        for peer in peers:   # wakes their reads
            try:
                peer.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._socket is not None:
            self._socket.close()
            if not self.address.startswith('\0'):
                try:
                    os.unlink(self.address)
                except FileNotFoundError:
                    pass
            os.close(self._lock_fd)
            self._socket = self._lock_fd = None

    def forget_after_fork(self):
        """In a forked child: drop the inherited descriptors without unlocking or
        unlinking what the parent still owns."""
        self._stopping.set()
        for peer in list(self._peers):
            peer.close()
        for close in (lambda: self._socket and self._socket.close(),
                      lambda: self._lock_fd is not None and os.close(self._lock_fd)):
            try:
                close()
            except OSError:
                pass
        self._socket = self._lock_fd = None

    def _accept_loop(self):
        listening = self._socket
        while not self._stopping.is_set():
            try:
                peer, _ = listening.accept()
            except TimeoutError:
                continue
            except OSError:
                if not self._stopping.is_set():
                    log.exception('the realtime channel stopped accepting')
                return
            threading.Thread(target=self._serve, args=(peer,), name='realtime-channel-peer',
                             daemon=True).start()

    def _serve(self, peer):
        with self._peers_lock:
            self._peers.add(peer)
        try:
            peer.settimeout(SEND_TIMEOUT)
            try:
                self._prove(peer)
            except (OSError, EOFError, ChannelRefused) as exc:
                log.warning('refused a realtime publisher: %s', exc)
                return
            peer.settimeout(None)   # a quiet publisher is not an error
            while not self._stopping.is_set():
                self._handle(peer, recv_frame(peer))
        except (EOFError, OSError):
            pass   # the publisher went away: it reconnects when it next sends
        finally:
            with self._peers_lock:
                self._peers.discard(peer)
            peer.close()

    def _prove(self, peer):
        challenge = secrets.token_bytes(NONCE_BYTES)
        send_frame(peer, challenge)
        answer = recv_frame(peer)
        proof, their_challenge = answer[:-NONCE_BYTES], answer[-NONCE_BYTES:]
        if not hmac.compare_digest(proof, _proof(self.key, b'publisher', challenge)):
            send_frame(peer, b'')
            raise ChannelRefused('it does not know the key')
        send_frame(peer, _proof(self.key, b'listener', their_challenge))

    def _handle(self, peer, data):
        try:
            message = json.loads(data)
            op = message['op']
        except (ValueError, TypeError, KeyError):
            log.warning('ignored a malformed realtime message')
            return
        if op == 'publish':
            self.deliver(message['users'], message['text'])
        elif op == 'online':
            send_frame(peer, json.dumps({'online': sorted(self.online())}).encode())


class ChannelClient:
    """The sending end: one connection per process, reopened when it breaks."""

    def __init__(self, data_dir, secret_key):
        self.address = address(data_dir)
        self.key = channel_key(secret_key)
        self._lock = threading.Lock()
        self._connection = None

    def publish(self, user_ids, text):
        """Send an event to the web process; False (dropped) when none listens."""
        message = json.dumps({'op': 'publish', 'users': list(user_ids), 'text': text}).encode()
        with self._lock:
            try:
                self._exchange(message)
                return True
            except ChannelRefused as exc:
                log.warning('realtime event dropped: %s', exc)
                return False
            except (OSError, EOFError, ChannelError) as exc:
                log.debug('realtime event dropped (no web process listening on %s): %s',
                          self.address, exc)
                return False

    def online_user_ids(self):
        """Who has a socket open in the web process; empty when none listens.
        Raises ChannelError when a listener is there but refuses or does not
        answer: "nobody is online" would then be a guess."""
        with self._lock:
            try:
                answer = self._exchange(b'{"op": "online"}', answer=True)
            except (FileNotFoundError, ConnectionRefusedError):
                return set()
        return set(answer['online'])

    def close(self):
        with self._lock:
            self._drop()

    def forget_after_fork(self):
        self._drop()
        self._lock = threading.Lock()

    def _exchange(self, message, answer=False):
        # A kept connection may be to a web process that has since restarted: then
        # the send fails at once and one fresh connection is tried.
        for attempt in (1, 2):
            fresh = self._connection is None
            try:
                sock = self._connect() if fresh else self._connection
                send_frame(sock, message)
                if not answer:
                    return None
                sock.settimeout(ANSWER_TIMEOUT)
                try:
                    return json.loads(recv_frame(sock))
                except TimeoutError:
                    self._drop()
                    raise ChannelError('the web process did not answer') from None
                finally:
                    if self._connection is not None:
                        sock.settimeout(SEND_TIMEOUT)
            except (OSError, EOFError):
                self._drop()
                if fresh or attempt == 2:
                    raise

    def _connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(SEND_TIMEOUT)
        try:
            sock.connect(self.address)
            challenge = recv_frame(sock)
            mine = secrets.token_bytes(NONCE_BYTES)
            send_frame(sock, _proof(self.key, b'publisher', challenge) + mine)
            proof = recv_frame(sock)
        except BaseException:
            sock.close()
            raise
        if not hmac.compare_digest(proof, _proof(self.key, b'listener', mine)):
            sock.close()
            raise ChannelRefused(f'the realtime channel on {self.address} refused this key '
                                 '(or does not know it)')
        self._connection = sock
        return sock

    def _drop(self):
        if self._connection is not None:
            try:
                self._connection.close()
            except OSError:
                pass
            self._connection = None
