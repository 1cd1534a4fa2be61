"""Export, then import: vcf, csv and json give back what went out; ics reads back in icalendar."""

from __future__ import annotations

import stat
from datetime import date, time

import icalendar
import pytest
import vobject
from interop_helpers import NOW, by_name, profiles

from reltui.domain.dates import Birthday
from reltui.domain.enums import Kind, PartyType, Rung
from reltui.domain.errors import InvalidInput
from reltui.domain.records import PartyIn
from reltui.sample import generate
from reltui.services import Services
from reltui.services.interop import export_parties, import_file
from reltui.store import open_store


def _fill(svc) -> dict[str, int]:
    ids = {}
    ids["ann"] = svc.add_party(PartyIn(
        name="Ann Lee", emails=("ann@example.com", "a.lee@example.org"), phones=("+1 555 0100",),
        organisation="Lee; Sons, Ltd", address="1 Road\nTown, 12345", birthday=Birthday(2, 29, None),
        tags=("vip", "a,b"), notes="# Notes\n\n- likes tea\n- = not a formula", source="web",
        cadence_days=30, rung=Rung.CLIENT))
    ids["acme"] = svc.add_party(PartyIn(
        name="Acme Supplies", party_type=PartyType.ORGANISATION, kind=Kind.SUPPLIER,
        emails=("orders@acme.example",), payment_terms_days=45, renewal_on=date(2027, 1, 31),
        referred_by_id=ids["ann"], birthday=Birthday(7, 1, 1990)))
    ids["bob"] = svc.add_party(PartyIn(name="=HYPERLINK(\"x\")", phones=("-5550199",),
                                       notes="@risk +1"))
    return ids


@pytest.mark.parametrize("fmt", ["vcf", "csv", "json"])
def test_export_then_import_changes_nothing(book, other_book, tmp_path, fmt):
    _fill(book)
    out = tmp_path / f"book.{fmt}"
    summary = export_parties(book, out)
    assert summary.parties == 3
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    result = import_file(other_book, out)
    assert result.added == 3 and result.bad_total == 0
    assert profiles(other_book) == profiles(book)
    again = import_file(other_book, out)  # a second import finds every party already there
    assert (again.added, again.skipped_duplicates) == (0, 3)


def test_vcf_uids_are_stable(book, tmp_path):
    _fill(book)
    export_parties(book, tmp_path / "a.vcf")
    export_parties(book, tmp_path / "b.vcf")
    uids = lambda p: [line for line in p.read_text().splitlines() if line.startswith("UID:")]  # noqa: E731
    assert uids(tmp_path / "a.vcf") == uids(tmp_path / "b.vcf") and len(set(uids(tmp_path / "a.vcf"))) == 3


def test_vcf_reads_back_with_another_programs_parser(book, tmp_path):
    """vobject, a vCard reader that shares no code with ours, sees every field as we meant it."""
    ids = _fill(book)
    out = tmp_path / "book.vcf"
    export_parties(book, out)
    cards = {c.fn.value: c for c in vobject.readComponents(out.read_text(encoding="utf-8"))}
    assert set(cards) == {"Ann Lee", "Acme Supplies", '=HYPERLINK("x")'}
    ann = cards["Ann Lee"]
    assert ann.version.value == "3.0"
    assert [e.value for e in ann.contents["email"]] == ["ann@example.com", "a.lee@example.org"]
    assert [t.value for t in ann.contents["tel"]] == ["+1 555 0100"]
    assert ann.org.value == ["Lee; Sons, Ltd"]  # the separators inside the name stay text
    assert ann.note.value == "# Notes\n\n- likes tea\n- = not a formula"
    assert sorted(ann.categories.value) == ["a,b", "vip"]
    assert ann.bday.value in ("--0229", "--02-29")  # a birthday without its year
    adr = ann.adr.value  # reltui keeps an address as free text: it goes whole in the street
    assert (adr.street, adr.city, adr.code) == ("1 Road\nTown, 12345", "", "")
    acme = cards["Acme Supplies"]
    assert acme.bday.value in ("19900701", "1990-07-01")
    assert len({c.uid.value for c in cards.values()}) == 3
    assert book.get_party(ids["ann"]).name == "Ann Lee"


