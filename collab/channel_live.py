"""Live chat: a channel's message changes pushed to the sockets that have it open,
and a nudge to every member's pages so their unread counts follow.

A page's socket subscribes to the one channel it shows (collab/realtime.py asks
`subscribable` first: members only); collab.broadcast then hands a channel's
`message` events to the sockets subscribed to it alone, in whichever process
holds them. Events are published by the web request once its change has
committed: a page that fetches on hearing one finds the change there. This
module never imports Flask.
"""
import logging

from collab import broadcast
from collab.db import database
from collab.models import Channel, Member, User

log = logging.getLogger('collab.realtime')

POSTED, EDITED, DELETED = 'posted', 'edited', 'deleted'


def subscribable(user_id, channel_id):
    """None when this user may follow the channel, else (status, why not) for the
    error frame."""
    with database.connection_context():
        channel = Channel.get_or_none(Channel.id == channel_id)
        if channel is None:
            return 404, 'no such channel'
        member = Member.select(Member.id).where((Member.workspace == channel.workspace_id)
                                                & (Member.user == user_id)).exists()
    return None if member else (403, 'you are not a member of this workspace')


def message_event(action, message, channel):
    """The frame subscribers get: `type` first, as collab.broadcast.event_key reads it."""
    data = message.to_dict()
    if action == DELETED:
        data = {'id': message.id, 'channel_id': channel.id, 'edited_at': None}
    else:
        author = User.get_or_none(User.id == message.user_id) if message.user_id else None
        data['user_name'] = author.name if author else None
    return {'type': 'message', 'action': action, 'channel_id': channel.id,
            'workspace_id': channel.workspace_id, 'message': data}


def announce(settings, action, message, channel, by_user_id):
    """After a message was posted, edited or deleted (and committed): the frame to the
    channel's subscribers, and `channel.activity` to every member's other pages. A
    failure to tell is logged, never the request's failure: pages catch up on load."""
    try:
        members = Member.user_ids(channel.workspace_id)
        publisher = broadcast.broadcaster(settings)
        publisher.publish(members, message_event(action, message, channel))
        publisher.publish(members, {'type': 'channel.activity', 'action': action,
                                    'workspace_id': channel.workspace_id,
                                    'channel_id': channel.id, 'user_id': by_user_id})
    except Exception as exc:
        log.warning('could not announce message %s %s: %s', message.id, action, exc)


def announce_read(settings, user_id, channel, unread):
    """Tell the reader's own pages (another tab's workspace page) the channel is read."""
    try:
        broadcast.broadcaster(settings).publish([user_id], {
            'type': 'channel.read', 'workspace_id': channel.workspace_id,
            'channel_id': channel.id, 'unread': unread})
    except Exception as exc:
        log.warning('could not announce that user %s read channel %s: %s',
                    user_id, channel.id, exc)
