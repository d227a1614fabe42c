"""The collaboration domain tables."""
from datetime import timedelta

from peewee import (AutoField, BooleanField, CharField, DateTimeField,
                    ForeignKeyField, IntegerField, Model, TextField)

from collab.db import database
from collab.fields import JSONText, iso, utcnow


class BaseModel(Model):
    class Meta:
        database = database


class User(BaseModel):
    id = AutoField()
    email = CharField(max_length=254, unique=True)
    name = CharField(max_length=100)
    password_hash = CharField(max_length=255)
    is_admin = BooleanField(default=False)
    push_enabled = BooleanField(default=True)
    # Notification kinds this user turned off (collab/notification_settings.py).
    muted_kinds = JSONText(null=True)
    created_at = DateTimeField(default=utcnow)

    def to_dict(self):
        return {'id': self.id, 'email': self.email, 'name': self.name,
                'is_admin': self.is_admin, 'push': self.push_enabled,
                'created_at': iso(self.created_at)}


DEFAULT_TOKEN_DAYS = 90   # the TOKEN_DAYS setting's default


def token_expiry(days=DEFAULT_TOKEN_DAYS):
    return utcnow() + timedelta(days=days)


class ApiToken(BaseModel):
    """A bearer token; only its SHA-256 is stored. It has a name its owner gave
    it, an expiry, and when it was last used (to the minute)."""
    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref='tokens', on_delete='CASCADE')
    created_at = DateTimeField(default=utcnow)
    name = CharField(max_length=100, default='')
    expires_at = DateTimeField(default=token_expiry)
    last_used_at = DateTimeField(null=True)

    def to_dict(self):
        # Never the token itself: only its hash is kept.
        return {'id': self.id, 'name': self.name, 'created_at': iso(self.created_at),
                'expires_at': iso(self.expires_at), 'last_used_at': iso(self.last_used_at)}


class LoginSession(BaseModel):
    """A signed-in browser. Its signed cookie holds a random key; only the key's
    SHA-256 is stored. Deleting the row ends the session for good."""
    id = AutoField()
    key_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref='login_sessions', on_delete='CASCADE')
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)


class PasswordReset(BaseModel):
    """A password-reset link sent by email (collab/password_reset.py); only its token's
    SHA-256 is stored. Valid for an hour, once."""
    id = AutoField()
    user = ForeignKeyField(User, backref='+', on_delete='CASCADE')
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)
    used_at = DateTimeField(null=True)


class Workspace(BaseModel):
    id = AutoField()
    name = CharField(max_length=100)
    owner = ForeignKeyField(User, backref='owned_workspaces')
    created_at = DateTimeField(default=utcnow)

    def to_dict(self, role=None):
        data = {'id': self.id, 'name': self.name, 'owner_id': self.owner_id,
                'created_at': iso(self.created_at)}
        if role is not None:
            data['role'] = role
        return data


class Member(BaseModel):
    OWNER, ADMIN, MEMBER = 'owner', 'admin', 'member'
    ROLES = (OWNER, ADMIN, MEMBER)
    MANAGERS = (OWNER, ADMIN)   # who invite, change roles, remove members and export

    workspace = ForeignKeyField(Workspace, backref='members', on_delete='CASCADE')
    user = ForeignKeyField(User, backref='memberships', on_delete='CASCADE')
    role = CharField(max_length=10, default=MEMBER)
    joined_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('workspace', 'user'), True),)

    @classmethod
    def user_ids(cls, workspace_id):
        """The ids of the workspace's members."""
        return [m.user_id for m in cls.select(cls.user).where(cls.workspace == workspace_id)]


class Activity(BaseModel):
    id = AutoField()
    workspace = ForeignKeyField(Workspace, backref='activity', on_delete='CASCADE')
    user = ForeignKeyField(User, null=True, on_delete='SET NULL')
    action = CharField(max_length=50)
    target_type = CharField(max_length=30)
    target_id = IntegerField(null=True)
    metadata = JSONText(null=True)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((('workspace', 'created_at'), False),)

    def to_dict(self):
        return {'id': self.id, 'workspace_id': self.workspace_id, 'user_id': self.user_id,
                'action': self.action, 'target_type': self.target_type,
                'target_id': self.target_id, 'metadata': self.metadata or {},
                'created_at': iso(self.created_at)}


class Invite(BaseModel):
    """An invitation; only the token's SHA-256 is stored. An email invite (`email` set,
    one use) is for that account only; a link invite (no email) is for anyone signed
    in, `max_uses` times."""
    id = AutoField()
    workspace = ForeignKeyField(Workspace, backref='invites', on_delete='CASCADE')
    email = CharField(max_length=254, null=True)
    token_hash = CharField(max_length=64, unique=True)
    invited_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)
    accepted_at = DateTimeField(null=True)   # the latest accept
    max_uses = IntegerField(default=1)
    uses = IntegerField(default=0)
    # With SECRET_KEY, rebuilds the token, so owners and admins can copy a pending
    # invite's link again (collab/invites.py); a copy of the database alone cannot.
    link_nonce = CharField(max_length=64, null=True)

    def to_dict(self):
        return {'id': self.id, 'workspace_id': self.workspace_id, 'email': self.email,
                'link': self.email is None, 'max_uses': self.max_uses, 'uses': self.uses,
                'invited_by': self.invited_by_id, 'created_at': iso(self.created_at),
                'expires_at': iso(self.expires_at), 'accepted_at': iso(self.accepted_at)}


