from __future__ import annotations

from datetime import datetime

import pytest

from reltui.services import Services
from reltui.store import open_store

NOW = datetime(2026, 11, 22, 10, 30)


@pytest.fixture
def db_path(book_target):
    return book_target


@pytest.fixture
def store(db_path):
    store = open_store(db_path)
    yield store
    store.close()


@pytest.fixture
def svc(store):
    """Services over a fresh file book, with 'now' frozen at 2026-11-22 10:30 (a Sunday)."""
    return Services(store, clock=lambda: NOW)
