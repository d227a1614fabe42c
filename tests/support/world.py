"""A realistic world for the security tests, built by its users through the API.

Two workspaces hold data whose names carry markers (`wsone-secret`, `wstwo-secret`):
a body shown to someone outside a workspace must never contain that workspace's
marker. Roles, seen from the first workspace:

- anonymous: no credentials at all;
- nonmember: Eve, who owns the second workspace (and is told of its changes);
- member: Bob, invited into the first workspace (he owns the notification used below);
- workspace_admin: Wes, invited into the first workspace and made an admin of it;
- owner: Ann, who created the first workspace;
- admin: Root, a site administrator who is a member of neither workspace.

What each role may do on each route is the table in tests/support/routes.py.
"""
import io
import itertools
import re

from bench.local import wait_until
from collab.jobs.models import Job
from collab.models import Export, Invite
from collab.jobs.instance import huey
from tests.sample_tasks import always_fail, succeed
from tests.support.jobs import wait_for_jobs_idle
from tests.support.users import PASSWORD, sign_in, sign_up

ROLES = ('anonymous', 'nonmember', 'member', 'workspace_admin', 'owner', 'admin')
MARKERS = {'one': 'wsone-secret', 'two': 'wstwo-secret'}
PERIODIC = 'tests.sample_tasks.never_due'
MISSING_ID = 987654321

_serial = itertools.count(1)


def unique():
    return next(_serial)


class Actor:
    """One role: a test client holding its session cookie, its CSRF token and a bearer token."""

    def __init__(self, app, role, email=None, name=None, admin=False):
        self.role, self.email, self.app = role, email, app
        self.client = app.test_client()
        self.token = self.csrf = None
        self.user_id = None
        if email:
            self._signed_in(sign_up(self.client, email, name, PASSWORD, admin=admin))

    def sign_in(self):
        return self._signed_in(sign_in(self.client, self.email, PASSWORD))

    def _signed_in(self, account):
        self.token, self.csrf, self.user_id = account.token, account.csrf, account.id
        return self

    def fresh(self):
        """Another signed-in client of the same user (for routes that end or replace a session)."""
        other = Actor(self.app, self.role)
        other.email = self.email
        return other.sign_in() if self.email else other

    @property
    def bearer(self):
        return {'Authorization': f'Bearer {self.token}'} if self.token else {}

    def api(self, method, url, **kwargs):
        """As a script would: bearer token, no cookie."""
        headers = {**self.bearer, **kwargs.pop('headers', {})}
        return self.app.test_client().open(url, method=method, headers=headers, **kwargs)


