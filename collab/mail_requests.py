"""Asking for mail from a request: the jobs go through the outbox, in the request's
transaction (collab/enqueue.py), and only when SMTP_URL is set."""
from flask import current_app, request

from collab import mail, ratelimit
from collab.enqueue import enqueue
from collab.links import external_url
from collab.security import Throttled
from tasks.mail import send_invite_email, send_password_reset

RESETS_PER_HOUR_PER_ADDRESS = 10
RESETS_PER_HOUR_PER_EMAIL = 3   # no one's inbox is flooded with reset mails


def enabled():
    return mail.configured(current_app.config['SETTINGS'])


def invite_link(token):
    return external_url('workspace_pages.accept_invite', token=token)


def email_invite(invite, token):
    """Queue the invite's email; False (nothing queued) without SMTP or for a link invite."""
    if not enabled() or invite.email is None:
        return False
    enqueue(send_invite_email, invite.id, mail.Hidden(invite_link(token)))
    return True


def request_password_reset(email):
    """Queue a reset mail for this email, whether or not it has an account (the job
    looks); throttled per address and per email."""
    for key, limit in ((f'reset-ip:{request.remote_addr or "unknown"}', RESETS_PER_HOUR_PER_ADDRESS),
                       (f'reset-email:{email}', RESETS_PER_HOUR_PER_EMAIL)):
        wait = ratelimit.take(key, limit, 3600)
        if wait:
            raise Throttled(wait, 'too many password-reset requests')
    enqueue(send_password_reset, email)
