"""Text coming in (cleaned and bounded) and going out (safe for a terminal).

Input: control characters other than tab and newline are dropped, lone
surrogates (from invalid UTF-8 on the command line) become U+FFFD, and every
field has a length limit stated in the README.  Output: whatever reaches the
terminal passes through `for_terminal`, which drops every control character,
escape sequence introducer and bidirectional override, so data can never
retitle the terminal, write the clipboard or reorder what is shown.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from reltui.domain.errors import InvalidInput

# Limits on field sizes, in characters (README: "Limits").
LIMITS = {
    "name": 300,
    "organisation": 300,
    "address": 2_000,
    "notes": 1_000_000,
    "source": 100,
    "owner": 100,  # a party's owner and who made a record: a person's name
    "email": 320,
    "phone": 60,
    "tag": 60,
    "subject": 300,
    "outcome": 300,
    "text": 500,
    "what": 300,
    "comment": 10_000,
    "note": 10_000,
}

_CONTROL_INPUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# C0/C1 controls, DEL, bidi embeddings/overrides/isolates, and line/paragraph separators.
_UNSAFE_OUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_OUT_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def clean(value: str | None, field: str, *, required: bool = False, multiline: bool = False) -> str:
    """Normalise one text field as typed, or refuse it with a message naming the field."""
    text = "" if value is None else str(value)
    if text.isprintable():  # the usual case: no controls, no surrogates, no line breaks
        text = text.strip() if multiline else " ".join(text.split())
    else:
        text = _SURROGATE.sub("\ufffd", text)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if multiline:
            text = _CONTROL_INPUT.sub("", text).strip()
        else:
            text = " ".join(_CONTROL_LINE.sub(" ", text).split())
    if not text:
        if required:
            raise InvalidInput(f"The {field.replace('_', ' ')} can't be empty.")
        return text
    limit = LIMITS.get(field)
    if limit is not None and len(text) > limit:
        raise InvalidInput(f"The {field.replace('_', ' ')} is too long ({len(text):,} characters; "
                           f"at most {limit:,}).")
    return text


def optional(value: str | None, field: str, *, multiline: bool = False) -> str | None:
    """Like clean(), but an empty field becomes None."""
    return clean(value, field, multiline=multiline) or None


def for_terminal(value: object, *, multiline: bool = False) -> str:
    """Text from the database made safe to print: no control or bidi characters."""
    text = "" if value is None else str(value)
    if text.isprintable():  # no control, format (bidi) or separator character, no surrogate
        return text
    text = _SURROGATE.sub("\ufffd", text)
    if multiline:
        return _UNSAFE_OUT.sub("", text.replace("\r", ""))
    return _UNSAFE_OUT_LINE.sub(" ", text)


def normalise_email(value: str) -> str:
    return value.strip().lower()


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")
_PHONE_CHARS = re.compile(r"[^0-9+\-(). /x]")


def normalise_phone(value: str) -> str:
    """Digits only (a leading + dropped): how duplicates and searches compare phones."""
    if value.isascii():
        return _NOT_ASCII_DIGIT.sub("", value)
    return "".join(ch for ch in value if ch.isdigit())


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_email(value: str) -> str:
    text = clean(value, "email", required=True)
    if not _EMAIL.match(text):
        raise InvalidInput(f"{text!r} doesn't look like an email address.")
    return text


def check_phone(value: str) -> str:
    text = clean(value, "phone", required=True)
    digits = normalise_phone(text)
    if not 3 <= len(digits) <= 20 or _PHONE_CHARS.search(text.lower().replace("ext", "x")):
        raise InvalidInput(f"{text!r} doesn't look like a phone number.")
    return text


def contact_points(emails, phones) -> list[dict]:  # noqa: ANN001 - iterables of str or (str, label)
    """Emails and phones checked and normalised, first occurrence kept, in order: one dict
    (kind, value, label, norm) each. An item is a value or a (value, label) pair."""
    points: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for kind, items, check, norm in (("email", emails, check_email, normalise_email),
                                     ("phone", phones, check_phone, normalise_phone)):
        for item in items:
            value, label = item if isinstance(item, tuple) else (item, None)
            if not str(value).strip():
                continue
            value = check(value)
            key = (kind, norm(value))
            if key in seen:
                continue
            seen.add(key)
            label = clean(label, "label")[:60] or None if label else None
            points.append({"kind": kind, "value": value, "label": label, "norm": key[1]})
    return points


def clean_tags(tags) -> list[str]:  # noqa: ANN001
    """Tags as stored: cleaned, lower case, spaces as hyphens, sorted, no duplicates."""
    return sorted({clean(t, "tag").lower().replace(" ", "-") for t in tags} - {""})


def iso_value(value: object) -> object:
    """Dates, times and moments as ISO 8601 text ('2026-11-22', '09:30:00',
    '2026-11-22 09:30:00'), the way SQLite keeps them; any other value as it is."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value
