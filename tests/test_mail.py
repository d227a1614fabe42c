"""Mail through a real SMTP server on loopback (aiosmtpd): the settings, invites emailed by
a job (retried when the server refuses), STARTTLS and implicit TLS, and the link to copy
when no SMTP server is set up."""
import pytest

from collab import mail
from collab.jobs.instance import huey
from collab.jobs.models import Job
from collab.settings import Settings, SettingsError
from tests.support import wait_for_jobs_idle, wait_until
from tests.support.mail import (MailServer, body_of, link_in, own_address,
                                self_signed_certificate, server_tls_context)

MAIL_FROM = 'Collab <collab@example.com>'
BASE_URL = 'https://collab.example.com'


@pytest.fixture
def settings(make_settings, smtp_server):
    return make_settings(SMTP_URL=smtp_server.url(), MAIL_FROM=MAIL_FROM, BASE_URL=BASE_URL)


def invite(client, team, email='zoe@example.com'):
    response = client.post(f'/api/workspaces/{team.ws_id}/invites', json={'email': email},
                           headers=team.ann)
    assert response.status_code == 201, response.json
    return response.json


def invite_jobs(invite_id):
    return [job for job in Job.select().where(Job.task == 'mail.send_invite_email')
            if job.args['args'][0] == invite_id]


# ------------------------------------------------------------------ settings

def settings_from(tmp_path, **env):
    return Settings.from_mapping({'DATA_DIR': str(tmp_path), 'SECRET_KEY': 'k' * 40, **env})


@pytest.mark.parametrize('value, says', [
    ('http://mail.example.com', 'must start with smtp://'),
    ('smtp://', 'has no host'),
    ('smtp://user:secret@mail.example.com:port', 'not a valid URL'),
    ('smtp://user:secret@mail.example.com:587/inbox', 'no path'),
])
def test_a_bad_smtp_url_stops_start_up_naming_it_and_not_its_password(tmp_path, value, says):
    with pytest.raises(SettingsError) as raised:
        settings_from(tmp_path, SMTP_URL=value, MAIL_FROM='collab@example.com')
    assert raised.value.variable == 'SMTP_URL'
    assert says in str(raised.value) and 'secret' not in str(raised.value)


def test_mail_from_is_required_with_smtp_url_and_must_be_an_address(tmp_path):
    with pytest.raises(SettingsError, match='MAIL_FROM: must be set when SMTP_URL is'):
        settings_from(tmp_path, SMTP_URL='smtp://mail.example.com:587')
    with pytest.raises(SettingsError, match='MAIL_FROM: is not an email address'):
        settings_from(tmp_path, SMTP_URL='smtp://mail.example.com:587', MAIL_FROM='collab')
    good = settings_from(tmp_path, SMTP_URL='smtps://u:p@mail.example.com', MAIL_FROM=MAIL_FROM)
    assert good.mail_from == MAIL_FROM and 'u:p' not in repr(good)


# ------------------------------------------------------------------ invites by email

def test_an_email_invite_is_mailed_by_a_job_with_the_link_under_base_url(
        client, team, consumer, smtp_server):
    answer = invite(client, team)
    assert answer['emailed'] is True
    [entry] = smtp_server.wait_for('zoe@example.com')
    message = entry['message']
    assert message['From'] == MAIL_FROM and message['To'] == 'zoe@example.com'
    assert message['Subject'] == 'Ann invited you to Garden club on Collab'
    assert link_in(entry) == f"{BASE_URL}/invites/{answer['token']}" == answer['invite_url']
    assert 'Garden club' in body_of(entry)


def test_the_invite_job_does_not_show_the_token_in_the_job_list(client, team, consumer,
                                                                smtp_server):
    answer = invite(client, team)
    smtp_server.wait_for('zoe@example.com')
    wait_for_jobs_idle()
    huey.ledger.flush()
    [job] = invite_jobs(answer['id'])
    assert job.state == 'succeeded'
    assert job.args['args'] == [answer['id'], '<hidden>']
    assert answer['token'] not in str(job.args)


def test_a_link_invite_is_not_mailed(client, team, consumer, smtp_server):
    answer = client.post(f'/api/workspaces/{team.ws_id}/invites',
                         json={'link': True, 'max_uses': 3}, headers=team.ann).json
    assert answer['emailed'] is False
    wait_for_jobs_idle()
    assert smtp_server.messages == []


