"""TUI tests: a file book in tmp_path, 'now' frozen at Sunday 22 Nov 2026 10:30."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from tui_helpers import NOW, TODAY, add

from reltui.services import Services
from reltui.store import open_store


@pytest.fixture
def store(book_target):
    store = open_store(book_target)
    yield store
    store.close()


@pytest.fixture
def svc(store):
    return Services(store, clock=lambda: NOW)


@pytest.fixture
def book(svc):
    """A small book: three parties, follow-ups overdue / today / later, one going cold."""
    ids = {
        "ada": add(svc, "Ada Lovelace", emails=("ada@example.org",), tags=("vip",), cadence_days=7),
        "acme": add(svc, "Acme Ltd", kind="business", party_type="organisation"),
        "bob": add(svc, "Bob Stone", cadence_days=7),
    }
    svc.log_interaction(ids["bob"], "Intro call", at=datetime(2026, 11, 10, 9, 0))
    svc.schedule_follow_up(ids["ada"], date(2026, 11, 18), "Send the quote")
    svc.schedule_follow_up(ids["acme"], TODAY, "Call about the renewal")
    svc.schedule_follow_up(ids["bob"], date(2026, 12, 15), "Check in", repeat="monthly")
    return ids
