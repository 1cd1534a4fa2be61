"""The three-way merge of a party's profile (domain, pure): properties and a few examples."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from reltui.domain.dates import Birthday
from reltui.domain.enums import Kind, PartyType, Rung
from reltui.domain.merge import FIELD_LABELS, MERGED_FIELDS, canonical, changed_fields, merge_party
from reltui.domain.records import PartyIn

# Small pools, so two sides often change a field to the same value (and often differently).
POOLS = {
    "name": st.sampled_from(["Ann", "Ann Lee", "Bob"]),
    "party_type": st.sampled_from(list(PartyType)),
    "kind": st.sampled_from(list(Kind)),
    "organisation": st.sampled_from([None, "Acme", "Lee & Co"]),
    "emails": st.sampled_from([(), ("a@example.com",), ("a@example.com", "b@example.com")]),
    "phones": st.sampled_from([(), ("555 0100",), ("555 0199",)]),
    "address": st.sampled_from([None, "1 High St", "2 Low Rd\nTown"]),
    "birthday": st.sampled_from([None, Birthday(12, 1, None), Birthday(12, 1, 1980)]),
    "tags": st.sampled_from([(), ("vip",), ("trade", "vip")]),
    "notes": st.sampled_from(["", "likes tea", "# Notes\n- coffee"]),
    "source": st.sampled_from([None, "web", "referral"]),
    "referred_by_id": st.sampled_from([None, 1, 2]),
    "cadence_days": st.sampled_from([None, 7, 30]),
    "payment_terms_days": st.sampled_from([None, 30, 45]),
    "renewal_on": st.sampled_from([None, date(2027, 1, 1), date(2027, 6, 30)]),
}
RUNGS = st.sampled_from(list(Rung))


@st.composite
def profiles(draw) -> PartyIn:
    return PartyIn(**{name: draw(pool) for name, pool in POOLS.items()}, rung=draw(RUNGS))


@st.composite
def edits(draw, base: PartyIn) -> PartyIn:
    """`base` with some fields changed (or not)."""
    changes = {name: draw(POOLS[name]) for name in MERGED_FIELDS if draw(st.booleans())}
    return replace(base, **changes, rung=draw(RUNGS))


@st.composite
def triples(draw) -> tuple[PartyIn, PartyIn, PartyIn]:
    base = draw(profiles())
    return base, draw(edits(base)), draw(edits(base))


def profile(p: PartyIn) -> dict:
    """What an edit writes (the rung is never one of them)."""
    return {name: getattr(p, name) for name in MERGED_FIELDS}


def test_every_profile_field_is_merged_but_the_rung_and_owner():
    # the rung and the owner are set when adding; an edit never writes them
    assert set(MERGED_FIELDS) == {f.name for f in fields(PartyIn)} - {"rung", "owner"}
    assert set(FIELD_LABELS) == set(MERGED_FIELDS)


@given(triples())
def test_nothing_changed_elsewhere_takes_mine(t):
    base, _, mine = t
    outcome = merge_party(base, base, mine)
    assert profile(outcome.merged) == profile(mine)
    assert outcome.conflicts == () and outcome.kept == ()


@given(triples())
def test_nothing_changed_here_takes_theirs_and_says_so(t):
    base, theirs, _ = t
    outcome = merge_party(base, theirs, base)
    assert outcome.merged == theirs  # the rung too: it always comes from the book
    assert outcome.conflicts == ()
    assert outcome.kept == changed_fields(base, theirs)


@given(triples())
def test_same_change_on_both_sides_is_no_conflict(t):
    base, theirs, _ = t
    outcome = merge_party(base, theirs, theirs)
    assert outcome.merged == theirs and outcome.conflicts == () and outcome.kept == ()


@given(triples())
def test_disjoint_changes_both_survive(t):
    base, theirs, mine = t
    mine = replace(mine, **{name: getattr(base, name) for name in changed_fields(base, theirs)})
    outcome = merge_party(base, theirs, mine)
    assert outcome.conflicts == ()
    for name in MERGED_FIELDS:
        expected = getattr(theirs if name in changed_fields(base, theirs) else mine, name)
        assert getattr(outcome.merged, name) == expected, name
    assert outcome.merged.rung == theirs.rung


@given(triples())
def test_conflicts_are_exactly_the_fields_both_changed_differently(t):
    base, theirs, mine = t
    outcome = merge_party(base, theirs, mine)
    expected = {name for name in MERGED_FIELDS
                if getattr(base, name) != getattr(theirs, name) != getattr(mine, name) != getattr(base, name)}
    assert {c.field for c in outcome.conflicts} == expected
    for c in outcome.conflicts:
        assert (c.base, c.theirs, c.mine) == (getattr(base, c.field), getattr(theirs, c.field),
                                              getattr(mine, c.field))
        assert getattr(outcome.merged, c.field) == c.theirs  # held at theirs until settled
    assert set(outcome.kept).isdisjoint(expected)


@given(triples())
def test_conflicts_are_symmetric(t):
    base, theirs, mine = t
    one, other = merge_party(base, theirs, mine), merge_party(base, mine, theirs)
    assert [(c.field, c.base, c.theirs, c.mine) for c in one.conflicts] == \
           [(c.field, c.base, c.mine, c.theirs) for c in other.conflicts]
    # settled the same way, both orders give the same profile
    settled = one.resolve({c.field: "mine" for c in one.conflicts})
    assert profile(settled) == profile(other.resolve({}))


@given(triples())
def test_settling_every_conflict_as_mine_is_mine_plus_their_other_changes(t):
    base, theirs, mine = t
    outcome = merge_party(base, theirs, mine)
    settled = outcome.resolve({c.field: "mine" for c in outcome.conflicts})
    for name in MERGED_FIELDS:
        mine_changed = getattr(mine, name) != getattr(base, name)
        assert getattr(settled, name) == getattr(mine if mine_changed else theirs, name), name
    # retried against the profile now in the book (the new base), nothing is left to settle
    again = merge_party(theirs, theirs, settled)
    assert again.conflicts == () and profile(again.merged) == profile(settled)


# -- comparing as stored -------------------------------------------------------------------------

def test_canonical_ignores_what_the_book_would_not_keep():
    stored = PartyIn(name="Ann Lee", organisation=None, emails=("ann@example.com",),
                     phones=("+1 555-0100",), address="1 High St\nTown", tags=("trade-show", "vip"),
                     notes="likes tea", source=None)
    typed = PartyIn(name="  Ann   Lee ", organisation="  ", emails=("ann@example.com", "ANN@example.com", ""),
                    phones=("+1 555-0100", "15550100"), address="1 High St\r\nTown\n",
                    tags=("VIP", "Trade Show", "vip"), notes="likes tea\n", source="",
                    kind="customer", party_type="person")
    assert canonical(typed) == canonical(stored) == stored


def test_canonical_keeps_real_changes():
    stored = PartyIn(name="Ann", emails=("ann@example.com",), notes="tea")
    assert canonical(replace(stored, emails=("ANN@example.com",))) != stored  # as typed: a change
    assert canonical(replace(stored, notes="coffee")).notes == "coffee"
    assert canonical(replace(stored, kind="nonsense")).kind == "nonsense"  # left for the write to refuse
