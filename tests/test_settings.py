"""Settings: defaults, the .env file, one clear error per bad value, the secret key."""
import os
import stat

import pytest

from collab.settings import Settings, SettingsError


def load(tmp_path, env_file=None, **environ):
    environ.setdefault('DATA_DIR', str(tmp_path / 'data'))
    return Settings.from_env(environ=environ, env_file=env_file)


def test_defaults_follow_the_spec(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(environ={}, env_file=None)
    data_dir = (tmp_path / 'data').resolve()
    assert settings.data_dir == data_dir and data_dir.is_dir()
    assert settings.database_url == f'sqlite:///{data_dir / "collab.db"}'
    assert settings.redis_url is None and settings.queue_backend == 'sqlite'
    assert settings.queue_path == data_dir / 'queue.db'
    assert (settings.host, settings.port, settings.huey_workers) == ('127.0.0.1', 5000, 4)
    assert settings.admin_email is None and settings.admin_password is None
    assert settings.push_webhook_url is None and settings.alert_webhook_url is None
    assert settings.versions_keep == 50
    assert (settings.job_retention_days, settings.job_retention_rows,
            settings.failed_retention_days) == (14, 1_000_000, 30)


def test_values_from_the_environment_are_used(tmp_path):
    settings = load(tmp_path, PORT='8080', HOST='0.0.0.0', HUEY_WORKERS='8',
                    REDIS_URL='redis://127.0.0.1:6379/1', VERSIONS_KEEP='7',
                    DATABASE_URL='postgresql://app@db.example:5432/collab',
                    PUSH_WEBHOOK_URL='https://ntfy.example/topic')
    assert (settings.port, settings.host, settings.huey_workers) == (8080, '0.0.0.0', 8)
    assert settings.redis_url == 'redis://127.0.0.1:6379/1' and settings.queue_backend == 'redis'
    assert settings.database_url == 'postgresql://app@db.example:5432/collab'
    assert settings.push_webhook_url == 'https://ntfy.example/topic'
    assert settings.versions_keep == 7


def test_a_dotenv_file_is_read(tmp_path):
    env_file = tmp_path / '.env'
    env_file.write_text('PORT=6001\nHUEY_WORKERS=3\nADMIN_EMAIL=boss@example.com\n')
    settings = load(tmp_path, env_file=str(env_file))
    assert (settings.port, settings.huey_workers) == (6001, 3)
    assert settings.admin_email == 'boss@example.com'


def test_the_real_environment_wins_over_the_dotenv_file(tmp_path):
    env_file = tmp_path / '.env'
    env_file.write_text('PORT=6001\n')
    assert load(tmp_path, env_file=str(env_file), PORT='6002').port == 6002


def test_a_missing_dotenv_file_is_fine(tmp_path):
    assert load(tmp_path, env_file=str(tmp_path / 'absent.env')).port == 5000


@pytest.mark.parametrize('variable, value', [
    ('PORT', 'eighty'),
    ('PORT', '0'),
    ('PORT', '70000'),
    ('HUEY_WORKERS', 'many'),
    ('HUEY_WORKERS', '0'),
    ('HUEY_WORKERS', '100000'),
    ('VERSIONS_KEEP', '-1'),
    ('REDIS_URL', 'not a url'),
    ('REDIS_URL', 'http://127.0.0.1:6379'),
    ('REDIS_URL', 'redis://127.0.0.1:port/0'),
    ('REDIS_URL', 'redis://'),
    ('DATABASE_URL', 'mysql://db.example/collab'),
    ('DATABASE_URL', 'collab.db'),
    ('DATABASE_URL', 'postgresql://db.example:nope/collab'),
    ('PUSH_WEBHOOK_URL', 'ftp://push.example/hook'),
    ('PUSH_WEBHOOK_URL', 'push.example/hook'),
    ('ALERT_WEBHOOK_URL', 'https://[broken/hook'),
    ('ALERT_WEBHOOK_URL', 'redis://127.0.0.1:6379'),
])
def test_a_bad_value_raises_an_error_naming_the_variable(tmp_path, variable, value):
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, **{variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f'{variable}:')
    assert '\n' not in str(caught.value)


def test_a_bad_value_in_the_dotenv_file_is_named_too(tmp_path):
    env_file = tmp_path / '.env'
    env_file.write_text('HUEY_WORKERS=lots\n')
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, env_file=str(env_file))
    assert caught.value.variable == 'HUEY_WORKERS'


def test_an_unusable_data_dir_is_named(tmp_path):
    blocker = tmp_path / 'a-file'
    blocker.write_text('')
    with pytest.raises(SettingsError) as caught:
        load(tmp_path, DATA_DIR=str(blocker / 'data'))
    assert caught.value.variable == 'DATA_DIR'


def test_the_secret_key_is_generated_once_with_mode_0600(tmp_path):
    first = load(tmp_path)
    key_file = tmp_path / 'data' / 'secret_key'
    assert key_file.read_text().strip() == first.secret_key
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_the_generated_secret_key_is_reused_on_the_next_start(tmp_path):
    first = load(tmp_path)
    second = load(tmp_path)
    assert second.secret_key == first.secret_key


def test_an_explicit_secret_key_wins_and_writes_no_file(tmp_path):
    settings = load(tmp_path, SECRET_KEY='from-the-environment-and-32-characters-long')
    assert settings.secret_key == 'from-the-environment-and-32-characters-long'
    assert not (tmp_path / 'data' / 'secret_key').exists()
