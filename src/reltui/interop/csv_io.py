"""CSV in (Google Contacts, Outlook, reltui's own, and plain name/email/phone sheets) and out.

The flavour is told by the header row, not the file name:

- reltui: the columns `export` writes (`name`, `kind`, `rung`, ...); multi-value
  cells (emails, phones, tags) hold one value per line.
- Google Contacts, current (`First Name`, `E-mail 1 - Label`, `Labels`) and legacy
  (`Given Name`, `E-mail 1 - Type`, `Group Membership`) headers: one cell may hold
  several values joined by ` ::: `, a label starting with `* ` marks the primary
  value, and the `myContacts` system group is not a tag.
- Outlook: `E-mail Address`, `Business Phone`, `Categories` (`;`-separated),
  `Referred By`; a birthday of `0/0/00` means none, and a slashed date is read
  day-first or month-first as the file itself shows (a day above 12), else as the
  book's date-order setting, else month-first (Outlook's US layout) with a warning.
- Any other sheet with a name column (`Name`, `Full Name`, or first and last
  name) and optionally email, phone, company, birthday, notes and tags columns.

Export writes every party's profile plus the figures a spreadsheet user asks for
(rung, kind, tier, last contact, revenue).  Cells that a spreadsheet would run as
a formula (starting with = + - @) are written with a leading apostrophe, which
reltui's own reader removes again.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator

from reltui.domain.dates import Birthday
from reltui.domain.errors import InvalidInput
from reltui.interop.common import Record
from reltui.interop.vcard import parse_bday

MAX_FIELD = 8 * 1024 * 1024  # one cell; notes are at most a million characters
OWN_COLUMNS = (
    "id", "name", "type", "kind", "organisation", "emails", "phones", "address", "birthday",
    "tags", "notes", "source", "referred_by", "referred_by_id", "cadence_days",
    "payment_terms_days", "renewal_on", "rung", "rung_since", "status", "defected_on", "tier",
    "last_contact", "next_follow_up", "purchases", "revenue", "cost", "profit", "created_on",
    "owner",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DEFAULTS = {"", "normal", "unspecified", "false", "0/0/00", "0", "not specified"}
GOOGLE_SYSTEM_GROUPS = {"mycontacts"}


def flavour_of(header: list[str]) -> str | None:
    """'reltui', 'google', 'google-legacy', 'outlook', 'generic' or None from a header row."""
    cols = {h.strip().lower() for h in header}
    if {"name", "kind", "rung"} <= cols:
        return "reltui"
    if "given name" in cols and ("family name" in cols or "group membership" in cols):
        return "google-legacy"
    if "first name" in cols and ({"labels", "e-mail 1 - value", "phone 1 - value",
                                  "organization name", "file as"} & cols):
        return "google"
    if "first name" in cols and ({"e-mail address", "business phone", "categories",
                                  "mobile phone", "referred by"} & cols):
        return "outlook"
    if cols & {"name", "full name", "display name", "first name", "given name", "last name"}:
        return "generic"
    return None


FLAVOUR_LABELS = {"reltui": "reltui CSV", "google": "Google Contacts CSV",
                  "google-legacy": "Google Contacts CSV (legacy)", "outlook": "Outlook CSV",
                  "generic": "CSV"}


def _dialect(text: str) -> str:
    first = text[:text.find("\n")] if "\n" in text else text
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells)]) with blank rows dropped; refuses broken CSV."""
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text), strict=False)
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        line = 1
        try:
            for cells in reader:
                if not cells or not any(c.strip() for c in cells):
                    line = reader.line_num + 1
                    continue
                if header is None:
                    header = [c.strip().lstrip("\ufeff") for c in cells]
                else:
                    rows.append((line, cells))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise InvalidInput(f"line {reader.line_num:,}: the CSV is broken ({exc}).") from None
    finally:
        csv.field_size_limit(old_limit)
    if header is None:
        raise InvalidInput("The CSV file is empty.")
    return header, rows


