"""reltui's JSON backup: every table, every row, with a format version.

Layout (format_version 2)::

    {"format": "reltui-backup", "format_version": 2, "schema_version": 5,
     "written_at": "2026-11-22T10:30:00", "app": "reltui 0.1.0",
     "tables": {"setting": {"columns": ["key", "value"], "rows": [["date_order", "dmy"]]},
                "party": {"columns": [...], "rows": [[...], ...]}, ...}}

Tables come in dependency order (models.TABLES); dates are ISO 8601
(`2026-11-22`), moments `2026-11-22 09:30:00`, times `09:30:00`, money integer
cents, exactly as the columns hold them.  The search index and the generated
`rung_level` column are derived and not written.  A reader checks every value
against its column's type before anything touches the book.

Format version 2 (schema version 5) adds who: `party.owner` and `made_by` on the
history tables.  A version 1 backup still reads: those columns come back empty
(unassigned, made by someone unknown).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any

from sqlalchemy import Connection, Table, select

from reltui.domain.dates import Birthday
from reltui.domain.errors import InvalidInput
from reltui.domain.text import iso_value
from reltui.interop.common import Record
from reltui.store.models import TABLES

FORMAT = "reltui-backup"
FORMAT_VERSION = 2
# the columns each format version added: a backup of an older version lacks them (NULL)
ADDED_IN = {2: {"party": {"owner"}, **{name: {"made_by"} for name in (
    "rung_step", "interaction", "follow_up", "purchase", "feedback", "defection")}}}
BATCH = 5000


def tables() -> list[Table]:
    return [model.__table__ for model in TABLES]


def columns_of(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.computed is None]


plain = iso_value  # a column's value as the backup writes it (the same from every engine)


def table_rows(conn: Connection, table: Table) -> Iterator[list]:
    """Every row of a table as plain values (columns_of order), in primary-key order,
    read in batches."""
    key = table.primary_key.columns.values()
    result = conn.execution_options(yield_per=BATCH).execute(
        select(*[table.c[c] for c in columns_of(table)]).order_by(*key))
    for row in result:
        yield [plain(v) for v in row]


def write_backup(conn: Connection, fh: IO[str], *, app: str, schema_version: int,
                 written_at: datetime) -> dict[str, int]:
    """Stream the whole book to `fh` (one consistent read); returns rows per table."""
    counts: dict[str, int] = {}
    head = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": schema_version,
            "written_at": written_at.isoformat(), "app": app}
    fh.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "tables": {')
    for t_index, table in enumerate(tables()):
        cols = columns_of(table)
        fh.write(("," if t_index else "") + f'\n "{table.name}": {{"columns": {json.dumps(cols)}, "rows": [')
        n = 0
        for row in table_rows(conn, table):
            fh.write(("," if n else "") + "\n  " + json.dumps(row, ensure_ascii=False))
            n += 1
        fh.write("]}")
        counts[table.name] = n
    fh.write("\n}}\n")
    return counts


def is_backup(data: bytes) -> bool:
    head = data[:4096].lstrip()
    return head.startswith(b"{") and b'"format"' in head and FORMAT.encode() in head


def load(data: bytes) -> dict[str, list[dict]]:
    """Parse and check a backup: table name -> rows as dicts of typed values."""
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise InvalidInput("The backup is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"The backup is not valid JSON (line {exc.lineno:,}: {exc.msg}); "
                           "it may be cut short.") from None
    except RecursionError:
        raise InvalidInput("The backup is nested too deeply to be a reltui backup.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInput("This JSON file is not a reltui backup.")
    version = doc.get("format_version")
    if isinstance(version, bool) or version not in range(1, FORMAT_VERSION + 1):
        raise InvalidInput(f"This backup has format version {version!r}; this reltui reads version "
                           f"{FORMAT_VERSION}. Upgrade reltui to read it.")
    raw_tables = doc.get("tables")
    if not isinstance(raw_tables, dict):
        raise InvalidInput("The backup has no tables.")
    known = {t.name: t for t in tables()}
    unknown = set(raw_tables) - set(known)
    if unknown:
        raise InvalidInput(f"The backup has tables this reltui does not know: {', '.join(sorted(unknown))}.")
    out: dict[str, list[dict]] = {}
    for name, table in known.items():
        later = {c for v in range(version + 1, FORMAT_VERSION + 1) for c in ADDED_IN[v].get(name, ())}
        expected = [c for c in columns_of(table) if c not in later]
        section = raw_tables.get(name, {"columns": expected, "rows": []})
        if not isinstance(section, dict) or not isinstance(section.get("rows"), list):
            raise InvalidInput(f"The backup's {name} table is malformed.")
        cols = section.get("columns")
        if cols != expected:
            raise InvalidInput(f"The backup's {name} table has other columns than this reltui's.")
        types = [(c, table.c[c].type.python_type, table.c[c].nullable) for c in cols]
        rows = []
        for i, values in enumerate(section["rows"], 1):
            if not isinstance(values, list) or len(values) != len(cols):
                raise InvalidInput(f"{name} row {i:,}: expected {len(cols)} values.")
            rows.append({**dict.fromkeys(later),
                         **{c: _typed(v, kind, nullable, name, i, c)
                            for (c, kind, nullable), v in zip(types, values)}})
        out[name] = rows
    return out


def _typed(value: Any, kind: type, nullable: bool, table: str, row: int, column: str) -> Any:
    where = f"{table} row {row:,}, {column}"
    if value is None:
        return None  # NOT NULL columns are checked by the database, whose message we translate
    try:
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            if abs(value) > 2**63 - 1:
                raise ValueError
            return value
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        if kind is time:
            return time.fromisoformat(value)
        if not isinstance(value, str):
            raise ValueError
        return value
    except (ValueError, TypeError):
        raise InvalidInput(f"{where}: {str(value)[:40]!r} is not a {kind.__name__}.") from None


HISTORY = ("rung_step", "interaction", "follow_up", "purchase", "feedback", "defection")


def records(data: dict[str, list[dict]]) -> Iterator[Record]:
    """The backup's parties as records (for importing into a book that already has parties)."""
    contacts: dict[int, list[dict]] = {}
    for row in data["contact_point"]:
        contacts.setdefault(row["party_id"], []).append(row)
    tags: dict[int, list[str]] = {}
    for row in data["party_tag"]:
        tags.setdefault(row["party_id"], []).append(row["tag"])
    history: dict[int, dict[str, list[dict]]] = {}
    for name in HISTORY:
        for row in data[name]:
            history.setdefault(row["party_id"], {}).setdefault(name, []).append(row)
    for i, row in enumerate(data["party"], 1):
        record = Record(where=f"party row {i:,} (#{row['id']})")
        points = sorted(contacts.get(row["id"], []), key=lambda c: (c["position"] or 0, c["id"] or 0))
        record.name = row["name"] or ""
        record.party_type = row["party_type"]
        record.kind = row["kind"]
        record.organisation = row["organisation"]
        record.emails = [(c["value"], c["label"]) for c in points if c["kind"] == "email"]
        record.phones = [(c["value"], c["label"]) for c in points if c["kind"] == "phone"]
        record.address = row["address"]
        if row["birthday_month"] is not None:
            try:
                record.birthday = Birthday(row["birthday_month"], row["birthday_day"], row["birthday_year"])
            except InvalidInput as exc:
                record.problems.append(exc.message)
        record.tags = tags.get(row["id"], [])
        record.notes = row["notes"] or ""
        record.source = row["source"]
        record.cadence_days = row["cadence_days"]
        record.payment_terms_days = row["payment_terms_days"]
        record.renewal_on = row["renewal_on"].isoformat() if row["renewal_on"] else None
        record.rung = row["rung"]
        record.owner = row["owner"]
        record.ref = str(row["id"])
        record.referred_by_ref = None if row["referred_by_id"] is None else str(row["referred_by_id"])
        record.party_row = row
        record.history = history.get(row["id"], {})
        yield record
