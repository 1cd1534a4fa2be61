"""What every reader hands to the import use case: one `Record` per party found.

Readers know a file format and nothing about the book.  They turn bytes into
records (raw text fields, as the file says them) and note per-record problems
(`Record.problems`) instead of raising, so that one bad card costs one card;
a file that can't be read at all raises InvalidInput.  The import use case
(`reltui.services.interop`) validates each record with the same rules as the
forms, finds duplicates and writes everything in one transaction.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path

from reltui.domain.dates import Birthday
from reltui.domain.errors import InvalidInput

MAX_FILE_BYTES = 1 << 30  # 1 GiB: far past any address book; refuses a runaway file early
MAX_PROBLEMS_KEPT = 1000  # detailed bad-record reports kept; the rest are counted


@dataclass
class Record:
    """One party as read from a file, before it meets the book's rules."""

    where: str  # "card 3 (line 17)", "row 5 (line 6)": how the user finds it in the file
    name: str = ""
    party_type: str | None = None
    kind: str | None = None
    organisation: str | None = None
    emails: list[tuple[str, str | None]] = field(default_factory=list)  # (value, label)
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    address: str | None = None
    birthday: Birthday | None = None
    tags: list[str] = field(default_factory=list)
    notes: str = ""
    source: str | None = None
    cadence_days: str | int | None = None
    payment_terms_days: str | int | None = None
    renewal_on: str | None = None  # ISO date text
    rung: str | None = None
    owner: str | None = None  # the party's point of contact (reltui's own CSV and backups)
    ref: str | None = None  # the file's own id for this party (vCard UID, CSV id)
    referred_by_ref: str | None = None  # another record's ref
    referred_by_name: str | None = None  # or a name (Outlook "Referred By")
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # fields the book has no place for
    # JSON backups only: the party's stored row and its history, table by table.
    party_row: dict | None = None
    history: dict[str, list[dict]] = field(default_factory=dict)


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, refusing folders, devices and absurd sizes with a clear message."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InvalidInput(f"{p} is a folder, not a file.")
        if not p.exists():
            raise InvalidInput(f"{p} does not exist.")
        if not p.is_file():
            raise InvalidInput(f"{p} is not a regular file.")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"{p} is too large to import ({size:,} bytes; at most {MAX_FILE_BYTES:,}).")
        with p.open("rb") as fh:
            return fh.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise InvalidInput(f"Can't read {p}: permission denied.") from None
    except OSError as exc:
        raise InvalidInput(f"Can't read {p}: {exc.strerror or exc}.") from None


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control bytes in the first 64 KiB: not a text file we read."""
    head = data[:65536]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(8, len(head) // 100)


def to_utf8(data: bytes, encoding: str | None) -> tuple[bytes, str]:
    """Bytes as UTF-8 (BOMs removed), and the name of the encoding they came in.

    UTF-16 and UTF-32 are recognised by their byte-order mark; without one a
    file must be UTF-8, or the caller names its encoding (--encoding cp1252).
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(f"Unknown encoding {encoding!r} (try utf-8, cp1252 or latin-1).") from None
        try:
            return data.decode(encoding).lstrip("\ufeff").encode("utf-8", "surrogatepass"), encoding
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"The file is not valid {encoding} (byte {exc.start:,}).") from None
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name).lstrip("\ufeff").encode("utf-8", "surrogatepass"), name
            except UnicodeDecodeError:
                raise InvalidInput(f"The file starts as {name.upper()} but is not valid {name.upper()}.") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    return data, "utf-8"


def line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def not_utf8_message(data: bytes, exc: UnicodeDecodeError) -> str:
    return (f"The file is not UTF-8 (an invalid byte on line {line_of(data, exc.start):,}). "
            "If you know its encoding, give it: --encoding cp1252 (Excel or Outlook on Windows), "
            "--encoding latin-1, ...")