class World:
    """Everything the routes need, made by the users themselves through the API."""

    def __init__(self, app):
        self.app = app
        self._links, self._revocable = {}, None
        # The administrator first: the first account of a server becomes one.
        admin = Actor(app, 'admin', 'root@example.com', 'Root', admin=True)
        self.actors = {
            'anonymous': Actor(app, 'anonymous'),
            'nonmember': Actor(app, 'nonmember', 'eve@example.com', 'Eve'),
            'member': Actor(app, 'member', 'bob@example.com', 'Bob'),
            'workspace_admin': Actor(app, 'workspace_admin', 'wes@example.com', 'Wes'),
            'owner': Actor(app, 'owner', 'ann@example.com', 'Ann'),
            'admin': admin,
        }
        self.dan = Actor(app, 'other', 'dan@example.com', 'Dan')        # Eve's teammate
        self.frank = Actor(app, 'other', 'frank@example.com', 'Frank')  # signs in and out
        ann, bob, eve = self.actors['owner'], self.actors['member'], self.actors['nonmember']
        self.one = self.fill_workspace(ann, bob, MARKERS['one'])
        self.join(self.actors['workspace_admin'], self.one['ws'], 'admin')
        self.two = self.fill_workspace(eve, self.dan, MARKERS['two'])
        self.spare = self.created(ann.api('POST', '/api/workspaces', json={'name': 'spare'}))['id']

    def created(self, response, status=(200, 201, 202)):
        assert response.status_code in status, (response.status_code, response.get_data(True))
        return response.json

    def link(self, workspace_id):
        """One many-use link invite of Ann's per workspace (invite creation is throttled)."""
        if workspace_id not in self._links:
            self._links[workspace_id] = self.created(self.actors['owner'].api(
                'POST', f'/api/workspaces/{workspace_id}/invites',
                json={'link': True, 'max_uses': 1000}))['token']
        return self._links[workspace_id]

    def join(self, actor, workspace_id, role='member'):
        """`actor` in that workspace with `role`, through a link invite and its owner Ann."""
        self.created(actor.api('POST', f'/api/invites/{self.link(workspace_id)}/accept'))
        self.created(self.actors['owner'].api(
            'PATCH', f'/api/workspaces/{workspace_id}/members/{actor.user_id}',
            json={'role': role}))
        return actor.user_id

    def fill_workspace(self, owner, member, marker):
        """A workspace with a member, a document with two versions, a channel with a
        message, a file, an export and a pending invite."""
        ids = {}
        ws = self.created(owner.api('POST', '/api/workspaces', json={'name': f'{marker}-space'}))
        ids['ws'] = ws['id']
        invite = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/invites",
                                        json={'email': member.email}))
        self.created(member.api('POST', f"/api/invites/{invite['token']}/accept"))
        doc = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/documents",
                                     json={'title': f'{marker}-doc', 'content': f'{marker}-text'}))
        ids['doc'] = doc['id']
        self.created(member.api('PUT', f"/api/documents/{doc['id']}",
                                json={'content': f'{marker}-text, edited'}))
        channel = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/channels",
                                         json={'name': f'{marker}-chan'}))
        ids['channel'] = channel['id']
        self.created(member.api('POST', f"/api/channels/{channel['id']}/messages",
                                json={'body': f'{marker}-message'}))
        upload = self.created(owner.api(
            'POST', f"/api/workspaces/{ws['id']}/files",
            data={'file': (io.BytesIO(f'{marker}-bytes'.encode()), f'{marker}-file.txt')}))
        ids['file'] = upload['id']
        ids['export'] = self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/exports"))[
            'export_id']
        self.created(owner.api('POST', f"/api/workspaces/{ws['id']}/invites",
                               json={'email': f'{marker}-invitee@example.com'}))
        return ids

    def finish_background_work(self):
        """Exports ready and notifications delivered (needs a running consumer)."""
        for ids, owner in ((self.one, self.actors['owner']), (self.two, self.actors['nonmember'])):
            wait_until(lambda: owner.api('GET', f"/api/exports/{ids['export']}").json['state']
                       == 'ready', timeout=20, message='the export to be ready')
        wait_for_jobs_idle(timeout=20)
        notes = self.actors['member'].api('GET', '/api/notifications').json['notifications']
        assert notes, 'Bob has no notification'
        self.one['note'] = notes[0]['id']
        versions = self.actors['owner'].api('GET', f"/api/documents/{self.one['doc']}/versions")
        self.one['version'] = versions.json['versions'][-1]['version']
        self.failed_job = self.failed()

    # ---------------------------------------------------------------- fresh rows per call

    def fresh_doc(self):
        return self.created(self.actors['owner'].api(
            'POST', f"/api/workspaces/{self.one['ws']}/documents",
            json={'title': f'scratch {unique()}', 'content': ''}))['id']

    def fresh_invite(self):
        """A link's token for the spare workspace, that anyone signed in may accept:
        accepting it must not change who sees the others."""
        return self.link(self.spare)

    def fresh_invite_id(self):
        """A pending email invite of the first workspace, to revoke: the last one, unless
        it was revoked."""
        if self._revocable is None or not Invite.select().where(
                Invite.id == self._revocable).exists():
            self._revocable = self.created(self.actors['owner'].api(
                'POST', f"/api/workspaces/{self.one['ws']}/invites",
                json={'email': f'guest{unique()}@example.com'}))['id']
        return self._revocable

    def fresh_file(self):
        return self.created(self.actors['owner'].api(
            'POST', f"/api/workspaces/{self.one['ws']}/files",
            data={'file': (io.BytesIO(b'scratch'), f'scratch-{unique()}.txt')}))['id']

    def fresh_message(self):
        return self.created(self.actors['owner'].api(
            'POST', f"/api/channels/{self.one['channel']}/messages",
            json={'body': f'scratch {unique()}'}))['id']

    def exports_idle(self):
        """The first workspace, once no export of it is being built: a workspace builds
        one export at a time."""
        building = Export.select().where((Export.workspace == self.one['ws'])
                                         & Export.state.in_([Export.PENDING, Export.RUNNING]))
        wait_until(lambda: not building.exists(), timeout=20,
                   message="the first workspace's exports to finish")
        return self.one['ws']

    def fresh_export(self):
        """A finished export of the first workspace, to delete."""
        export_id = self.created(self.actors['owner'].api(
            'POST', f'/api/workspaces/{self.exports_idle()}/exports'))['export_id']
        self.exports_idle()
        return export_id

    def fresh_token(self):
        """A new API token of the owner's, to delete."""
        return self.created(self.actors['owner'].api('POST', '/api/me/tokens',
                                                     json={'name': f'scratch {unique()}'}))['id']

    def member_to_remove(self):
        """Frank as a plain member of the first workspace (again), to remove. (No new
        users for this: sign-ups are throttled.)"""
        return self.join(self.frank, self.one['ws'])

    def member_to_promote(self):
        """Dan, Eve's teammate, as a plain member of the first workspace (again), to make
        an admin."""
        return self.join(self.dan, self.one['ws'])

    def page_invite_id(self):
        """A pending email invite of the first workspace for the members page to revoke,
        apart from the API's (both are prepared before either runs)."""
        if getattr(self, '_page_revocable', None) is None or not Invite.select().where(
                Invite.id == self._page_revocable).exists():
            self._page_revocable = self.created(self.actors['owner'].api(
                'POST', f"/api/workspaces/{self.one['ws']}/invites",
                json={'email': f'guest{unique()}@example.com'}))['id']
        return self._page_revocable

    def user_to_reset(self):
        """Sam, whose password an administrator resets: nothing else signs in as him, so
        his reset ends no one else's sign-in. Made once (sign-ups are throttled)."""
        if getattr(self, 'sam', None) is None:
            self.sam = Actor(self.app, 'other', 'sam@example.com', 'Sam')
        return self.sam.user_id

    def recorded(self, job_id, *states):
        def found():
            huey.ledger.flush()
            row = Job.get_or_none(Job.job_id == job_id)
            return row is not None and (not states or row.state in states)
        wait_until(found, timeout=15, message=f'job {job_id} in the ledger {states}')
        return job_id

    def scheduled_job(self):
        # Wait until the consumer holds it in its schedule: the ledger's record of that
        # moment would otherwise overwrite a revoke made just before it.
        job_id = succeed.schedule((f'later {unique()}',), delay=3600).id
        wait_until(lambda: job_id in {task.id for task in huey.scheduled()}, timeout=15,
                   message='the consumer to schedule the job')
        return self.recorded(job_id, 'scheduled')

    def revoked_job(self):
        job_id = self.scheduled_job()
        answer = self.actors['admin'].api('POST', f'/admin/api/jobs/{job_id}/revoke')
        assert answer.status_code == 200, answer.json
        return job_id

    def failed(self):
        task = always_fail.s('matrix')
        task.retries = 0
        huey.enqueue(task)
        return self.recorded(task.id, 'failed')

    def values(self, missing=False):
        """Placeholders for URLs; fresh rows are made only when the URL asks for them."""
        one = self.one
        lazy = {'fresh_doc': self.fresh_doc, 'fresh_invite': self.fresh_invite,
                'fresh_invite_id': self.fresh_invite_id, 'fresh_file': self.fresh_file,
                'fresh_message': self.fresh_message, 'fresh_export': self.fresh_export,
                'exports_idle': self.exports_idle, 'member_to_remove': self.member_to_remove,
                'member_to_promote': self.member_to_promote, 'fresh_token': self.fresh_token,
                'user_to_reset': self.user_to_reset, 'page_invite_id': self.page_invite_id,
                'scheduled_job': self.scheduled_job, 'revoked_job': self.revoked_job,
                # A retried job is marked retried and cannot be retried again: one each.
                'fresh_failed_job': self.failed}
        if missing:
            plain = dict.fromkeys(('ws', 'doc', 'channel', 'file', 'export', 'note', 'fresh_doc',
                                   'version', 'fresh_invite_id', 'fresh_file', 'fresh_message',
                                   'fresh_export', 'exports_idle', 'member_to_remove', 'member_to_promote',
                                   'fresh_token', 'user_to_reset', 'spare', 'owner_id',
                                   'page_invite_id', 'admin_id'),
                                  MISSING_ID)
            plain.update(failed_job='no-such-job', fresh_failed_job='no-such-job',
                         scheduled_job='no-such-job',
                         revoked_job='no-such-job', fresh_invite='no-such-invite',
                         task='no.such.task')
            return plain, {}
        plain = {**one, 'failed_job': self.failed_job, 'task': PERIODIC,
                 'spare': self.spare,
                 'owner_id': self.actors['owner'].user_id,
                 'admin_id': self.actors['workspace_admin'].user_id}
        return plain, lazy


def fill(template, world, missing=False):
    plain, lazy = world.values(missing)
    names = re.findall(r'{(\w+)}', template)
    values = {n: plain[n] if n in plain else lazy[n]() for n in names}
    return template.format(**values)
