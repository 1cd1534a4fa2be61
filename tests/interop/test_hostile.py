"""Bad and hostile files are refused cleanly, and a refused import leaves the book untouched."""

from __future__ import annotations

import json

import pytest
from interop_helpers import DATA, profiles

from reltui.domain.errors import InvalidInput
from reltui.domain.records import PartyIn
from reltui.services.interop import ImportRefused, export_parties, import_file

GOOD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"


@pytest.fixture
def seeded(book):
    book.add_party(PartyIn(name="Already Here", emails=("here@example.com",)))
    return book


def _unchanged(svc, before) -> None:
    assert profiles(svc) == before
    with svc.store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM rung_step").scalar() == len(before)


def test_one_bad_card_refuses_the_file_and_skip_bad_imports_the_rest(seeded, tmp_path):
    before = profiles(seeded)
    path = tmp_path / "mixed.vcf"
    path.write_text(GOOD.format(name="Ok One", email="ok1@example.com")
                    + GOOD.format(name="Bad Mail", email="not-an-email")
                    + GOOD.format(name="Ok Two", email="ok2@example.com"), newline="")
    with pytest.raises(ImportRefused) as refused:
        import_file(seeded, path)
    assert refused.value.summary.bad[0].where == "card 2 (line 6)"
    assert "doesn't look like an email" in refused.value.summary.bad[0].detail
    _unchanged(seeded, before)
    dry = import_file(seeded, path, dry_run=True)
    assert dry.refused and dry.added == 2
    _unchanged(seeded, before)
    summary = import_file(seeded, path, skip_bad=True)
    assert (summary.added, summary.skipped_bad) == (2, 1)


def test_truncated_files(seeded, tmp_path):
    before = profiles(seeded)
    data = (DATA / "apple_v3.vcf").read_bytes()
    cut = tmp_path / "cut.vcf"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportRefused, match="can't be imported"):
        import_file(seeded, cut)
    export_parties(seeded, tmp_path / "b.json")
    raw = (tmp_path / "b.json").read_bytes()
    (tmp_path / "cut.json").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InvalidInput, match="not valid JSON"):
        import_file(seeded, tmp_path / "cut.json")
    _unchanged(seeded, before)


@pytest.mark.parametrize("content,message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not a text file"),
    (b"SQLite format 3\x00" + b"\x00" * 200, "reltui restore"),
    (b"", "empty"),
    (b"\n" * 1_000_000, "empty"),
    (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "iCalendar"),
    (b'{"hello": "world"}', "not a reltui backup"),
    (b"<html><body>contacts</body></html>", "XML or HTML"),
    ("Name,Email\nJosé,jose@example.com\n".encode("utf-16-le"), "not a text file"),
    ("FN:ünïcode\n".encode("latin-1"), "Can't tell the format"),
])
def test_refused_files(seeded, tmp_path, content, message):
    before = profiles(seeded)
    path = tmp_path / "hostile.vcf"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        import_file(seeded, path)
    _unchanged(seeded, before)


def test_utf16_with_a_bom_is_read(book, tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes("Name,Email\nJosé Díaz,jose@example.com\n".encode("utf-16"))
    summary = import_file(book, path)
    assert summary.added == 1 and "UTF-16" in summary.warnings[0]


def test_fifty_megabytes_in_one_field(seeded, tmp_path):
    before = profiles(seeded)
    path = tmp_path / "huge.vcf"
    path.write_bytes(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Huge\r\nNOTE:" + b"x" * 50_000_000
                     + b"\r\nEND:VCARD\r\n")
    with pytest.raises(ImportRefused) as refused:
        import_file(seeded, path)
    assert "notes is too long" in refused.value.summary.bad[0].detail
    csv_path = tmp_path / "huge.csv"
    csv_path.write_bytes(b"Name,Notes\nHuge,\"" + b"y" * 50_000_000 + b"\"\n")
    with pytest.raises(InvalidInput, match="CSV is broken"):
        import_file(seeded, csv_path)
    _unchanged(seeded, before)


def test_a_million_empty_lines_around_one_card(book, tmp_path):
    path = tmp_path / "blank.vcf"
    path.write_bytes(b"\r\n" * 500_000 + GOOD.format(name="Lonely", email="l@example.com").encode()
                     + b"\n" * 500_000)
    assert import_file(book, path).added == 1


def test_hostile_json_rows_are_refused(book, other_book, tmp_path):
    book.add_party(PartyIn(name="Real"))
    export_parties(book, tmp_path / "b.json")
    doc = json.loads((tmp_path / "b.json").read_text())
    cols = doc["tables"]["party"]["columns"]
    doc["tables"]["party"]["rows"][0][cols.index("created_on")] = "yesterday-ish"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidInput, match="created_on"):
        import_file(other_book, tmp_path / "bad.json")
    doc = json.loads((tmp_path / "b.json").read_text())
    doc["tables"]["party"]["rows"][0][cols.index("kind")] = "enemy"
    (tmp_path / "bad2.json").write_text(json.dumps(doc))
    with pytest.raises(InvalidInput, match="breaks a rule"):
        import_file(other_book, tmp_path / "bad2.json")
    assert profiles(other_book) == []


def test_escape_sequences_stay_data(book, tmp_path):
    path = tmp_path / "esc.vcf"
    path.write_bytes(GOOD.format(name="Eve\x1b]52;c;aGk=\x07 Evil", email="eve@example.com").encode())
    import_file(book, path)
    (party,) = book.list_parties()
    assert "\x1b" not in party.name  # control characters are dropped on the way in
