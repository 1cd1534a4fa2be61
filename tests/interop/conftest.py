"""Fixtures for the interop tests live in interop_helpers (importable by name, unlike a conftest)."""

from interop_helpers import *  # noqa: F403 - registers the fixtures
