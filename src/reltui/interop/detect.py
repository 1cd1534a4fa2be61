"""Which format a file holds, told from its content (the extension only breaks ties)."""

from __future__ import annotations

import re
from pathlib import Path

from reltui.domain.errors import InvalidInput
from reltui.interop import backup_json
from reltui.interop.common import looks_binary

SQLITE_HEADER = b"SQLite format 3\x00"
EXPORT_FORMATS = {"vcf": "vcf", "vcard": "vcf", "csv": "csv", "ics": "ics", "ical": "ics",
                  "json": "json"}


def detect(data: bytes, path: str | Path = "") -> str:
    """'vcard', 'csv' or 'json' for `data` (already UTF-8, BOM removed); refuses the rest."""
    name = str(path)
    if data.startswith(SQLITE_HEADER):
        raise InvalidInput(f"{name or 'This file'} is a database file, not an export; "
                           "to bring a backup back, use: reltui restore FILE")
    if looks_binary(data):
        raise InvalidInput(f"{name or 'This file'} is not a text file (binary data); "
                           "import reads vCard (.vcf), CSV and reltui JSON backups.")
    first = re.search(rb"\S", data)
    if first is None:
        raise InvalidInput(f"{name or 'The file'} is empty.")
    head = data[first.start():first.start() + 65536]
    if re.search(rb"(?im)^\s*begin:vcard\s*$", head):
        return "vcard"
    if re.match(rb"(?i)begin:vcalendar", head):
        raise InvalidInput("This is an iCalendar file: reltui exports calendars but imports "
                           "contacts only (vCard, CSV, JSON backup).")
    if head.startswith((b"{", b"[")):
        if backup_json.is_backup(data):
            return "json"
        raise InvalidInput("This JSON file is not a reltui backup (no \"format\": "
                           f"\"{backup_json.FORMAT}\" at its start).")
    if head.startswith(b"<"):
        raise InvalidInput("This looks like XML or HTML; import reads vCard (.vcf), CSV and "
                           "reltui JSON backups.")
    first_line = head.split(b"\n", 1)[0]
    if any(sep in first_line for sep in (b",", b";", b"\t")) or Path(name).suffix.lower() in (".csv", ".tsv"):
        return "csv"
    raise InvalidInput(f"Can't tell the format of {name or 'this file'}: it is not a vCard, a CSV "
                       "with a header row, or a reltui JSON backup.")


def export_format(path: str | Path, given: str | None) -> str:
    """'vcf', 'csv', 'ics' or 'json': --format if given, else from the file's extension."""
    if given:
        fmt = EXPORT_FORMATS.get(given.strip().lower().lstrip("."))
        if fmt is None:
            raise InvalidInput(f"--format must be one of: vcf, csv, ics, json (got {given!r}).")
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    fmt = EXPORT_FORMATS.get(suffix)
    if fmt is None:
        raise InvalidInput(f"Can't tell the format from {Path(path).name!r}; name the file .vcf, .csv, "
                           ".ics or .json, or give --format.")
    return fmt