def test_csv_has_the_spreadsheet_columns_and_no_formulas(book, tmp_path):
    ids = _fill(book)
    book.record_purchase(ids["ann"], "120.50", cost="20", on=date(2026, 10, 1))
    book.log_interaction(ids["ann"], "Called", at=NOW.replace(hour=9))
    export_parties(book, tmp_path / "p.csv")
    import csv
    rows = list(csv.DictReader((tmp_path / "p.csv").open(newline="", encoding="utf-8")))
    ann = next(r for r in rows if r["name"] == "Ann Lee")
    assert (ann["rung"], ann["kind"], ann["revenue"], ann["profit"], ann["purchases"]) == (
        "client", "customer", "120.50", "100.50", "1")
    assert ann["last_contact"].startswith("2026-11-22 09:30") and ann["tier"] in ("platinum", "gold", "iron")
    assert ann["emails"] == "ann@example.com\na.lee@example.org"
    bob = next(r for r in rows if "HYPERLINK" in r["name"])
    assert bob["name"].startswith("'=") and bob["phones"].startswith("'-") and bob["notes"].startswith("'@")


def test_ics_reads_back_with_icalendar(book, tmp_path):
    ids = _fill(book)
    book.schedule_follow_up(ids["ann"], date(2026, 12, 1), "Send the quote", due_time=time(9, 30),
                            priority="high", repeat="quarterly")
    book.schedule_follow_up(ids["acme"], date(2026, 12, 3), "Renewal call")
    done = book.schedule_follow_up(ids["acme"], date(2026, 12, 4), "Done already")
    book.complete_follow_up(done)
    export_parties(book, tmp_path / "cal.ics")
    export_parties(book, tmp_path / "again.ics")
    cal = icalendar.Calendar.from_ical((tmp_path / "cal.ics").read_bytes())
    todos = {str(t["summary"]): t for t in cal.walk("VTODO")}
    assert set(todos) == {"Ann Lee: Send the quote", "Acme Supplies: Renewal call"}
    quote = todos["Ann Lee: Send the quote"]
    assert quote.decoded("due").isoformat() == "2026-12-01T09:30:00"
    assert dict(quote["rrule"]) == {"FREQ": ["MONTHLY"], "INTERVAL": [3]}
    assert int(quote["priority"]) == 1
    assert [a["action"] for a in quote.walk("VALARM")] == ["DISPLAY"]
    assert todos["Acme Supplies: Renewal call"].decoded("due") == date(2026, 12, 3)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    ann_bday = events["Birthday: Ann Lee"]
    assert ann_bday.decoded("dtstart") == date(2000, 2, 29)
    assert dict(ann_bday["rrule"]) == {"FREQ": ["YEARLY"], "BYMONTH": [2], "BYMONTHDAY": [-1]}
    assert events["Contract renewal: Acme Supplies"].decoded("dtstart") == date(2027, 1, 31)
    assert "Birthday: Acme Supplies" in events
    again = icalendar.Calendar.from_ical((tmp_path / "again.ics").read_bytes())
    uids = lambda c: sorted(str(x["uid"]) for x in c.walk() if "uid" in x)  # noqa: E731
    assert uids(cal) == uids(again) and len(set(uids(cal))) == 5


def _dump(store) -> dict[str, list]:
    with store.read() as conn:
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'party_search_%' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: conn.exec_driver_sql(f"SELECT * FROM {name} ORDER BY 1, 2").all() for name in names}


