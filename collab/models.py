"""The collaboration domain tables."""
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
    created_at = DateTimeField(default=utcnow)

    def to_dict(self):
        return {'id': self.id, 'email': self.email, 'name': self.name,
                'is_admin': self.is_admin, 'push': self.push_enabled,
                'created_at': iso(self.created_at)}


class ApiToken(BaseModel):
    """A bearer token; only its SHA-256 is stored."""
    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref='tokens', on_delete='CASCADE')
    created_at = DateTimeField(default=utcnow)


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
    OWNER, MEMBER = 'owner', 'member'

    workspace = ForeignKeyField(Workspace, backref='members', on_delete='CASCADE')
    user = ForeignKeyField(User, backref='memberships', on_delete='CASCADE')
    role = CharField(max_length=10, default=MEMBER)
    joined_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((('workspace', 'user'), True),)


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


DOMAIN_MODELS = [User, ApiToken, Workspace, Member, Activity]
