"""Huey's test cases, rebuilt to run on CollabHuey (see the package docstring)."""
import importlib
import unittest
from collections import defaultdict

from huey.consumer import Consumer
from huey.tests.base import BaseTestCase

from collab.jobs.consumer import CollabConsumer
from collab.jobs.engine import CollabHuey
from tests.huey_conformance.differences import differences_for

BACKENDS = ('sqlite', 'redis')
MODULES = ('test_storage', 'test_api', 'test_consumer', 'test_signals', 'test_priority',
           'test_registry', 'test_immediate')
# test_storage holds a case per storage; each backend runs the one for its kind.
STORAGE_CASES = {'sqlite': 'TestSqliteStorage', 'redis': 'TestRedisStorage'}
# The claimer the storage would get from a running consumer's heartbeat.
CLAIMER = 'huey-conformance'

_loader = unittest.TestLoader()


def cases(module_name):
    """{name: adapted TestCase class} for one of Huey's test modules, on every backend,
    with the twins that undo a listed difference (see differences.py)."""
    module = importlib.import_module(f'huey.tests.{module_name}')
    adapted = {}
    for name, case in vars(module).items():
        if not (isinstance(case, type) and issubclass(case, BaseTestCase)
                and case.__module__ == module.__name__):
            continue   # only cases built on BaseTestCase build a Huey to test
        for backend in BACKENDS:
            if module_name == 'test_storage' and name != STORAGE_CASES[backend]:
                continue
            main = f'{name}_{backend}'
            adapted[main] = _adapted(case, main, module_name, backend)
            for mixins, methods in _undone(module_name, main, case).items():
                twin = '_'.join([main, *(mixin.__name__ for mixin in mixins)])
                adapted[twin] = _adapted(case, twin, module_name, backend, mixins, methods)
    return adapted


def adapted_test_ids():
    """Every adapted test but the twins, as 'test_api.py::TestQueue_sqlite::test_retry'."""
    return [f'{module}.py::{name}::{method}'
            for module in MODULES for name, case in cases(module).items()
            if not case.undone for method in _loader.getTestCaseNames(case)]


def _undone(module_name, name, case):
    """{mixins: [test methods]} of the listed tests whose every difference a mixin undoes."""
    found = defaultdict(list)
    for method in _loader.getTestCaseNames(case):
        mixins = tuple(d.undone_by for d in differences_for(f'{module_name}.py::{name}::{method}'))
        if mixins and None not in mixins:
            found[mixins].append(method)
    return found


def _adapted(case, name, module_name, backend, undone=(), only=None):
    attributes = {
        'backend': backend,
        'undone': undone,
        'consumer_class': _mixed(case.consumer_class, CollabConsumer),
        '__unittest_skip__': False,   # test_storage skips Redis cases without localhost:6379
        '__module__': f'tests.huey_conformance.{module_name}',
        '__qualname__': name,
    }
    if only is not None:   # a twin runs only the tests listed for the difference it undoes
        attributes.update({method: None for method in _loader.getTestCaseNames(case)
                           if method not in only})
    return type(name, (OnCollabHuey, case), attributes)


class OnCollabHuey:
    """Mixed in before a Huey test case: its Huey becomes a CollabHuey on `backend`
    (in a twin, with the mixins `undone` first).

    `settings` (the app's Settings for this test's backend) is set on the case
    by the conftest before setUp runs.
    """
    backend = None
    undone = ()
    settings = None

    def get_huey(self):
        stock = super().get_huey()
        # A storage the test defines itself (one that must never be used, say) stays.
        storage = stock.storage if _defined_in_tests(type(stock.storage)) else None
        if storage is None:
            stock.storage.close()
        cls = _mixed(type(stock), CollabHuey)
        if self.undone:
            cls = type(cls.__name__, (*self.undone, cls), {})
        huey = cls(stock.name, consumer_class=CollabConsumer)
        huey.results = stock.results
        huey.store_none = stock.store_none
        huey.store_intermediate_errors = stock.store_intermediate_errors
        huey.immediate_use_memory = stock.immediate_use_memory
        huey.configure(self.settings, storage=storage)
        huey.task_timeout = None   # Huey's tests expect no limit on a task that sets none
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
