"""Two people editing the same party: edits merge field by field, clashes are refused with both
versions, never silently overwritten. Two Services on the same file stand for two terminals."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from reltui.domain.errors import EditConflict, InvalidInput, NotFound
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.store import open_store

NOW = datetime(2026, 11, 22, 10, 30)  # as the svc fixture (tests/unit/conftest.py)


@pytest.fixture
def other(db_path, store):
    """A colleague's terminal: its own Store on the same file, the same frozen clock."""
    other_store = open_store(db_path)
    yield Services(other_store, clock=lambda: NOW)
    other_store.close()


def add(svc, name="Ann Lee", **fields) -> int:
    return svc.add_party(PartyIn(name=name, **fields))


def opened(svc, party_id: int) -> PartyIn:
    """The profile as an edit form is filled from it."""
    return svc.get_party(party_id).to_input()


def test_disjoint_changes_both_survive_and_theirs_are_reported(svc, other):
    ann = add(svc, phones=("555 0100",), notes="likes tea", tags=("vip",))
    base = opened(svc, ann)
    other.edit_party(ann, replace(opened(other, ann), phones=("555 0199",), tags=("vip", "golf")),
                     base=opened(other, ann))
    kept = svc.edit_party(ann, replace(base, notes="likes coffee"), base=base)
    assert set(kept) == {"phones", "tags"}
    party = svc.get_party(ann)
    assert party.phones == ("555 0199",) and party.tags == ("golf", "vip")
    assert party.notes == "likes coffee"


def test_the_same_field_changed_both_ways_is_refused_with_both_values(svc, other):
    ann = add(svc, notes="likes tea", source="web")
    base = opened(svc, ann)
    other.edit_party(ann, replace(opened(other, ann), notes="likes green tea", organisation="Acme"),
                     base=opened(other, ann))
    with pytest.raises(EditConflict) as caught:
        svc.edit_party(ann, replace(base, notes="likes coffee", source="referral"), base=base)
    conflict = caught.value
    assert [(c.field, c.base, c.theirs, c.mine) for c in conflict.conflicts] == [
        ("notes", "likes tea", "likes green tea", "likes coffee")]
    assert "changed elsewhere" in conflict.message and "notes" in conflict.message
    # the rest of both edits is merged, the clash held at theirs, and nothing was written
    assert conflict.merged.source == "referral" and conflict.merged.organisation == "Acme"
    assert conflict.merged.notes == "likes green tea"
    assert conflict.current.notes == "likes green tea" and conflict.current.source == "web"
    party = svc.get_party(ann)
    assert (party.notes, party.source, party.organisation) == ("likes green tea", "web", "Acme")


def test_settling_a_conflict_retries_against_the_profile_now_stored(svc, other):
    ann = add(svc, notes="likes tea", phones=("555 0100",))
    base = opened(svc, ann)
    other.edit_party(ann, replace(base, notes="likes green tea"), base=base)
    with pytest.raises(EditConflict) as caught:
        svc.edit_party(ann, replace(base, notes="likes coffee"), base=base)
    settled = caught.value.merge.resolve({"notes": "mine"})
    # a third change lands while the choice is being made: a new clash is caught again ...
    other.edit_party(ann, replace(opened(other, ann), notes="tea, black"), base=opened(other, ann))
    with pytest.raises(EditConflict) as again:
        svc.edit_party(ann, settled, base=caught.value.current)
    assert [(c.theirs, c.mine) for c in again.value.conflicts] == [("tea, black", "likes coffee")]
    # ... while a third change to another field merges
    settled = again.value.merge.resolve({"notes": "mine"})
    other.edit_party(ann, replace(opened(other, ann), phones=("555 0199",)), base=opened(other, ann))
    assert svc.edit_party(ann, settled, base=again.value.current) == ("phones",)
    party = svc.get_party(ann)
    assert party.notes == "likes coffee" and party.phones == ("555 0199",)


def test_two_saves_in_the_same_second_are_caught(svc, other):
    """updated_at has one-second resolution (and here a frozen clock): the merge compares values."""
    ann = add(svc, name="Ann")
    base = opened(svc, ann)
    stamp = svc.get_party(ann).updated_at
    other.edit_party(ann, replace(base, name="Ann B"), base=base)
    assert svc.get_party(ann).updated_at == stamp  # the timestamp can't tell
    with pytest.raises(EditConflict) as caught:
        svc.edit_party(ann, replace(base, name="Ann C"), base=base)
    assert [(c.field, c.theirs, c.mine) for c in caught.value.conflicts] == [("name", "Ann B", "Ann C")]
    assert svc.get_party(ann).name == "Ann B"


def test_both_making_the_same_change_is_no_conflict(svc, other):
    ann = add(svc, cadence_days=30)
    base = opened(svc, ann)
    other.edit_party(ann, replace(base, cadence_days=14), base=base)
    assert svc.edit_party(ann, replace(base, cadence_days=14), base=base) == ()
    assert svc.get_party(ann).cadence_days == 14


def test_values_compare_as_stored_not_as_typed(svc, other):
    """A form gives back what it showed, maybe retyped: the same value is not a change."""
    ann = add(svc, emails=("ann@example.com",), tags=("trade-show", "vip"), notes="tea")
    base = opened(svc, ann)
    other.edit_party(ann, replace(base, emails=("ann@work.example",), tags=("vip",), notes="coffee"),
                     base=base)
    typed = replace(base, name=" Ann  Lee ", emails=("ann@example.com", ""), tags=("VIP", "Trade Show"),
                    notes="tea\n", address="  ")
    assert set(svc.edit_party(ann, typed, base=base)) == {"emails", "tags", "notes"}
    party = svc.get_party(ann)
    assert (party.emails, party.tags, party.notes) == (("ann@work.example",), ("vip",), "coffee")


def test_a_referrer_in_a_conflict_comes_with_its_name(svc, other):
    bob, eve = add(svc, "Bob Marsh"), add(svc, "Eve Stone")
    ann = add(svc)
    base = opened(svc, ann)
    other.edit_party(ann, replace(base, referred_by_id=bob), base=base)
    with pytest.raises(EditConflict) as caught:
        svc.edit_party(ann, replace(base, referred_by_id=eve), base=base)
    assert caught.value.names == {bob: "Bob Marsh", eve: "Eve Stone"}
    assert caught.value.conflicts[0].label == "referred by"


def test_merge_never_touches_the_rung_and_still_checks_the_input(svc, other):
    ann = add(svc, notes="tea")
    base = opened(svc, ann)
    svc.move_rung(ann, "customer")
    assert svc.edit_party(ann, replace(base, notes="coffee"), base=base) == ()
    assert svc.get_party(ann).rung.value == "customer"
    with pytest.raises(InvalidInput, match="doesn't look like an email"):
        svc.edit_party(ann, replace(base, emails=("not an address",)), base=base)
    with pytest.raises(InvalidInput, match="referred by itself"):
        svc.edit_party(ann, replace(base, referred_by_id=ann), base=base)
    with pytest.raises(NotFound):
        svc.edit_party(ann + 99, base, base=base)


def test_the_old_timestamp_check_still_refuses(svc):
    ann = add(svc, "Ann")
    seen = svc.get_party(ann).updated_at
    svc.clock = lambda: NOW + timedelta(minutes=1)
    svc.edit_party(ann, PartyIn(name="Ann C"))
    with pytest.raises(InvalidInput, match="changed elsewhere"):
        svc.edit_party(ann, PartyIn(name="Ann D"), expected_updated_at=seen)
