"""The page an invite link opens (GET /invites/<token>, routed in
collab/workspace_pages.py), signed in or not: the workspace and who invited, then
join, or sign in or sign up and come back here."""
from flask import g, render_template

from collab import invites, signup
from collab.access import role_in
from collab.api.invites import invite_preview


def invite_page(token):
    """GET /invites/<token>: the workspace and who invited, then join, sign in or sign
    up (and come back here)."""
    invite = invites.find(token)
    if invite is None:
        return render_template('invite.html', invite=None, token=token), 404
    preview = invite_preview(invite)
    member = g.user is not None and role_in(invite.workspace_id) is not None
    return render_template('invite.html', invite=preview, token=token, member=member,
                           signup_refusal=signup.refusal_without_invite()
                           if g.user is None else None), \
        200 if preview['usable'] or member else 410
