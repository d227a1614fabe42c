"""Huey 3.5.4's own test suite, run on CollabHuey with each claiming storage.

What runs: the test cases of Huey's `test_storage`, `test_api`,
`test_consumer`, `test_signals`, `test_priority`, `test_registry` and
`test_immediate`, each on two backends: ClaimingSqliteStorage (a temporary
file) and ClaimingRedisStorage (the session's redis-server from
tests/conftest.py; REQUIRE_REDIS=1 turns its absence into failures). From
`test_storage`, TestSqliteStorage runs on SQLite and TestRedisStorage on Redis;
every case of the other modules runs on both. Test ids read
`tests/huey_conformance/test_api.py::TestQueue_redis::test_revoke`.

Where the tests come from: the `huey/tests` package of the installed huey,
which requirements.txt pins to 3.5.4. Huey's wheel ships the same test
modules as its sdist, so nothing is downloaded at test time and nothing is
vendored; `test_differences.py` fails if another Huey version is installed,
since the list of differences was made for this one.

How a case is adapted (adapter.py): its `get_huey()` still runs, and only
decides the options (results, store_none, immediate mode, a Huey subclass
of the test's own, a storage of the test's own). The instance is a CollabHuey
with those options, configured as the app configures its own (signed
messages, the storage its settings name), with dequeues claimed as a running
consumer claims them. Consumers are Collab's (`huey.create_consumer()`), and
a test's own consumer or scheduler subclass is mixed into Collab's. Local
time is UTC during each test: Huey's tests give local times, CollabHuey
keeps UTC.

What must hold (differences.py, applied by conftest.py): every test passes,
except the intentional differences listed there, each with its reason.
Those are marked xfail(strict=True), so one that starts passing fails the
run until it is taken off the list. A few tests that exercise only stock Huey
classes are not run, also listed with reasons.
"""
