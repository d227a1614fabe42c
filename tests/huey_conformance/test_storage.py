"""Huey's test_storage, on CollabHuey with each claiming storage (see __init__.py)."""
from tests.huey_conformance.adapter import cases

globals().update(cases('test_storage'))
