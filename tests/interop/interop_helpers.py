from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from reltui.services import Services
from reltui.store import open_store

NOW = datetime(2026, 11, 22, 10, 30)
DATA = Path(__file__).parent / "data"


@pytest.fixture
def book(book_factory):
    """Services over a fresh book, 'now' frozen at 2026-11-22 10:30."""
    store = open_store(book_factory("book"))
    yield Services(store, clock=lambda: NOW)
    store.close()


@pytest.fixture
def other_book(book_factory):
    store = open_store(book_factory("other"))
    yield Services(store, clock=lambda: NOW)
    store.close()


def profile(svc, party_id: int) -> dict:
    """A party's profile as the import/export round trip must keep it."""
    d = svc.get_party(party_id)
    return {
        "name": d.name, "type": d.party_type.value, "kind": d.kind.value,
        "organisation": d.organisation, "emails": d.emails, "phones": d.phones,
        "address": d.address, "birthday": d.birthday, "tags": d.tags, "notes": d.notes,
        "source": d.source, "referred_by": d.referred_by.name if d.referred_by else None,
        "cadence": d.cadence_days, "terms": d.payment_terms_days, "renewal": d.renewal_on,
        "rung": d.rung.value,
    }


def profiles(svc) -> list[dict]:
    ids = [r.id for r in svc.list_parties(limit=10_000)]
    return sorted((profile(svc, i) for i in ids), key=lambda p: (p["name"], p["emails"], p["phones"]))


def by_name(svc, name: str):
    return svc.get_party(svc.resolve_party(name).id)
