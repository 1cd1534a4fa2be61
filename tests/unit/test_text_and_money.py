"""Text in (cleaned, bounded) and out (safe for a terminal); money as typed and stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reltui.domain.enums import Direction, Kind, Reason, Rung
from reltui.domain.errors import InvalidInput
from reltui.domain.money import format_money, from_cents, parse_money, to_cents
from reltui.domain.text import clean, for_terminal, normalise_phone

UNSAFE = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)} | set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Ann   Lee ", "Ann Lee"),
        ("Eve\x1b]0;title\x07", "Eve ]0;title"),
        ("a\x00b", "a b"),
        ("line\nbreak", "line break"),
        ("bad \udcff utf8", "bad \ufffd utf8"),
        ("[bold]kept[/]", "[bold]kept[/]"),
    ],
)
def test_clean_single_line(raw, expected):
    assert clean(raw, "name") == expected


def test_clean_multiline_keeps_newlines_and_tabs():
    assert clean("# Notes\r\n- one\t1\x1b[31m\n", "notes", multiline=True) == "# Notes\n- one\t1[31m"


def test_limits_are_enforced_with_the_field_named():
    with pytest.raises(InvalidInput, match="name is too long"):
        clean("x" * 301, "name")
    assert len(clean("x" * 1_000_000, "notes", multiline=True)) == 1_000_000
    with pytest.raises(InvalidInput, match="notes is too long"):
        clean("x" * 1_000_001, "notes", multiline=True)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_for_terminal_never_emits_a_control_or_bidi_character(value):
    out = for_terminal(value)
    assert not (set(out) & UNSAFE)
    assert not (set(for_terminal(value, multiline=True)) & (UNSAFE - {"\n", "\t"}))


def test_for_terminal_keeps_visible_text():
    assert for_terminal("Zoë [b]x[/b] 李") == "Zoë [b]x[/b] 李"


@pytest.mark.parametrize("raw, cents", [("12", 1200), ("1,250.50", 125050), ("$9.999", 1000), ("0.005", 1)])
def test_money_round_trips_through_cents(raw, cents):
    amount = parse_money(raw)
    assert to_cents(amount) == cents
    assert from_cents(cents) == amount


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-10**14, max_value=10**14))
def test_cents_round_trip(cents):
    assert to_cents(from_cents(cents)) == cents


def test_format_money():
    assert format_money(Decimal("1234.5")) == "1,234.50"
    assert format_money(None) == "n/a"


def test_phone_normalisation():
    assert normalise_phone("+44 (20) 7946-0018") == "442079460018"


def test_tokens():
    assert Kind.parse(" Vendor ") is Kind.VENDOR
    assert Kind.CUSTOMER.is_b2b is False and Kind.SUPPLIER.is_b2b
    assert [r.value for r in Rung] == ["prospect", "customer", "client", "supporter", "advocate", "partner"]
    assert Rung.PROSPECT.up() is Rung.CUSTOMER and Rung.PARTNER.up() is None and Rung.PROSPECT.down() is None
    assert Direction.parse("in") is Direction.INBOUND
    assert Reason.parse("no-need") is Reason.NO_NEED
    with pytest.raises(InvalidInput, match="reason must be one of: price, service"):
        Reason.parse("meh")


def _clean_by_the_rules(value: str, multiline: bool) -> str:
    """The cleaning rules spelled out step by step, as the module states them: surrogates
    become U+FFFD, line ends become \\n, controls go (single-line fields: every control and
    line break becomes a space, then runs of white space collapse)."""
    text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        text = "".join(ch for ch in text if ch in "\t\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F))
        return text.strip()
    text = "".join(" " if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F else ch for ch in text)
    return " ".join(text.split())


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(exclude_categories=())), st.booleans())  # surrogates too
def test_clean_follows_its_rules_whatever_the_text(value, multiline):
    # clean() takes a shortcut for printable text; both ways must give the same answer.
    assert clean(value, "comment", multiline=multiline) == _clean_by_the_rules(value, multiline)


@given(st.text())
def test_phone_normalisation_keeps_the_digits_in_order(value):
    assert normalise_phone(value) == "".join(ch for ch in value if ch.isdigit())


def _for_terminal_by_the_rules(value: str, multiline: bool) -> str:
    unsafe = {chr(c) for c in range(0x20) if chr(c) not in "\t\n"} | {chr(c) for c in range(0x7F, 0xA0)} \
        | set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
    text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    if multiline:
        return "".join(ch for ch in text.replace("\r", "") if ch not in unsafe)
    return "".join(" " if ch in unsafe or ch in "\t\n" else ch for ch in text)


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(exclude_categories=())), st.booleans())
def test_for_terminal_follows_its_rules_whatever_the_text(value, multiline):
    # for_terminal() returns printable text as it is; both ways must give the same answer.
    assert for_terminal(value, multiline=multiline) == _for_terminal_by_the_rules(value, multiline)
