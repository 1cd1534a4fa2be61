"""vCard reading: each quirk that phones and address books write, from files made for these tests."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from interop_helpers import DATA, by_name

from reltui.domain.dates import Birthday
from reltui.interop.vcard import CardIn, fold, read_vcards, write_card
from reltui.services.interop import import_file


def test_vcard_21_from_an_old_phone(book):
    summary = import_file(book, DATA / "phone_v21.vcf", encoding=None, skip_bad=False)
    assert (summary.added, summary.bad_total) == (3, 0)
    j = by_name(book, "Jürgen Müller")  # quoted-printable UTF-8 name
    assert j.phones == ("+49 30 5550 1234", "030 5550 9876")  # PREF first
    assert j.emails == ("juergen@example.de",)
    # a soft line break joins the note's two lines; =0D=0A is its real line break
    assert j.notes == "Met at the fair in Köln.\nLikes espresso, not filter coffee; call after 10."
    assert j.tags == ("customers", "trade-fair")  # 2.1 separates categories with ';'
    assert ("PHOTO", 1) in summary.ignored_fields  # skipped without harm
    lucia = by_name(book, "Lucia Ortega")  # no FN: the name comes from N
    assert lucia.birthday == Birthday(4, 12, 1985)
    assert lucia.address == "Calle Mayor 5\nMadrid 28013\nSpain"
    assert by_name(book, "Zoé Lefèvre").phones == ("+33 6 55 55 01 23",)  # CHARSET=ISO-8859-1, raw bytes


def test_apple_groups_labels_and_year_less_birthday(book):
    import_file(book, DATA / "apple_v3.vcf")
    chidi = by_name(book, "Chidi Okafor")
    assert chidi.organisation == "Northwind Roasters, Purchasing"
    assert chidi.birthday == Birthday(3, 7, None)  # Apple's 1604 means "no year"
    assert chidi.notes == "Prefers email.\nOrders quarterly, usually in March."
    assert chidi.tags == ("coffee", "wholesale")
    with book.store.read() as conn:
        labels = dict(conn.execute(text(
            "SELECT value, label FROM contact_point WHERE party_id = :p"), {"p": chidi.id}).all())
    assert labels == {"chidi@northwind.example": "other", "+1 (202) 555-0187": "desk",
                      "+1 202 555 0111": "mobile"}
    harbour = by_name(book, "Harbour Lights")
    assert harbour.party_type.value == "organisation" and harbour.kind.value == "business"
    assert harbour.organisation is None
    assert harbour.address == "12 Quay Street\nBristol BS1 4DJ\nUnited Kingdom"
    priya = by_name(book, "Priya Raman")  # a folded NOTE line
    assert "seventy-five octets so that it has to be folded" in priya.notes


def test_vcard_40(book):
    summary = import_file(book, DATA / "modern_v4.vcf")
    mateo = by_name(book, "Mateo Silva")
    assert mateo.phones == ("+1-312-555-0176", "+1-312-555-0100 x204")  # TEL;VALUE=uri
    assert mateo.birthday == Birthday(9, 21, None)  # --0921
    assert mateo.address == "1 Lake Shore Dr\nChicago IL 60601\nUSA"  # quoted param with a colon-free \n
    tiles = by_name(book, "Tessellate Tiles")
    assert tiles.party_type.value == "organisation" and tiles.birthday == Birthday(3, 7, None)
    assert dict(summary.ignored_fields) == {"ANNIVERSARY": 1, "PHOTO": 1}


def test_quoted_parameter_may_hold_a_colon():
    data = b'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A B\r\nADR;LABEL="Suite 5: back door":;;1 High St;;;;\r\nEND:VCARD\r\n'
    (record,) = read_vcards(data)
    assert record.address == "1 High St" and not record.problems


def test_bad_cards_are_reported_with_their_number():
    data = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good One\r\nEND:VCARD\r\n"
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:x@example.com\r\nEND:VCARD\r\n"
            b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut Short\r\n")
    records = list(read_vcards(data))
    assert [r.where for r in records] == ["card 1 (line 1)", "card 2 (line 5)", "card 3 (line 9)"]
    assert records[0].problems == []
    assert "no name" in records[1].problems[0]
    assert "cut short" in records[2].problems[0]


def test_fold_never_splits_a_character():
    line = "NOTE:" + "é" * 100
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.rstrip("\r\n").split("\r\n"))
    assert folded.replace("\r\n ", "").rstrip("\r\n") == line


def test_written_card_reads_back():
    card = CardIn(uid="urn:uuid:1", name="Ann; Lee, Jr.", party_type="person", kind="vendor",
                  organisation="A\\B", emails=("a@example.com",), phones=("+1 555 0100",),
                  address="1 Road\nTown", birthday=Birthday(2, 29, None), tags=("a,b", "c;d"),
                  notes="line\nline", source="web", cadence_days=30, payment_terms_days=45,
                  renewal_on=None, rung="client", referred_by_uid=None, referred_by_name=None)
    (record,) = read_vcards(write_card(card, "-//test//EN").encode())
    assert (record.name, record.organisation, record.address, record.notes) == (
        "Ann; Lee, Jr.", "A\\B", "1 Road\nTown", "line\nline")
    assert record.tags == ["a,b", "c;d"] and record.birthday == Birthday(2, 29, None)
    assert (record.kind, record.rung, record.cadence_days, record.payment_terms_days) == (
        "vendor", "client", "30", "45")


@pytest.mark.parametrize("bday,expected", [
    ("19800307", Birthday(3, 7, 1980)), ("1980-03-07", Birthday(3, 7, 1980)),
    ("--0307", Birthday(3, 7, None)), ("--03-07", Birthday(3, 7, None)),
    ("1980-03-07T00:00:00Z", Birthday(3, 7, 1980)),
])
def test_birthday_forms(bday, expected):
    data = f"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:X\r\nBDAY:{bday}\r\nEND:VCARD\r\n".encode()
    (record,) = read_vcards(data)
    assert record.birthday == expected