def read_csv(text: str, *, date_order: str | None = None,
             warnings: list[str] | None = None) -> tuple[str, Iterator[Record], int]:
    """(flavour, records, number of rows) for a CSV text."""
    header, rows = read_rows(text)
    flavour = flavour_of(header)
    if flavour is None:
        shown = ", ".join(header[:6])
        raise InvalidInput(f"Can't tell what this CSV holds: no name column (its columns: {shown[:200]}).")
    warnings = warnings if warnings is not None else []
    keys = [h.strip().lower() for h in header]
    if flavour == "outlook":
        date_order = _outlook_order([_cell(keys, cells, "birthday") for _, cells in rows],
                                    date_order, warnings)
    reader = {"reltui": _own, "google": _google, "google-legacy": _google,
              "outlook": _outlook, "generic": _generic}[flavour]

    def records() -> Iterator[Record]:
        for line, cells in rows:
            record = Record(where=f"row {line - 1:,} (line {line:,})")
            if len(cells) > len(keys):
                extra = cells[len(keys):]
                if any(c.strip() for c in extra):
                    record.problems.append(f"{len(cells)} cells but the header names {len(keys)}")
            row = {k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys)}
            try:
                used = reader(record, row, date_order)
            except InvalidInput as exc:
                record.problems.append(exc.message)
                used = set(row)
            for key, value in row.items():
                if key not in used and value.strip().lower() not in _DEFAULTS:
                    record.ignored.append(header[keys.index(key)])
            yield record

    return flavour, records(), len(rows)


def _cell(keys: list[str], cells: list[str], key: str) -> str:
    try:
        i = keys.index(key)
    except ValueError:
        return ""
    return cells[i] if i < len(cells) else ""


def _parse_birthday(text: str, order: str | None, record: Record) -> Birthday | None:
    s = text.strip()
    if not s or s in ("0/0/00", "0/0/0000", "00/00/0000"):
        return None
    m = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})$", s)
    try:
        if m:
            a, b, year = int(m.group(1)), int(m.group(2)), m.group(3)
            if len(year) != 4:
                raise InvalidInput(f"the birthday {s!r} has a two-digit year")
            month, day = (b, a) if order == "dmy" else (a, b)
            return Birthday(month, day, int(year))
        return parse_bday(s, {})
    except InvalidInput as exc:
        record.problems.append(f"birthday: {exc.message}")
        return None


def _outlook_order(values: list[str], setting: str | None, warnings: list[str]) -> str:
    day_first = month_first = False
    ambiguous = 0
    for value in values:
        m = re.match(r"^\s*(\d{1,2})[/.](\d{1,2})[/.]\d{4}\s*$", value)
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        day_first |= a > 12
        month_first |= b > 12
        ambiguous += a <= 12 and b <= 12 and a != b
    if day_first and month_first:
        raise InvalidInput("The birthdays in this file mix day/month and month/day orders; "
                           "fix them in the file first.")
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    if setting in ("dmy", "mdy"):
        return setting
    if ambiguous:
        warnings.append(f"{ambiguous:,} birthdays like 3/7/1980 were read month first (Outlook's US "
                        "layout); if they are day first, run: reltui settings date-order dmy")
    return "mdy"


def _split_multi(text: str, seps: str = "\n") -> list[str]:
    parts = [text] if not text else re.split("|".join(map(re.escape, seps.split("|"))), text)
    return [p.strip() for p in parts if p.strip()]


def _unformula(text: str) -> str:
    """Undo safe_cell: drop the apostrophe it put before a formula character or an apostrophe."""
    if text.startswith("'") and text[1:2] and (text[1:2] in _FORMULA_START or text[1:2] == "'"):
        return text[1:]
    return text


