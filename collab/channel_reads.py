"""Unread counts: how far each member has read each channel (ChannelRead), and the
messages by others after that point.

A marker only moves forward: a late "read up to 5" from one tab never undoes the
"read up to 9" of another. A member who never opened a channel has every
message by others in it unread.
"""
from peewee import JOIN, Case, fn

from collab.fields import utcnow
from collab.models import Channel, ChannelRead, Message
from collab.transactions import writing


def newest_message_id(channel_id):
    return Message.select(fn.MAX(Message.id)).where(Message.channel == channel_id).scalar() or 0


def mark_read(user_id, channel, up_to=None):
    """Move the user's marker in this channel to `up_to` (a message id; at most the
    newest message) or to the newest message; returns the marker now stored."""
    newest = newest_message_id(channel.id)
    target = newest if up_to is None else min(up_to, newest)
    with writing():
        (ChannelRead.insert(user=user_id, channel=channel.id, last_read_id=target,
                            read_at=utcnow())
         .on_conflict(conflict_target=[ChannelRead.user, ChannelRead.channel],
                      update={ChannelRead.last_read_id: Case(
                                  None, [(ChannelRead.last_read_id < target, target)],
                                  ChannelRead.last_read_id),
                              ChannelRead.read_at: utcnow()})
         .execute())
    return last_read_id(user_id, channel.id)


def last_read_id(user_id, channel_id):
    row = ChannelRead.get_or_none((ChannelRead.user == user_id)
                                  & (ChannelRead.channel == channel_id))
    return row.last_read_id if row else 0


def unread_counts(user_id, workspace_id):
    """{channel id: messages by others after the user's marker} for one workspace's
    channels, in one query; a channel with none unread is 0."""
    marker = fn.COALESCE(ChannelRead.last_read_id, 0)
    rows = (Message.select(Message.channel, fn.COUNT(Message.id))
            .join(Channel, on=(Channel.id == Message.channel))
            .join(ChannelRead, JOIN.LEFT_OUTER,
                  on=((ChannelRead.channel == Message.channel) & (ChannelRead.user == user_id)))
            .where((Channel.workspace == workspace_id) & (Message.id > marker)
                   & (Message.user.is_null() | (Message.user != user_id)))
            .group_by(Message.channel)
            .tuples())
    counts = {channel_id: 0 for (channel_id,) in
              Channel.select(Channel.id).where(Channel.workspace == workspace_id).tuples()}
    counts.update(dict(rows))
    return counts


def unread_in(user_id, channel_id):
    marker = last_read_id(user_id, channel_id)
    return (Message.select().where((Message.channel == channel_id) & (Message.id > marker)
                                   & (Message.user.is_null() | (Message.user != user_id)))
            .count())
