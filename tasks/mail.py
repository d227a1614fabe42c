"""Mail: invites and password-reset links, sent over SMTP (collab/mail.py). Default
policy: a refused or unreachable server is retried with backoff."""
import logging

from collab import mail, password_reset
from collab.models import Invite, User, Workspace
from collab.jobs.instance import huey

log = logging.getLogger('collab.tasks')


@huey.task()
def send_invite_email(invite_id, link):
    """Mail an email invite's link (`link`: a mail.Hidden, it holds the token). Skipped
    once the invite is revoked, used or expired."""
    invite = (Invite.select(Invite, Workspace).join(Workspace)
              .where(Invite.id == invite_id).first())
    if invite is None or invite.email is None or invite.uses >= invite.max_uses:
        return 'skipped'
    inviter = User.get_or_none(User.id == invite.invited_by_id)
    who = inviter.name if inviter else 'Someone'
    body = (f'{who} invited you to the workspace "{invite.workspace.name}" on Collab.\n\n'
            f'Open this link to join (it is valid for 7 days):\n{link.value}\n\n'
            'If you did not expect this, ignore this email.\n')
    mail.send(huey.settings, invite.email,
              f'{who} invited you to {invite.workspace.name} on Collab', body)
    return 'sent'


@huey.task()
def send_password_reset(email):
    """Mail a one-hour reset link to the account with this email; nothing when there is
    none (the request said the same either way). A retry mails a fresh link."""
    user = User.get_or_none(User.email == email)
    if user is None:
        return 'no account'
    token = password_reset.issue(user)
    body = (f'Someone (hopefully you) asked to reset the password of your Collab account '
            f'{user.email}.\n\nSet a new password here (the link works once, for one hour):\n'
            f'{password_reset.link(huey.settings, token)}\n\n'
            'If you did not ask for this, ignore this email: your password stays as it is.\n')
    mail.send(huey.settings, user.email, 'Reset your Collab password', body)
    return 'sent'