def _own(record: Record, row: dict[str, str], _order: str | None) -> set[str]:
    get = {k: _unformula(v) for k, v in row.items()}
    record.ref = get.get("id", "").strip() or None
    record.name = get.get("name", "")
    record.party_type = get.get("type", "").strip() or None
    record.kind = get.get("kind", "").strip() or None
    record.organisation = get.get("organisation") or None
    record.emails = [(e, None) for e in _split_multi(get.get("emails", ""))]
    record.phones = [(p, None) for p in _split_multi(get.get("phones", ""))]
    record.address = get.get("address") or None
    record.birthday = _parse_birthday(get.get("birthday", ""), "ymd", record)
    record.tags = _split_multi(get.get("tags", ""))
    record.notes = get.get("notes", "")
    record.source = get.get("source") or None
    record.referred_by_ref = get.get("referred_by_id", "").strip() or None
    record.referred_by_name = get.get("referred_by", "").strip() or None
    record.cadence_days = get.get("cadence_days", "").strip() or None
    record.payment_terms_days = get.get("payment_terms_days", "").strip() or None
    record.renewal_on = get.get("renewal_on", "").strip() or None
    record.rung = get.get("rung", "").strip() or None
    record.owner = get.get("owner", "").strip() or None
    return set(OWN_COLUMNS)


def _google(record: Record, row: dict[str, str], _order: str | None) -> set[str]:
    used: set[str] = set()

    def take(*keys: str) -> str:
        for key in keys:
            if key in row:
                used.add(key)
                if row[key].strip():
                    return row[key].strip()
        return ""

    parts = [take("name prefix"), take("first name", "given name"),
             take("middle name", "additional name"), take("last name", "family name"),
             take("name suffix")]
    name = take("name") or " ".join(p for p in parts if p) or take("file as")
    org = take("organization name", "organization 1 - name")
    record.name = name or org
    record.organisation = org or None
    record.party_type = "organisation" if not name and org else "person"
    if record.party_type == "organisation":
        record.organisation = None
    for key, target in (("e-mail", record.emails), ("phone", record.phones)):
        for n in _numbered(row, key):
            values = _split_multi(take(f"{key} {n} - value"), " ::: ")
            labels = take(f"{key} {n} - label", f"{key} {n} - type")
            primary = labels.startswith("* ")
            label = labels.removeprefix("* ").split(" ::: ")[0].strip().lower() or None
            items = [(v, label) for v in values]
            if primary:
                target[:0] = items
            else:
                target.extend(items)
    addresses = []
    for n in _numbered(row, "address"):
        formatted = take(f"address {n} - formatted")
        pieces = [take(f"address {n} - {p}") for p in ("po box", "extended address", "street",
                                                      "city", "region", "postal code", "country")]
        text = formatted or "\n".join(p for p in pieces[:3] if p)
        town = " ".join(p for p in pieces[3:6] if p)
        if not formatted:
            text = "\n".join(p for p in (text, town, pieces[6]) if p)
        take(f"address {n} - label", f"address {n} - type")
        if text:
            addresses.extend(_split_multi(text, " ::: "))
    record.address = "\n\n".join(addresses) or None
    record.birthday = _parse_birthday(take("birthday"), None, record)
    record.notes = take("notes")
    groups = _split_multi(take("labels", "group membership"), " ::: ")
    record.tags = [g.removeprefix("* ").strip() for g in groups
                   if g.removeprefix("* ").replace(" ", "").lower() not in GOOGLE_SYSTEM_GROUPS]
    for n in _numbered(row, "relation"):
        label = take(f"relation {n} - label", f"relation {n} - type").lower()
        value = take(f"relation {n} - value")
        if label.removeprefix("* ") in ("referred by", "referred_by", "referrer") and value:
            record.referred_by_name = value
    take("photo")  # a URL to Google's copy: nothing to keep
    return used


def _numbered(row: dict[str, str], key: str) -> list[str]:
    pattern = re.compile(rf"^{re.escape(key)} (\d+) - ")
    return sorted({m.group(1) for k in row if (m := pattern.match(k))}, key=int)


_OUTLOOK_ADDRESSES = ("home", "business", "other")