def test_json_backup_into_an_empty_book_gives_back_every_table(tmp_path):
    source = open_store(tmp_path / "sample.db")
    generate(source, parties=150, seed=3, today=date(2026, 11, 22))
    svc = Services(source, clock=lambda: NOW)
    svc.set_setting("date_order", "dmy")
    export_parties(svc, tmp_path / "all.json")
    target = open_store(tmp_path / "restored.db")
    summary = import_file(Services(target, clock=lambda: NOW), tmp_path / "all.json")
    assert summary.restored_rows and summary.added == 150
    before, after = _dump(source), _dump(target)
    assert set(before) == set(after) and "party_search" in before
    for table in before:
        assert after[table] == before[table], table
    assert Services(target).list_parties(search=by_name(svc, svc.list_parties(limit=1)[0].name)
                                         .name.split()[0], limit=5)
    source.close()
    target.close()


def test_json_into_a_book_with_parties_merges_by_duplicates(book, other_book, tmp_path):
    ids = _fill(book)
    book.record_purchase(ids["ann"], "10", on=date(2026, 1, 5))
    export_parties(book, tmp_path / "all.json")
    other_book.add_party(PartyIn(name="Ann Lee", emails=("ANN@example.com",)))
    summary = import_file(other_book, tmp_path / "all.json", on_duplicate="merge")
    assert (summary.added, summary.merged) == (2, 1)
    ann = by_name(other_book, "Ann Lee")
    assert ann.purchases == 1 and ann.emails == ("ANN@example.com", "a.lee@example.org")
    assert by_name(other_book, "Acme Supplies").referred_by.name == "Ann Lee"


def test_json_export_of_a_selection_is_refused(book, tmp_path):
    with pytest.raises(InvalidInput, match="whole book"):
        export_parties(book, tmp_path / "x.json", party_ids=[1])


def test_export_refuses_to_overwrite(book, tmp_path):
    (tmp_path / "x.vcf").write_text("keep me")
    with pytest.raises(InvalidInput, match="--force"):
        export_parties(book, tmp_path / "x.vcf")
    assert (tmp_path / "x.vcf").read_text() == "keep me"
    export_parties(book, tmp_path / "x.vcf", force=True)
    assert stat.S_IMODE((tmp_path / "x.vcf").stat().st_mode) == 0o600


def test_selection(book, tmp_path):
    ids = _fill(book)
    summary = export_parties(book, tmp_path / "one.vcf", party_ids=[ids["acme"]])
    assert summary.parties == 1 and "Acme Supplies" in (tmp_path / "one.vcf").read_text()


def test_search_index_matches_what_the_triggers_keep(book):
    from interop_helpers import DATA

    import_file(book, DATA / "apple_v3.vcf")
    import_file(book, DATA / "google.csv")
    with book.store.write() as conn:
        if book.store.dialect_name == "postgresql":  # each entry as store.postgres computes it
            stale = conn.exec_driver_sql("SELECT count(*) FROM party p LEFT JOIN party_search s"
                                         " ON s.party_id = p.id WHERE s.doc IS DISTINCT FROM"
                                         " reltui_search_doc(p.id)").scalar_one()
            assert stale == 0
        else:
            before = conn.exec_driver_sql("SELECT rowid, * FROM party_search ORDER BY rowid").all()
            conn.exec_driver_sql("UPDATE contact_point SET position = position")  # triggers recompute
            conn.exec_driver_sql("UPDATE party_search SET tags = coalesce((SELECT group_concat(tag, ' ') "
                                 "FROM party_tag WHERE party_id = party_search.rowid), '')")
            after = conn.exec_driver_sql("SELECT rowid, * FROM party_search ORDER BY rowid").all()
            assert before == after
    assert [p.name for p in book.list_parties(search="northwind")] == ["Chidi Okafor"]
    assert [p.name for p in book.list_parties(search="coffee")] == ["Chidi Okafor"]
    assert [p.name for p in book.list_parties(search="7700")] == ["Amara Nwosu"]
