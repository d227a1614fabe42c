"""One Settings object, built from the environment (and `.env`), validated once.

A bad value raises SettingsError naming the variable; `run.py` turns that into
one line on stderr and a non-zero exit, never a traceback.
"""
import os
import secrets
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

SECRET_KEY_FILE = 'secret_key'
SIGNUP_POLICIES = ('open', 'invite', 'closed')
SECRET_KEY_MIN_LENGTH = 32


class SettingsError(Exception):
    def __init__(self, variable, message):
        super().__init__(f'{variable}: {message}')
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    # Secrets stay out of repr(): a logged Settings must not carry them.
    secret_key: str = field(repr=False)
    redis_url: str | None = None
    host: str = '127.0.0.1'
    port: int = 5000
    base_url: str = 'http://127.0.0.1:5000'   # every link starts with it
    huey_workers: int = 4
    ws_max: int = 5000
    ws_max_per_user: int = 20
    request_header_timeout: float = 10.0
    shutdown_grace: float = 30.0
    task_timeout: float = 300.0
    job_log_bytes: int = 65536   # a job attempt's captured log records, at most
    admin_email: str | None = None
    admin_password: str | None = field(default=None, repr=False)
    push_webhook_url: str | None = field(default=None, repr=False)
    alert_webhook_url: str | None = field(default=None, repr=False)
    alert_queue_wait: float = 300.0   # seconds the oldest queued job may wait
    metrics_token: str | None = field(default=None, repr=False)
    versions_keep: int = 50
    job_retention_days: int = 14
    job_retention_rows: int = 1_000_000
    failed_retention_days: int = 30
    task_modules: tuple = ()
    catch_up_periodic: bool = True
    token_days: int = 90
    signup: str = 'invite'   # open, invite or closed: who may create an account
    workspace_quota_mb: int = 1024
    export_keep_days: int = 7
    # Outgoing mail (collab/mail.py): unset, links are shown to copy instead.
    smtp_url: str | None = field(default=None, repr=False)
    mail_from: str | None = None

    @property
    def queue_backend(self):
        return 'redis' if self.redis_url else 'sqlite'

    @property
    def queue_path(self):
        return self.data_dir / 'queue.db'

    @classmethod
    def from_env(cls, environ=None, env_file='.env'):
        """Read `.env` (if present) under the real environment, then validate."""
        values = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env):
        get = _Reader(env)
        data_dir = Path(get.text('DATA_DIR', './data')).expanduser().resolve()
        _ensure_dir(data_dir)
        host, port = get.text('HOST', '127.0.0.1'), get.integer('PORT', 5000, 1, 65535)
        return cls(
            data_dir=data_dir,
            database_url=get.database_url('DATABASE_URL', f'sqlite:///{data_dir / "collab.db"}'),
            secret_key=_long_enough(get.text('SECRET_KEY') or _stored_secret_key(data_dir)),
            redis_url=get.url('REDIS_URL', schemes=('redis', 'rediss', 'unix')),
            host=host,
            port=port,
            base_url=get.base_url('BASE_URL', host, port),
            huey_workers=get.integer('HUEY_WORKERS', 4, 1, 256),
            ws_max=get.integer('WS_MAX', 5000, 1, 1_000_000),
            ws_max_per_user=get.integer('WS_MAX_PER_USER', 20, 1, 10_000),
            request_header_timeout=get.number('REQUEST_HEADER_TIMEOUT', 10.0, 0.1, 3600),
            shutdown_grace=get.number('SHUTDOWN_GRACE', 30.0, 0, 3600),
            task_timeout=get.number('TASK_TIMEOUT', 300.0, 0.1, 86400),
            job_log_bytes=_job_log_bytes(get),
            admin_email=get.text('ADMIN_EMAIL'),
            admin_password=get.text('ADMIN_PASSWORD'),
            push_webhook_url=get.url('PUSH_WEBHOOK_URL', schemes=('http', 'https')),
            alert_webhook_url=get.url('ALERT_WEBHOOK_URL', schemes=('http', 'https')),
            alert_queue_wait=get.number('ALERT_QUEUE_WAIT', 300.0, 1, 7 * 86400),
            metrics_token=get.text('METRICS_TOKEN'),
            versions_keep=get.integer('VERSIONS_KEEP', 50, 1, 100_000),
            job_retention_days=get.integer('JOB_RETENTION_DAYS', 14, 1, 3650),
            job_retention_rows=get.integer('JOB_RETENTION_ROWS', 1_000_000, 1000, 10**9),
            failed_retention_days=get.integer('FAILED_RETENTION_DAYS', 30, 1, 3650),
            task_modules=get.modules('TASK_MODULES'),
            catch_up_periodic=get.flag('CATCH_UP_PERIODIC', True),
            token_days=get.integer('TOKEN_DAYS', 90, 1, 3650),
            signup=get.choice('SIGNUP', 'invite', SIGNUP_POLICIES),
            workspace_quota_mb=get.integer('WORKSPACE_QUOTA_MB', 1024, 1, 10**9),
            export_keep_days=get.integer('EXPORT_KEEP_DAYS', 7, 1, 3650),
            smtp_url=get.smtp_url('SMTP_URL'),
            mail_from=get.mail_from('MAIL_FROM', required=get.text('SMTP_URL') is not None),
        )


