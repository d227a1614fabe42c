"""Each user's notification settings: push on or off, and which kinds notify them.

Kinds a user turns off are never stored for them (collab/notifications.py), so
they are neither shown, sent to their sockets, nor pushed.
"""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from collab.auth import login_required
from collab.models import User
from collab.transactions import writing

# Every kind of notification there is, with what the settings page calls it.
KINDS = {
    'document.created': 'Someone creates a document',
    'document.updated': 'Someone edits a document',
    'message.posted': 'Someone posts in a channel',
    'invite.accepted': 'Someone joins a workspace',
    'export.ready': 'Your export is ready',
    'export.failed': 'Your export failed',
    'digest': 'Daily digest',
}

bp = Blueprint('notification_settings', __name__)


def muted(user):
    """The kinds this user turned off."""
    return {kind for kind in (user.muted_kinds or []) if kind in KINDS}


def wanting(user_ids, kind):
    """Those of these users who have not turned `kind` off."""
    if not user_ids:
        return set()
    rows = User.select(User.id, User.muted_kinds).where(User.id.in_(list(user_ids)))
    return {row.id for row in rows if kind not in (row.muted_kinds or [])}


def describe(user):
    """The settings as the API and the page show them."""
    off = muted(user)
    return {'push': user.push_enabled, 'kinds': {kind: kind not in off for kind in KINDS}}


def change(user, push=None, kinds=None):
    """Save push on/off and/or kinds on/off ({kind: bool}, only known kinds)."""
    changes = {}
    if push is not None:
        changes[User.push_enabled] = bool(push)
    if kinds is not None:
        off = muted(user)
        off |= {kind for kind, on in kinds.items() if not on}
        off -= {kind for kind, on in kinds.items() if on}
        changes[User.muted_kinds] = sorted(off)
    if changes:
        with writing():
            User.update(changes).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


@bp.route('/settings', methods=['GET', 'POST'])
@login_required
def settings_page():
    if request.method == 'POST':
        # A checkbox left unticked is not sent: every kind the form shows is in it.
        change(g.user, push=request.form.get('push') == '1',
               kinds={kind: request.form.get(f'kind:{kind}') == '1' for kind in KINDS})
        flash('Settings saved.', 'info')
        return redirect(url_for('notification_settings.settings_page'))
    return render_template('settings.html', settings=describe(g.user), kinds=KINDS)