def test_a_refused_mail_is_retried_until_the_server_takes_it(client, team, consumer,
                                                            smtp_server):
    wait_for_jobs_idle()   # the team's own invite (used already: not mailed)
    smtp_server.inbox.refuse_next = 1   # 451 for the first try
    answer = invite(client, team)
    [entry] = smtp_server.wait_for('zoe@example.com', timeout=20)
    assert 'Garden club' in body_of(entry)

    def succeeded():
        huey.ledger.flush()
        return [job for job in invite_jobs(answer['id']) if job.state == 'succeeded']
    [job] = wait_until(succeeded, message='the invite job to succeed')
    assert job.attempts == 2


def test_a_revoked_invite_is_not_mailed(app, client, team, smtp_server):
    """The job checks the invite when it runs: one revoked before is skipped."""
    from tasks.mail import send_invite_email
    answer = invite(client, team)   # queued, no consumer running
    client.delete(f"/api/invites/{answer['id']}", headers=team.ann)
    huey.immediate = True
    try:
        assert send_invite_email.call_local(answer['id'], mail.Hidden('x')) == 'skipped'
    finally:
        huey.immediate = False
    assert smtp_server.messages == []


# ------------------------------------------------------------------ the SMTP connection

def mail_settings(tmp_path, url):
    return settings_from(tmp_path, SMTP_URL=url, MAIL_FROM=MAIL_FROM, BASE_URL=BASE_URL)


def test_credentials_in_the_url_are_sent_decoded(tmp_path, cert_env):
    server = MailServer(account=('mailer', 'p@ss:word'),
                        tls_context=server_tls_context(*cert_env)).start()
    try:
        settings = mail_settings(tmp_path, server.url('mailer:p%40ss%3Aword'))
        mail.send(settings, 'zoe@example.com', 'Hello', 'Hi Zoe')
        [entry] = server.wait_for('zoe@example.com')
    finally:
        server.stop()
    assert server.inbox.logins == [('mailer', 'p@ss:word')]
    assert entry['tls'] is True   # the login went over STARTTLS


@pytest.fixture
def cert_env(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that this process's TLS clients trust."""
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv('SSL_CERT_FILE', str(cert))
    return cert, key


@pytest.mark.filterwarnings('ignore:Requiring AUTH while not requiring TLS')
def test_a_password_goes_in_plain_text_only_to_a_server_on_this_machine(tmp_path):
    local = MailServer(account=('mailer', 'secret')).start()
    try:
        mail.send(mail_settings(tmp_path, local.url('mailer:secret')), 'zoe@example.com',
                  'Hello', 'Hi')
        assert local.wait_for('zoe@example.com')[0]['tls'] is False
    finally:
        local.stop()
    address = own_address()
    if address is None:
        pytest.skip('this machine has no address besides loopback')
    remote = MailServer(account=('mailer', 'secret'), host=address).start()
    try:
        with pytest.raises(mail.MailError, match='offers no STARTTLS'):
            mail.send(mail_settings(tmp_path, remote.url('mailer:secret')), 'zoe@example.com',
                      'Hello', 'Hi')
    finally:
        remote.stop()
    assert remote.inbox.logins == [] and remote.messages == []


def test_smtp_upgrades_with_starttls_when_the_server_offers_it(tmp_path, cert_env):
    server = MailServer(tls_context=server_tls_context(*cert_env)).start()
    try:
        mail.send(mail_settings(tmp_path, server.url()), 'zoe@example.com', 'Hello', 'Hi')
        [entry] = server.wait_for('zoe@example.com')
    finally:
        server.stop()
    assert entry['tls'] is True


def test_smtps_speaks_tls_from_the_start(tmp_path, cert_env):
    server = MailServer(tls_context=server_tls_context(*cert_env), implicit_tls=True).start()
    try:
        mail.send(mail_settings(tmp_path, server.url()), 'zoe@example.com', 'Hello', 'Hi')
        [entry] = server.wait_for('zoe@example.com')
    finally:
        server.stop()
    assert entry['message']['Subject'] == 'Hello'


def test_a_certificate_the_client_does_not_trust_is_refused(tmp_path):
    cert, key = self_signed_certificate(tmp_path)   # not in SSL_CERT_FILE
    server = MailServer(tls_context=server_tls_context(cert, key)).start()
    try:
        with pytest.raises(Exception, match='certificate verify failed'):
            mail.send(mail_settings(tmp_path, server.url()), 'zoe@example.com', 'Hello', 'Hi')
    finally:
        server.stop()
    assert server.messages == []