class _Reader:
    """Typed look-ups over a mapping; every failure names its variable."""

    def __init__(self, env):
        self.env = env

    def text(self, name, default=None):
        value = self.env.get(name)
        if value is None or not value.strip():
            return default
        return value.strip()

    def integer(self, name, default, low, high):
        return self._ranged(name, default, low, high, int, 'a whole number')

    def number(self, name, default, low, high):
        return self._ranged(name, default, low, high, float, 'a number')

    def _ranged(self, name, default, low, high, convert, kind):
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = convert(raw)
        except ValueError:
            raise SettingsError(name, f'must be {kind}, got {raw!r}') from None
        if not low <= value <= high:
            raise SettingsError(name, f'must be between {low} and {high}, got {value}')
        return value

    def url(self, name, schemes):
        raw = self.text(name)
        if raw is None:
            return None
        parsed = _parsed_url(name, raw, 'is not a valid URL ({})')
        if parsed.scheme not in schemes:
            raise SettingsError(name, f'must start with {" or ".join(s + "://" for s in schemes)}, got {raw!r}')
        if parsed.scheme != 'unix' and not parsed.hostname:
            raise SettingsError(name, f'has no host: {raw!r}')
        return raw

    def choice(self, name, default, choices):
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() not in choices:
            raise SettingsError(name, f'must be one of {", ".join(choices)}, got {raw!r}')
        return raw.lower()

    def flag(self, name, default):
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in ('1', 'true', 'yes', 'on'):
            return True
        if raw.lower() in ('0', 'false', 'no', 'off'):
            return False
        raise SettingsError(name, f'must be 1 or 0 (true or false), got {raw!r}')

    def modules(self, name):
        """Comma-separated dotted module names, e.g. `myjobs.reports,myjobs.sync`."""
        names = tuple(part.strip() for part in (self.text(name) or '').split(',') if part.strip())
        for module in names:
            if not all(piece.isidentifier() for piece in module.split('.')):
                raise SettingsError(name, f'{module!r} is not a module name')
        return names

    def base_url(self, name, host, port):
        """The address people reach the server at, without a trailing slash; by
        default the one run.py listens on."""
        raw = self.url(name, schemes=('http', 'https'))
        if raw is None:
            return f'http://{f"[{host}]" if ":" in host else host}:{port}'
        parsed = urlparse(raw)
        if parsed.query or parsed.fragment or parsed.username or parsed.password:
            raise SettingsError(name, f'must be scheme://host[:port][/path] only, got {raw!r}')
        return raw.rstrip('/')

    def smtp_url(self, name):
        """`smtp://[user:pass@]host[:port]` (STARTTLS when offered; required on 587)
        or `smtps://…` (TLS from the start). Errors never repeat the value: it may
        hold a password."""
        raw = self.text(name)
        if raw is None:
            return None
        parsed = _parsed_url(name, raw, 'is not a valid URL (is the port a number?)')
        if parsed.scheme not in ('smtp', 'smtps'):
            raise SettingsError(name, 'must start with smtp:// (STARTTLS) or smtps:// (TLS), '
                                      'e.g. smtp://user:pass@mail.example.com:587')
        if not parsed.hostname:
            raise SettingsError(name, 'has no host, e.g. smtp://user:pass@mail.example.com:587')
        if parsed.path.strip('/') or parsed.query or parsed.fragment:
            raise SettingsError(name, 'must be smtp://user:pass@host:port only (no path or '
                                      'query)')
        return raw

    def mail_from(self, name, required):
        """The sender: `collab@example.com` or `Collab <collab@example.com>`."""
        raw = self.text(name)
        if raw is None:
            if required:
                raise SettingsError(name, 'must be set when SMTP_URL is (the address mail '
                                          'is sent from, e.g. collab@example.com)')
            return None
        _, address = parseaddr(raw)
        if any(c in raw for c in '\r\n') or not _looks_like_address(address):
            raise SettingsError(name, f'is not an email address: {raw!r}')
        return raw

    def database_url(self, name, default):
        raw = self.text(name)
        if raw is None:
            return default
        if raw.startswith('sqlite:///'):
            return raw
        return self.url(name, schemes=('postgres', 'postgresql', 'postgresql+pool', 'postgres+pool'))


def _job_log_bytes(get):
    """JOB_LOG_BYTES: 1024 .. 16 MiB, or 0 for no per-job log capture at all."""
    if get.text('JOB_LOG_BYTES') == '0':
        return 0
    try:
        return get.integer('JOB_LOG_BYTES', 65536, 1024, 16 * 1024 * 1024)
    except SettingsError as exc:
        raise SettingsError('JOB_LOG_BYTES', f'{str(exc).split(": ", 1)[1]} (or 0: off)') from None


def _looks_like_address(address):
    local, _, domain = address.rpartition('@')
    return bool(local) and '.' in domain and not any(c.isspace() for c in address)


def _long_enough(secret_key):
    """A short key can be guessed offline from one signed cookie."""
    if len(secret_key) < SECRET_KEY_MIN_LENGTH:
        raise SettingsError('SECRET_KEY', f'must be at least {SECRET_KEY_MIN_LENGTH} characters '
                            f'long, got {len(secret_key)}; unset it to have a key generated '
                            'into DATA_DIR')
    return secret_key


def _ensure_dir(path):
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError('DATA_DIR', f'cannot create {path}: {exc.strerror}') from None


def _stored_secret_key(data_dir):
    """The key generated on first start, kept in DATA_DIR with mode 0600.

    Written whole to a temporary file, then linked into place: processes
    starting together all read the one key that won, never a partial file."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    temporary = data_dir / f'.{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}'
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)   # fails if another process linked its key first
        except FileExistsError:
            pass
    except OSError as exc:
        raise SettingsError('SECRET_KEY', f'cannot write {path}: {exc.strerror}') from None
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text().strip()


def _parsed_url(name, raw, refusal):
    """urlparse(raw), its port checked; else a SettingsError saying `refusal`
    (formatted with the parser's reason where it has a {})."""
    try:
        parsed = urlparse(raw)
        parsed.port  # raises ValueError for a non-numeric port
    except ValueError as exc:
        raise SettingsError(name, refusal.format(exc)) from None
    return parsed
