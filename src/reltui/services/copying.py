"""Moving a whole book between databases: SQLite to PostgreSQL and back (`reltui copy`).

Every row of every table goes across with its id, read in one snapshot of the
source and written in one transaction on the destination, which is refused if
it holds data (unless `force`, which empties it in that same transaction). The
search index and the generated columns are rebuilt by the destination itself.
Then both books are read again and compared table by table: the number of rows
and a checksum of their values (each row's values as the JSON backup writes
them, hashed; the hashes added, so the order rows come in does not matter).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from reltui.domain.errors import InvalidInput, StoreRefused
from reltui.interop import backup_json
from reltui.store import Store, open_store, queries, rollups
from reltui.store.models import ContactPoint, PartyTag

Progress = Callable[[str, int, int], None]
BATCH = 5000
_MOD = 2**128

# Contact points and tags go in before their parties: each party's insert trigger then
# writes its search entry whole, once (as an import does).
_ORDER = ["setting", ContactPoint.__tablename__, PartyTag.__tablename__, "party",
          *backup_json.HISTORY]


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    copied_rows: int
    source_sum: str
    copied_sum: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sum) == (self.copied_rows, self.copied_sum)


@dataclass(frozen=True)
class CopySummary:
    source: str
    dest: str
    tables: tuple[TableCheck, ...]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.copied_rows for t in self.tables)


def copy_book(source: str | os.PathLike[str], dest: str | os.PathLike[str], *,
              force: bool = False, progress: Progress | None = None) -> CopySummary:
    """Copy the book at `source` (a path or URL) into `dest` and check the copy."""
    src = open_store(source)
    try:
        dst = open_store(dest)
        try:
            return copy_stores(src, dst, force=force, progress=progress)
        finally:
            dst.close()
    finally:
        src.close()


def copy_stores(src: Store, dst: Store, *, force: bool = False,
                progress: Progress | None = None) -> CopySummary:
    """Copy one open book into another and check the copy (see the module's docstring)."""
    report = progress or (lambda *_: None)
    if src.identity == dst.identity:
        raise InvalidInput("The source and the destination are the same book.")
    read = _copy(src, dst, force=force, report=report)
    report("checking", 0, 1)
    checks = _compare(read, dst)
    report("checking", 1, 1)
    return CopySummary(src.label, dst.label, checks)


def rows_held(store: Store, *, settings: bool = False) -> int:
    """How many rows the book holds in its tables (its settings counted only if asked)."""
    with store.read() as conn:
        return sum(conn.execute(select(func.count()).select_from(t)).scalar_one()
                   for t in backup_json.tables() if settings or t.name != "setting")


def _copy(src: Store, dst: Store, *, force: bool, report: Progress) -> dict[str, tuple[int, str]]:
    """Copy every row in one snapshot of `src`; returns the sums of what was read."""
    from reltui.services.interop import insert_rows

    known = {t.name: t for t in backup_json.tables()}
    held = rows_held(dst, settings=True)
    if held and not force:
        raise StoreRefused(f"{dst.label} already holds {held:,} rows; copying replaces them all. "
                           "Give --force to go ahead, or copy into an empty book.")
    sums: dict[str, tuple[int, str]] = {}
    with src.read() as reading:
        total = sum(reading.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in known.values())
        done = 0
        with dst.write() as writing, rollups.day_totals_at_the_end(writing):
            for table in reversed(backup_json.tables()):
                writing.execute(delete(table))
            queries.defer_foreign_keys(writing)
            for name in _ORDER:
                table = known[name]
                columns = backup_json.columns_of(table)
                checksum = _Checksum()
                result = reading.execution_options(yield_per=BATCH).execute(
                    select(*[table.c[c] for c in columns]).order_by(*table.primary_key.columns.values()))
                for batch in result.partitions():
                    insert_rows(writing, table, [dict(zip(columns, row, strict=True)) for row in batch])
                    for row in batch:
                        checksum.add([backup_json.plain(v) for v in row])
                    done += len(batch)
                    report("copying", done, total)
                sums[name] = checksum.value()
            queries.ids_written(writing)
    return sums


class _Checksum:
    """Rows and a sum of their hashes: the same for the same rows in any order."""

    def __init__(self) -> None:
        self.rows, self.total = 0, 0

    def add(self, values: list) -> None:
        digest = hashlib.blake2b(json.dumps(values, ensure_ascii=False).encode(), digest_size=16)
        self.total = (self.total + int.from_bytes(digest.digest(), "big")) % _MOD
        self.rows += 1

    def value(self) -> tuple[int, str]:
        return self.rows, f"{self.total:032x}"


def table_sums(store: Store) -> dict[str, tuple[int, str]]:
    """table -> (rows, checksum) over every row's values, whatever order they come in."""
    out = {}
    with store.read() as conn:
        for table in backup_json.tables():
            checksum = _Checksum()
            for values in backup_json.table_rows(conn, table):
                checksum.add(values)
            out[table.name] = checksum.value()
    return out


def _compare(before: dict[str, tuple[int, str]], dst: Store) -> tuple[TableCheck, ...]:
    after = table_sums(dst)
    checks = []
    for table in backup_json.tables():
        (rows, checksum), (copied_rows, copied_sum) = before[table.name], after[table.name]
        checks.append(TableCheck(table.name, rows, copied_rows, checksum, copied_sum))
    return tuple(checks)
