"""Huey's test cases, rebuilt to run on CollabHuey (see the package docstring)."""
import importlib
import unittest

from huey.consumer import Consumer
from huey.tests.base import BaseTestCase

from collab.jobs.consumer import CollabConsumer
from collab.jobs.engine import CollabHuey

BACKENDS = ('sqlite', 'redis')
MODULES = ('test_storage', 'test_api', 'test_consumer', 'test_signals', 'test_priority',
           'test_registry', 'test_immediate')
# test_storage holds a case per storage; each backend runs the one for its kind.
STORAGE_CASES = {'sqlite': 'TestSqliteStorage', 'redis': 'TestRedisStorage'}
# The claimer the storage would get from a running consumer's heartbeat.
CLAIMER = 'huey-conformance'


def cases(module_name):
    """{name: adapted TestCase class} for one of Huey's test modules, on every backend."""
    module = importlib.import_module(f'huey.tests.{module_name}')
    adapted = {}
    for name, case in vars(module).items():
        if not (isinstance(case, type) and issubclass(case, BaseTestCase)
                and case.__module__ == module.__name__):
            continue   # only cases built on BaseTestCase build a Huey to test
        for backend in BACKENDS:
            if module_name == 'test_storage' and name != STORAGE_CASES[backend]:
                continue
            adapted_name = f'{name}_{backend}'
            adapted[adapted_name] = type(adapted_name, (OnCollabHuey, case), {
                'backend': backend,
                'consumer_class': _mixed(case.consumer_class, CollabConsumer),
                '__unittest_skip__': False,   # test_storage skips Redis cases without localhost:6379
                '__module__': f'tests.huey_conformance.{module_name}',
                '__qualname__': adapted_name,
            })
    return adapted


def test_ids():
    """Every adapted test, as 'test_api.py::TestQueue_sqlite::test_revoke'."""
    loader = unittest.TestLoader()
    return [f'{module}.py::{name}::{method}'
            for module in MODULES for name, case in cases(module).items()
            for method in loader.getTestCaseNames(case)]


class OnCollabHuey:
    """Mixed in before a Huey test case: its Huey becomes a CollabHuey on `backend`.

    `settings` (the app's Settings for this test's backend) is set on the case
    by the conftest before setUp runs.
    """
    backend = None
    settings = None

    def get_huey(self):
        stock = super().get_huey()
        # A storage the test defines itself (one that must never be used, say) stays.
        storage = stock.storage if _defined_in_tests(type(stock.storage)) else None
        if storage is None:
            stock.storage.close()
        huey = _mixed(type(stock), CollabHuey)(stock.name, consumer_class=CollabConsumer)
        huey.results = stock.results
        huey.store_none = stock.store_none
        huey.store_intermediate_errors = stock.store_intermediate_errors
        huey.immediate_use_memory = stock.immediate_use_memory
        huey.configure(self.settings, storage=storage)
        huey.storage.claimer = CLAIMER
        if stock.immediate:
            huey.immediate = True   # as an app switches it on: from its configured storage
        return huey


def _mixed(upstream, project):
    """`project`, with what a class of Huey's tests adds to a stock class mixed in
    first (MemoryHuey, SqliteHuey and the like add nothing to test: `project` itself).

    The scheduler of a test's consumer subclass is mixed the same way.
    """
    if not _defined_in_tests(upstream):
        return project
    attributes = {}
    if issubclass(upstream, Consumer):
        attributes['scheduler_class'] = _mixed(upstream.scheduler_class, project.scheduler_class)
    return type(upstream.__name__, (upstream, project), attributes)


def _defined_in_tests(cls):
    return cls.__module__.startswith('huey.tests.')
