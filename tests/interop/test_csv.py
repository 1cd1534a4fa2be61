"""CSV: Google (current and legacy), Outlook, and plain sheets, from files made for these tests."""

from __future__ import annotations

import pytest
from interop_helpers import DATA, by_name

from reltui.domain.dates import Birthday
from reltui.domain.errors import InvalidInput
from reltui.services.interop import import_file


def test_google_contacts(book):
    summary = import_file(book, DATA / "google.csv")
    assert summary.format == "Google Contacts CSV" and summary.added == 3
    amara = by_name(book, "Amara Nwosu")
    assert amara.emails == ("amara@brightbakes.example", "a.nwosu@example.com")  # ' ::: '
    assert amara.organisation == "Bright Bakes"
    assert amara.birthday == Birthday(5, 17, 1990)
    assert amara.tags == ("clients", "vip")  # '* myContacts' is a system group
    assert amara.address == "4 Mill Lane\nLeeds LS1 5AA\nUK"
    assert amara.notes == "Wholesale buyer.\nTwo shops."
    assert amara.referred_by.name == "Kwame Mensah"  # a relation, found later in the file
    kwame = by_name(book, "Kwame Mensah")
    assert kwame.birthday == Birthday(11, 2, None)
    assert kwame.phones == ("+233 30 255 0199", "+233 24 555 0101")
    assert kwame.tags == ("starred",)
    fjord = by_name(book, "Fjord Freight")
    assert fjord.party_type.value == "organisation" and fjord.kind.value == "business"


def test_google_legacy(book):
    summary = import_file(book, DATA / "google_legacy.csv")
    assert summary.format.startswith("Google Contacts CSV (legacy)")
    sofia = by_name(book, "Sofia Rossi")
    assert sofia.phones == ("+39 06 5550 1000", "+39 312 555 0123")  # '* Work' is primary
    assert sofia.address == "Via Roma 1\n00100 Roma\nItaly"
    assert sofia.organisation == "Rossi & Figli"
    assert sofia.tags == ("expo-2024",)
    assert by_name(book, "Ivan Petrov").birthday == Birthday(2, 29, None)


def test_outlook_in_windows_1252(book):
    with pytest.raises(InvalidInput, match="--encoding cp1252"):
        import_file(book, DATA / "outlook.csv")
    summary = import_file(book, DATA / "outlook.csv", encoding="cp1252")
    assert summary.format == "Outlook CSV" and summary.added == 3
    greta = by_name(book, "Greta Lindqvist")
    assert greta.birthday == Birthday(8, 23, 1982)  # 23/8: the file is day first
    assert greta.phones == ("+46 18 555 01 20", "+46 70 555 01 21")
    assert greta.tags == ("clients", "design")
    assert greta.address == "Storgatan 3\nUppsala 753 20\nSweden"
    assert greta.referred_by.name == "Olaf Berg"
    assert by_name(book, "Olaf Berg").birthday is None  # 0/0/00
    ines = by_name(book, "Ines Dahl")
    assert ines.birthday == Birthday(5, 4, 1991)  # read day first, like the rest of the file
    assert "über Olaf" in ines.notes
    assert dict(summary.ignored_fields) == {"Initials": 1}  # default-valued columns are not reported


def test_outlook_month_first_by_default_with_a_warning(book, tmp_path):
    path = tmp_path / "us.csv"
    path.write_text("First Name,Last Name,E-mail Address,Birthday\nAl,Ng,al@example.com,3/7/1980\n")
    summary = import_file(book, path)
    assert by_name(book, "Al Ng").birthday == Birthday(3, 7, 1980)
    assert any("month first" in w for w in summary.warnings)


def test_generic_sheet_and_semicolons(book, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("Full Name;Email;Phone;Company;Tags\nRia Das;ria@example.com;+91 22 5550 1234;Das Co;a, b\n")
    import_file(book, path)
    ria = by_name(book, "Ria Das")
    assert (ria.emails, ria.organisation, ria.tags) == (("ria@example.com",), "Das Co", ("a", "b"))


def test_a_sheet_without_a_name_column_is_refused(book, tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InvalidInput, match="no name column"):
        import_file(book, path)
