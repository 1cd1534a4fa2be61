"""Hostile input through every way in: the command line, the services every form uses, and
the importers (fuzzed). Refused with one clear line, or stored within the README's limits;
never a traceback, never an escape byte from data on the terminal."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rel_helpers import run

from reltui.domain.errors import InvalidInput, ReltuiError
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.services.interop import import_file
from reltui.store import open_store

CLI_REFUSALS = [
    (("follow-up", "Ann", "0000-00-00", "x"), "year must be from 1800 to 2200"),
    (("follow-up", "Ann", "9999-99-99", "x"), "year must be from 1800 to 2200"),
    (("follow-up", "Ann", "+99999999d", "x"), ""),
    (("buy", "Ann", "-5", "--cost", "-1"), "negative"),
    (("buy", "Ann", "1e13"), "too large"),
    (("buy", "Ann", "NaN"), "finite"),
    (("feedback", "Ann", "11"), "0"),
    (("add", "\x1b\x07\x7f"), "name"),  # nothing left once control characters go: no name
]


@pytest.mark.parametrize(("args", "words"), CLI_REFUSALS)
def test_the_command_line_refuses_in_one_line(tmp_path, args, words):
    book = tmp_path / "book.db"
    assert run(tmp_path, "--db", str(book), "add", "Ann").returncode == 0
    result = run(tmp_path, "--db", str(book), *args)
    assert result.returncode == 2, result
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert words.lower() in result.stderr.lower()
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_escape_sequences_in_arguments_are_stored_without_their_control_bytes(tmp_path):
    book = tmp_path / "book.db"
    result = run(tmp_path, "--db", str(book), "add", "\x1b]0;title\x07Eve")
    assert result.returncode == 0 and "\x1b" not in result.stdout and "\x07" not in result.stdout
    shown = run(tmp_path, "--db", str(book), "show", "1")
    assert "]0;title" in shown.stdout and "\x1b" not in shown.stdout


def test_invalid_utf8_and_markup_in_arguments_are_stored_safely(tmp_path):
    book = tmp_path / "book.db"
    name = b"Bad \xff\xfe bytes [bold]x[/] \xe2\x80\xae".decode("utf-8", "surrogateescape")
    result = run(tmp_path, "--db", str(book), "add", name)
    assert result.returncode in (0, 2) and "Traceback" not in result.stderr
    listed = run(tmp_path, "--db", str(book), "list")
    assert "\x1b" not in listed.stdout and "\u202e" not in listed.stdout


@pytest.mark.parametrize("size", [1_000_001, 100 * 1024 * 1024])
def test_oversized_fields_are_refused_with_the_limit(tmp_path, size):
    store = open_store(tmp_path / "book.db")
    try:
        svc = Services(store)
        with pytest.raises(InvalidInput, match="1,000,000"):
            svc.add_party(PartyIn(name="Ann", notes="n" * size))
        assert svc.count_parties(status="all") == 0
        party = svc.add_party(PartyIn(name="Ann", notes="n" * 1_000_000))  # at the limit: kept
        assert len(svc.get_party(party).notes) == 1_000_000
    finally:
        store.close()


_BOOK = Path(tempfile.mkdtemp(prefix="reltui-fuzz-")) / "book.db"
_STORE = open_store(_BOOK)
_SVC = Services(_STORE)
_SVC.add_party(PartyIn(name="Existing"))

vcard_lines = st.lists(st.one_of(
    st.sampled_from(["BEGIN:VCARD", "END:VCARD", "VERSION:2.1", "VERSION:3.0", "VERSION:4.0",
                     "FN:Ann", "N:Lee;Ann;;;", "BDAY:--0229", "BDAY:0000-00-00", "TEL;VALUE=uri:tel:+1",
                     "EMAIL;TYPE=INTERNET:a@b.c", "NOTE;ENCODING=QUOTED-PRINTABLE:=E2=80=AE=1B=",
                     "item1.X-ABLabel:_$!<Home>!$_", "PHOTO;ENCODING=b:AAAA", " folded", "ORG:;;;"]),
    st.text(max_size=40)), max_size=30)


def _only_refusals(payload: bytes, suffix: str) -> None:
    path = _BOOK.with_name(f"fuzz{suffix}")
    path.write_bytes(payload)
    before = _SVC.count_parties(status="all")
    try:
        import_file(_SVC, path, dry_run=True, skip_bad=True)
    except ReltuiError:
        pass  # a clear refusal is a right answer; anything else is a bug
    assert _SVC.count_parties(status="all") == before  # a dry run changes nothing


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vcard_lines)
def test_fuzzed_vcards_are_imported_or_refused(lines):
    _only_refusals("\r\n".join(lines).encode("utf-8", "surrogatepass"), ".vcf")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzzed_bytes_are_imported_or_refused(payload):
    _only_refusals(payload, ".csv")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=20), max_size=6), max_size=10))
def test_fuzzed_csv_rows_are_imported_or_refused(rows):
    header = "First Name,Last Name,E-mail Address,Birthday,Notes,Categories\n"
    body = "\n".join(",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows)
    _only_refusals((header + body).encode("utf-8", "surrogatepass"), ".csv")