def _outlook(record: Record, row: dict[str, str], order: str | None) -> set[str]:
    used: set[str] = set()

    def take(key: str) -> str:
        if key in row:
            used.add(key)
            return row[key].strip()
        return ""

    parts = [take(k) for k in ("title", "first name", "middle name", "last name", "suffix")]
    name = " ".join(p for p in parts if p)
    org = take("company")
    record.name = name or org
    record.party_type = "organisation" if not name and org else "person"
    record.organisation = org if name else None
    for key in ("e-mail address", "e-mail 2 address", "e-mail 3 address"):
        if take(key):
            record.emails.append((row[key].strip(), None))
        take(key.replace("address", "display name"))
        take(key.replace("address", "type"))
    for key, value in row.items():
        if re.search(r"(phone( \d)?|fax|pager)$", key):
            used.add(key)
            if value.strip():
                label = key.split(" ")[0].replace("business", "work").replace("'s", "")
                label = "fax" if key.endswith("fax") else label
                record.phones.append((value.strip(), label))
    addresses = []
    for kind in _OUTLOOK_ADDRESSES:
        street = "\n".join(p for p in (take(f"{kind} street"), take(f"{kind} street 2"),
                                       take(f"{kind} street 3")) if p)
        town = " ".join(p for p in (take(f"{kind} city"), take(f"{kind} state"),
                                    take(f"{kind} postal code")) if p)
        text = "\n".join(p for p in (take(f"{kind} po box"), street, town,
                                     take(f"{kind} country/region") or take(f"{kind} country")) if p)
        if text:
            addresses.append((kind, text))
    if len(addresses) == 1:
        record.address = addresses[0][1]
    elif addresses:
        record.address = "\n\n".join(f"{kind}: {text}" for kind, text in addresses)
    record.birthday = _parse_birthday(take("birthday"), order, record)
    record.notes = take("notes")
    record.tags = [t.strip() for t in take("categories").split(";") if t.strip()]
    record.referred_by_name = take("referred by") or None
    return used


_GENERIC = {
    "name": ("name", "full name", "display name", "contact name"),
    "first": ("first name", "given name", "firstname"),
    "last": ("last name", "family name", "surname", "lastname"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "emails"),
    "phone": ("phone", "telephone", "mobile", "phone number", "tel", "cell", "phones"),
    "org": ("company", "organisation", "organization", "org", "business"),
    "birthday": ("birthday", "birth date", "date of birth", "dob"),
    "notes": ("notes", "note", "comments"),
    "tags": ("tags", "labels", "categories", "groups"),
    "address": ("address", "postal address"),
    "kind": ("kind",),
    "source": ("source",),
}


def _generic(record: Record, row: dict[str, str], order: str | None) -> set[str]:
    used: set[str] = set()

    def take(what: str) -> str:
        for key in _GENERIC[what]:
            if key in row:
                used.add(key)
                if row[key].strip():
                    return row[key].strip()
        return ""

    name = take("name") or " ".join(p for p in (take("first"), take("last")) if p)
    org = take("org")
    record.name = name or org
    record.party_type = "organisation" if not name and org else "person"
    record.organisation = org if name else None
    record.emails = [(e, None) for e in _split_multi(take("email"), "\n|;|,| ::: ")]
    record.phones = [(p, None) for p in _split_multi(take("phone"), "\n|;| ::: ")]
    record.address = take("address") or None
    record.birthday = _parse_birthday(take("birthday"), order, record)
    record.notes = take("notes")
    record.tags = _split_multi(take("tags"), "\n|;|,| ::: ")
    record.kind = take("kind") or None
    record.source = take("source") or None
    return used


# -- writing ---------------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A cell as text, with a leading apostrophe where a spreadsheet would see a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith((*_FORMULA_START, "'")) else text


def writer(fh: io.TextIOBase):  # noqa: ANN201
    w = csv.writer(fh, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(OWN_COLUMNS)
    return w


def count_ignored(records: list[Record]) -> Counter:
    return Counter(name for r in records for name in set(r.ignored))
