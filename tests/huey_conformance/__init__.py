"""Huey 3.5.4's own test suite, run on CollabHuey with each claiming storage.

What runs: the test cases of Huey's `test_storage`, `test_api`,
`test_consumer`, `test_signals`, `test_priority`, `test_registry` and
`test_immediate`, each on two backends: ClaimingSqliteStorage (a file in the
test's tmp dir) and ClaimingRedisStorage (the session's redis-server of
tests/conftest.py; REQUIRE_REDIS=1 turns its absence into failures). Of
`test_storage`, TestSqliteStorage runs on SQLite and TestRedisStorage on
Redis; every case of the other modules runs on both. Ids read
`tests/huey_conformance/test_api.py::TestQueue_redis::test_revoke`. Huey's
slow tests stay skipped, as Huey skips them unless HUEY_SLOW_TESTS is set.

Where the tests come from: the `huey.tests` package of the installed huey,
which requirements.txt pins to 3.5.4. Huey's wheel ships the same test
modules as its sdist, so nothing is downloaded at test time and nothing is
vendored; test_differences.py fails on any other Huey version, since the
list of differences was made for this one.

How a case is adapted (adapter.py): its own `get_huey()` still runs, only to
say which options it wants (results, store_none, immediate mode, a Huey
subclass or a storage of the test's own). The Huey is a CollabHuey with those
options, configured as the app configures its own (signed messages, the
storage its settings name: SQLite, or Redis when REDIS_URL is set), whose
dequeues are claims, as under a running consumer. Consumers are Collab's,
with a test's own consumer or scheduler subclass mixed in; the app database
they record themselves in is prepared once per test process. During each
test the local time zone is UTC: Huey's tests give local times, and
CollabHuey keeps UTC. A test fails if threads it started (a consumer's, say)
still run after it.

What must hold (differences.py, applied by conftest.py): every test passes,
but the intentional differences listed there, each with its reason. Those
are marked xfail(strict=True), so one that starts passing fails the run until
it comes off the list. Where a mixin undoes a difference (the default retry
policy, the 'stored' signal), its tests run again with it and must pass. Two
tests that cannot run on the app's storage are skipped, with reasons.
"""