class Document(BaseModel):
    id = AutoField()
    workspace = ForeignKeyField(Workspace, backref='documents', on_delete='CASCADE')
    title = CharField(max_length=200)
    content = TextField(default='')
    version = IntegerField(default=1)
    created_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    updated_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def to_dict(self, content=True):
        data = {'id': self.id, 'workspace_id': self.workspace_id, 'title': self.title,
                'version': self.version, 'created_by': self.created_by_id,
                'updated_by': self.updated_by_id, 'created_at': iso(self.created_at),
                'updated_at': iso(self.updated_at)}
        if content:
            data['content'] = self.content
        return data


class DocumentVersion(BaseModel):
    id = AutoField()
    document = ForeignKeyField(Document, backref='versions', on_delete='CASCADE')
    version = IntegerField()
    title = CharField(max_length=200)
    content = TextField()
    author = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    created_at = DateTimeField(default=utcnow)
    # Filled in by documents.process_document_version: the change against the version before.
    lines_added = IntegerField(null=True)
    lines_removed = IntegerField(null=True)
    # The version whose content this one restored (its author restored it); None for a save.
    restored_from = IntegerField(null=True)

    class Meta:
        indexes = ((('document', 'version'), True),)

    def to_dict(self, content=True):
        data = {'id': self.id, 'document_id': self.document_id, 'version': self.version,
                'title': self.title, 'author_id': self.author_id,
                'created_at': iso(self.created_at), 'lines_added': self.lines_added,
                'lines_removed': self.lines_removed, 'restored_from': self.restored_from}
        if content:
            data['content'] = self.content
        return data


class Channel(BaseModel):
    id = AutoField()
    workspace = ForeignKeyField(Workspace, backref='channels', on_delete='CASCADE')
    name = CharField(max_length=80)
    created_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('workspace', 'name'), True),)

    def to_dict(self):
        return {'id': self.id, 'workspace_id': self.workspace_id, 'name': self.name,
                'created_by': self.created_by_id, 'created_at': iso(self.created_at)}


class Message(BaseModel):
    id = AutoField()
    channel = ForeignKeyField(Channel, backref='messages', on_delete='CASCADE')
    user = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    edited_at = DateTimeField(null=True)   # its author's last edit

    def to_dict(self):
        return {'id': self.id, 'channel_id': self.channel_id, 'user_id': self.user_id,
                'body': self.body, 'created_at': iso(self.created_at),
                'edited_at': iso(self.edited_at)}


class ChannelRead(BaseModel):
    """How far a member has read a channel: the newest message id they have seen.
    Messages after it, by others, are their unread count."""
    user = ForeignKeyField(User, on_delete='CASCADE', backref='+')
    channel = ForeignKeyField(Channel, on_delete='CASCADE', backref='reads')
    last_read_id = IntegerField(default=0)
    read_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('user', 'channel'), True),)


class File(BaseModel):
    """An upload; the bytes live in DATA_DIR/files under `stored_name`, never the user's name."""
    id = AutoField()
    workspace = ForeignKeyField(Workspace, backref='files', on_delete='CASCADE')
    uploaded_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    name = CharField(max_length=255)
    stored_name = CharField(max_length=64, unique=True)
    content_type = CharField(max_length=100)
    size = IntegerField()
    created_at = DateTimeField(default=utcnow)

    def to_dict(self):
        return {'id': self.id, 'workspace_id': self.workspace_id, 'name': self.name,
                'content_type': self.content_type, 'size': self.size,
                'uploaded_by': self.uploaded_by_id, 'created_at': iso(self.created_at),
                'url': f'/api/files/{self.id}'}


class Notification(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, backref='notifications', on_delete='CASCADE')
    type = CharField(max_length=50)
    data = JSONText(null=True)
    # The id of the task that created it: a retried task never stores it twice.
    dedupe_key = CharField(max_length=64, null=True, unique=True)
    read_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('user', 'read_at'), False),)

    def to_dict(self):
        return {'id': self.id, 'type': self.type, 'data': self.data or {},
                'read': self.read_at is not None, 'created_at': iso(self.created_at)}


class Export(BaseModel):
    PENDING, RUNNING, READY, FAILED = 'pending', 'running', 'ready', 'failed'

    id = AutoField()
    workspace = ForeignKeyField(Workspace, backref='exports', on_delete='CASCADE')
    requested_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
    state = CharField(max_length=10, default=PENDING)
    job_id = CharField(max_length=64, null=True)
    filename = CharField(max_length=100, null=True)
    error = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)

    def to_dict(self):
        data = {'id': self.id, 'workspace_id': self.workspace_id, 'state': self.state,
                'job_id': self.job_id, 'created_at': iso(self.created_at),
                'finished_at': iso(self.finished_at)}
        if self.state == self.READY:
            data['download_url'] = f'/api/exports/{self.id}/download'
        if self.state == self.FAILED:
            data['error'] = self.error
        return data


class LastSeen(BaseModel):
    """When each user was last seen online, and whether they were at the last sync:
    written every five minutes by online_status.sync_online_status from the live
    registry (broadcast.online_users), which alone says who is online right now."""
    user = ForeignKeyField(User, primary_key=True, on_delete='CASCADE')
    online = BooleanField(default=False)
    last_seen_at = DateTimeField(null=True)

    class Meta:
        table_name = 'presence'


DOMAIN_MODELS = [User, ApiToken, LoginSession, Workspace, Member, Activity, Invite, Document,
                 DocumentVersion, Channel, Message, ChannelRead, File, Notification, Export,
                 LastSeen, PasswordReset]
