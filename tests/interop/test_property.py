"""Property: exporting random parties and importing the file into an empty book is the identity."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from interop_helpers import NOW, profiles
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reltui.domain.dates import Birthday
from reltui.domain.enums import Kind, PartyType, Rung
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.services.interop import export_parties, import_file
from reltui.store import open_store

# Any printable text, with the characters that formats escape (, ; : \ " ' = + - @) made likely.
_CHARS = st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
    st.sampled_from(list(",;:\\\"'=+-@ \t") + ["é", "ß", "中", "😀"]),
)
line = st.text(_CHARS, min_size=1, max_size=30).filter(lambda s: s.strip() and "\t" not in s)
lines = st.lists(line, min_size=0, max_size=3).map("\n".join)


@st.composite
def party(draw, i: int) -> PartyIn:
    person = draw(st.booleans())
    name = draw(line)
    organisation = draw(st.one_of(st.none(), line.filter(lambda o: o.strip() != name.strip())))
    year = draw(st.one_of(st.none(), st.integers(1900, 2020)))
    month, day = draw(st.sampled_from([(1, 1), (2, 29), (3, 7), (12, 31), (7, 15)]))
    if year is not None and (month, day) == (2, 29):
        year = 2000
    return PartyIn(
        name=name, party_type=PartyType.PERSON if person else PartyType.ORGANISATION,
        kind=draw(st.sampled_from(list(Kind))), organisation=organisation,
        emails=tuple(f"p{i}.{n}@example.com" for n in range(draw(st.integers(0, 2)))),
        phones=tuple(f"+1 555 01{i:02d} {n}" for n in range(draw(st.integers(0, 2)))),
        address=draw(st.one_of(st.none(), lines)),
        birthday=draw(st.one_of(st.none(), st.just(Birthday(month, day, year)))),
        tags=tuple(draw(st.lists(line, max_size=3))), notes=draw(lines),
        source=draw(st.one_of(st.none(), line)),
        cadence_days=draw(st.one_of(st.none(), st.integers(1, 3650))),
        payment_terms_days=draw(st.one_of(st.none(), st.integers(0, 3650))),
        renewal_on=draw(st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 12, 31)))),
        rung=draw(st.sampled_from(list(Rung))),
    )


@st.composite
def books(draw) -> list[PartyIn]:
    count = draw(st.integers(1, 6))
    parties = [draw(party(i)) for i in range(count)]
    names = [" ".join(p.name.casefold().split()) for p in parties]
    for i, p in enumerate(parties):  # names must differ: a same-named party is a duplicate
        if names.count(names[i]) > 1:
            parties[i] = PartyIn(**{**p.__dict__, "name": f"{p.name} {i}"})
    return parties


def _round_trip(parties: list[PartyIn], fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = open_store(Path(tmp) / "a.db"), open_store(Path(tmp) / "b.db")
        try:
            source, target = Services(a, clock=lambda: NOW), Services(b, clock=lambda: NOW)
            for p in parties:
                source.add_party(p)
            export_parties(source, Path(tmp) / f"out.{fmt}")
            summary = import_file(target, Path(tmp) / f"out.{fmt}")
            assert summary.added == len(parties), summary
            assert profiles(target) == profiles(source)
        finally:
            a.close()
            b.close()


FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(books())
def test_vcf_round_trip_is_the_identity(parties):
    _round_trip(parties, "vcf")


@FAST
@given(books())
def test_csv_round_trip_is_the_identity(parties):
    _round_trip(parties, "csv")


@FAST
@given(books())
def test_json_round_trip_is_the_identity(parties):
    _round_trip(parties, "json")
