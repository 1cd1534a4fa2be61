"""Data in and out: import, export, backup and restore (the use cases both faces call).

- `import_file(svc, path, dry_run=, skip_bad=, on_duplicate=, progress=)` reads a vCard,
  CSV or JSON-backup file (format from the content), checks every record with the
  same rules as the forms, finds duplicates (a shared email or phone, normalised, else
  the same name), and writes the lot in ONE transaction: the file imports whole or not
  at all.  It returns a frozen `ImportSummary`; bad records without `skip_bad` raise
  `ImportRefused`, which carries the summary.  `progress(phase, done, total)` is called
  now and then with phase "reading", "checking", "writing" or (a large vCard file, read
  and written at once) "importing".
- `export_parties(svc, path, fmt=None, party_ids=None)` writes vcf, csv, ics or json.
- `backup_book` / `restore_book`: SQLite's online backup API, and its checked inverse.

Every file this module creates is made 0600 and appears whole (written beside its
destination, then renamed), so an interrupted export leaves no half file.
"""

from __future__ import annotations

import gc
import io
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from operator import itemgetter
from pathlib import Path
from time import monotonic

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from reltui import __version__
from reltui.domain import text as txt
from reltui.domain.enums import Kind, PartyType, Rung
from reltui.domain.errors import InvalidInput, ReltuiError, StoreRefused, StoreUnavailable
from reltui.domain.money import from_cents
from reltui.domain.records import PartyIn
from reltui.interop import backup_json, csv_io, ical, vcard
from reltui.interop.common import (
    MAX_PROBLEMS_KEPT, Record, not_utf8_message, read_bytes, to_utf8,
)
from reltui.interop.detect import SQLITE_HEADER, detect, export_format
from reltui.services.reads import clean_name
from reltui.services.copying import copy_stores, rows_held
from reltui.store import APPLICATION_ID, Store, open_store, queries, rollups
from reltui.store import migrations
from reltui.store.engine import copy_private
from reltui.store.models import (
    ContactPoint, Defection, Feedback, FollowUp, Interaction, Party, PartyTag, Purchase,
    RungStep, Setting,
)

Progress = Callable[[str, int, int], None]
DUPLICATE_ACTIONS = ("skip", "merge", "add")
PRODID = f"-//reltui//reltui {__version__}//EN"
BOOK_UID_KEY = "book_uid"
_UID_NAMESPACE = uuid.UUID("5d0c6f0e-8f3b-4a43-9a55-72656c747569")
BATCH = 2000
PARALLEL_CARDS = 2000  # a vCard file with this many cards is read by worker processes
PIECE_CARDS = 2000  # about this many cards in each piece a worker reads
WORKERS = 2
CACHE_KIB = -200_000  # page cache while an import writes (a ceiling), as sample.CACHE_KIB
MIN_PHONE_DIGITS_TO_MATCH = 7

P = Party.__table__
CP = ContactPoint.__table__
TAG = PartyTag.__table__
STEP = RungStep.__table__
SET = Setting.__table__
HISTORY_TABLES = {"rung_step": STEP, "interaction": Interaction.__table__,
                  "follow_up": FollowUp.__table__, "purchase": Purchase.__table__,
                  "feedback": Feedback.__table__, "defection": Defection.__table__}
MERGED_HISTORY = ("interaction", "follow_up", "purchase", "feedback")


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportNote:
    """One record that was refused, skipped or merged, and why."""

    where: str
    name: str
    detail: str


@dataclass(frozen=True)
class ImportSummary:
    path: str
    format: str
    dry_run: bool
    committed: bool
    records: int
    added: int
    merged: int
    skipped_duplicates: int
    skipped_bad: int
    bad_total: int
    bad: tuple[ImportNote, ...]  # the first MAX_PROBLEMS_KEPT bad records
    duplicates_total: int
    duplicates: tuple[ImportNote, ...]  # each duplicate found and what was done with it
    warnings: tuple[str, ...]
    ignored_fields: tuple[tuple[str, int], ...]  # (field, records that had it), most first
    restored_rows: tuple[tuple[str, int], ...] = ()  # a JSON backup into an empty book
    seconds: float = 0.0

    @property
    def refused(self) -> bool:
        """True when bad records stop the import (without --skip-bad)."""
        return self.bad_total > 0 and self.skipped_bad == 0


class ImportRefused(InvalidInput):
    """Bad records and no --skip-bad: nothing was imported; the summary lists them."""

    def __init__(self, message: str, summary: ImportSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class ExportSummary:
    path: str
    format: str
    parties: int
    items: int  # cards, rows, calendar entries or table rows
    bytes: int


@dataclass(frozen=True)
class BackupSummary:
    path: str
    bytes: int
    parties: int


@dataclass(frozen=True)
class RestoreSummary:
    path: str
    source: str
    kind: str  # "SQLite backup" or "JSON backup"
    parties: int
    safety_copy: str | None


# -- import ----------------------------------------------------------------------------------


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """No automatic cycle collection while an import builds a record per card: the records
    live until the end, so each full collection walks them all again for nothing (about 7%
    of a 100,000-card import). Collection resumes, as it was, however the import ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def import_file(svc, path: str | os.PathLike[str], *, dry_run: bool = False,  # noqa: ANN001
                skip_bad: bool = False, on_duplicate: str = "skip",
                progress: Progress | None = None, encoding: str | None = None) -> ImportSummary:
    """Import a vCard, CSV or reltui JSON file into the book in one transaction."""
    with _bulk_allocation():
        return _import_file(svc, path, dry_run=dry_run, skip_bad=skip_bad,
                            on_duplicate=on_duplicate, progress=progress, encoding=encoding)


def _import_file(svc, path: str | os.PathLike[str], *, dry_run: bool, skip_bad: bool,  # noqa: ANN001
                 on_duplicate: str, progress: Progress | None,
                 encoding: str | None) -> ImportSummary:
    started = monotonic()
    if on_duplicate not in DUPLICATE_ACTIONS:
        raise InvalidInput(f"--on-duplicate must be one of: {', '.join(DUPLICATE_ACTIONS)} "
                           f"(got {on_duplicate!r}).")
    report = progress or (lambda phase, done, total: None)
    name = Path(path).name
    raw = read_bytes(path)
    data, used_encoding = to_utf8(raw, encoding)
    del raw
    fmt = detect(data, path)
    warnings: list[str] = []
    if used_encoding != "utf-8" and not encoding:
        warnings.append(f"read as {used_encoding.upper()} (from its byte-order mark)")

    if fmt == "json":
        tables = backup_json.load(data)
        if _book_is_empty(svc.store):
            return _restore_json(svc, str(path), tables, dry_run=dry_run, report=report,
                                 started=started, warnings=warnings)
        records = list(backup_json.records(tables))
        label = "reltui JSON backup"
        if tables["setting"]:
            warnings.append("the backup's settings were not applied (the book already has parties)")
    elif fmt == "vcard":
        total = vcard.count_cards(data)
        label = "vCard"
        if total >= PARALLEL_CARDS:
            return _import_pieces(svc, path, data, total, dry_run=dry_run, skip_bad=skip_bad,
                                  on_duplicate=on_duplicate, report=report, started=started,
                                  warnings=warnings)
        records = []
        for record in vcard.read_vcards(data):
            records.append(record)
            if len(records) % BATCH == 0:
                report("reading", len(records), max(total, len(records)))
    else:
        try:
            text_ = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(not_utf8_message(data, exc)) from None
        order = os.environ.get("RELTUI_DATE_ORDER") or svc.get_setting("date_order")
        flavour, reader, total = csv_io.read_csv(text_, date_order=order, warnings=warnings)
        records = []
        for record in reader:
            records.append(record)
            if len(records) % BATCH == 0:
                report("reading", len(records), total)
        label = csv_io.FLAVOUR_LABELS[flavour]
    del data
    report("reading", len(records), len(records))
    if not records:
        raise InvalidInput(f"{name} holds no contacts.")

    ignored: dict[str, int] = {}
    for record in records:
        for field_name in set(record.ignored):
            ignored[field_name] = ignored.get(field_name, 0) + 1

    with _import_transaction(svc, dry_run) as conn:
        plan = _Plan(svc, conn, on_duplicate, report)
        for i, record in enumerate(records, 1):
            plan.take(record)
            if i % BATCH == 0:
                report("checking", i, len(records))
        summary = _finish(plan, path, label, len(records), ignored, warnings, dry_run=dry_run,
                          skip_bad=skip_bad, started=started)
    return summary(not dry_run)


_TOKENS: dict[tuple[type, str], object] = {}


SHOWN = 20  # duplicates and bad records listed unless verbose


def summary_lines(s, *, verbose: bool = False, on_duplicate: str = "skip") -> list[str]:  # noqa: ANN001
    """The import summary as plain lines, every piece of file text made safe."""
    from reltui.domain.text import for_terminal as safe

    would = "would be " if s.dry_run else ""
    lines = [f"{safe(s.path)} ({s.format}): {s.records:,} record{'s' if s.records != 1 else ''}"]
    if s.restored_rows:
        rows = ", ".join(f"{n:,} {name.replace('_', ' ')}" for name, n in s.restored_rows if n)
        lines.append(f"  restored into an empty book: {rows or 'nothing'}" if not s.dry_run
                     else f"  would restore into an empty book: {rows or 'nothing'}")
    else:
        parts = [f"{would}added {s.added:,}", f"{would}merged {s.merged:,}",
                 f"{would}skipped {s.skipped_duplicates:,} duplicate"
                 f"{'s' if s.skipped_duplicates != 1 else ''}"]
        if s.bad_total:
            parts.append(f"{s.bad_total:,} bad" + (" (skipped)" if s.skipped_bad else ""))
        lines.append("  " + ", ".join(parts))
    limit = None if verbose else SHOWN

    def listing(title: str, notes, total: int, *, unnamed: str = "", width: int | None = None) -> None:  # noqa: ANN001
        shown = notes[:limit]
        lines.append(f"{title}:")
        lines.extend(f"  {safe(n.where)}: {safe(n.name)[:60] or unnamed}: {safe(n.detail)[:width]}"
                     for n in shown)
        if total > len(shown):
            lines.append(f"  ... and {total - len(shown):,} more"
                         + ("" if verbose else " (--verbose lists them)"))

    if s.duplicates_total:
        listing(f"Duplicates ({s.duplicates_total:,}; --on-duplicate {on_duplicate})",
                s.duplicates, s.duplicates_total)
    if s.bad_total:
        listing(f"Bad records ({s.bad_total:,})", s.bad, s.bad_total, unnamed="(no name)", width=300)
    if s.ignored_fields:
        fields = ", ".join(f"{safe(name)[:40]} ({n:,})" for name, n in s.ignored_fields[:15])
        more = f" and {len(s.ignored_fields) - 15} more" if len(s.ignored_fields) > 15 else ""
        lines.append(f"Not imported (reltui has no place for them): {fields}{more}")
    for warning in s.warnings:
        lines.append(f"Note: {safe(warning)}")
    if s.dry_run:
        verdict = ("the import would be refused: fix the bad records or add --skip-bad"
                   if s.refused else "run it again without --dry-run to import")
        lines.append(f"Dry run: nothing was changed; {verdict}.")
    elif s.committed:
        lines.append(f"Done in {s.seconds:.1f} s.")
    else:
        lines.append("Nothing was imported.")
    return lines


def _token(enum, value: str):  # noqa: ANN001, ANN202
    """enum.parse(value), remembered (a 100,000-card import asks the same few thousand times)."""
    hit = _TOKENS.get((enum, value))
    if hit is None:
        hit = _TOKENS[(enum, value)] = enum.parse(value)
    return hit


def _book_is_empty(store: Store) -> bool:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(P)).scalar_one() == 0


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


@dataclass
class _Party:
    """A record that passed the book's rules: what would be written."""

    key: int  # a party id, or a negative number for a party this import adds
    record: Record
    values: dict
    contacts: list[dict]
    tags: list[str]
    rung: str
    referred_by: int | None = None
    history: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class _Merge:
    """What a merge adds to a party already in the book."""

    row: object
    contacts: list[dict]
    tags: set[str]
    changes: dict = field(default_factory=dict)
    new_contacts: list[dict] = field(default_factory=list)
    new_tags: list[str] = field(default_factory=list)
    history: dict[str, list[dict]] = field(default_factory=dict)


class _Plan:
    """Decides, record by record, what the import does; then writes it."""

    def __init__(self, svc, conn: Connection, on_duplicate: str, report: Progress) -> None:  # noqa: ANN001
        self.svc, self.conn, self.on_duplicate, self.report = svc, conn, on_duplicate, report
        self.today, self.now = svc.today(), svc.now()
        self.by_contact: dict[tuple[str, str], int] = {}
        for kind, norm, party_id in conn.execute(select(CP.c.kind, CP.c.norm, CP.c.party_id)
                                                 .order_by(CP.c.party_id)):
            self.by_contact.setdefault((kind, norm), party_id)
        self.by_name: dict[str, list[int]] = {}
        self.names: dict[int, str] = {}
        for party_id, name in conn.execute(select(P.c.id, P.c.name).order_by(P.c.id)):
            self.by_name.setdefault(_name_key(name), []).append(party_id)
            self.names[party_id] = name
        self.new: list[_Party] = []
        self.new_by_key: dict[int, _Party] = {}
        self.merges: dict[int, _Merge] = {}
        self.ref_keys: dict[str, int] = {}  # the file's own ids -> the party they became
        self.file_names: dict[str, set[int]] = {}
        self.taken: list[tuple[Record, int]] = []  # (record, key) for records added or merged
        self.bad: list[ImportNote] = []
        self.bad_total = 0
        self.duplicates: list[ImportNote] = []
        self.duplicates_total = 0
        self.merged_count = 0
        self.skipped_count = 0
        self.first: int | None = None  # the id of the first party this import adds
        self.written = 0  # parties of self.new written so far
        self.history_ids: list[int] = []  # parties whose rollups need a refresh

    # -- deciding ---------------------------------------------------------------------------

    def take(self, record: Record, checked: _Party | str | None = None) -> None:
        """Decide what to do with one record; `checked` is what `_checked` made of it
        already (in a worker process), else it is checked here."""
        if checked is None:
            checked = _checked(record, self.svc.party_values)
        if isinstance(checked, str):
            self._bad(record, checked)
            return
        party = checked
        found = self._find(party)
        if found is None:
            self._add(party)
            return
        keys, how = found
        target = ", ".join(self._label(k) for k in keys[:3]) + (" and more" if len(keys) > 3 else "")
        if self.on_duplicate == "add":
            self._add(party)
            self._duplicate(record, party, f"{how} as {target}: added anyway")
        elif self.on_duplicate == "skip" or len(keys) > 1:
            self.skipped_count += 1
            if record.ref:
                self.ref_keys.setdefault(record.ref, keys[0])
            why = "skipped" if self.on_duplicate == "skip" else "matches several parties, not merged"
            self._duplicate(record, party, f"{how} as {target}: {why}")
        else:
            changes = self._merge(keys[0], party)
            self.merged_count += 1
            self.taken.append((record, keys[0]))
            if record.ref:
                self.ref_keys.setdefault(record.ref, keys[0])
            self._duplicate(record, party, f"{how} as {target}: merged "
                                           f"({', '.join(changes) if changes else 'nothing new'})")

    def _label(self, key: int) -> str:
        if key < 0:
            return f"{self.new_by_key[key].values['name']} (earlier in the file)"
        return f"{self.names.get(key, '?')} (#{key})"

    def _bad(self, record: Record, why: str) -> None:
        self.bad_total += 1
        if len(self.bad) < MAX_PROBLEMS_KEPT:
            self.bad.append(ImportNote(record.where, record.name[:80], why))

    def _duplicate(self, record: Record, party: _Party, detail: str) -> None:
        self.duplicates_total += 1
        if len(self.duplicates) < MAX_PROBLEMS_KEPT:
            self.duplicates.append(ImportNote(record.where, party.values["name"], detail))

    @staticmethod
    def _validate(record: Record, party_values) -> _Party:  # noqa: ANN001
        party_type = _token(PartyType, record.party_type or "person")
        kind = _token(Kind, record.kind or ("customer" if party_type is PartyType.PERSON else "business"))
        renewal = None
        if record.renewal_on:
            try:
                renewal = date.fromisoformat(str(record.renewal_on).strip())
            except ValueError:
                raise InvalidInput(f"the renewal date {record.renewal_on!r} is not a date "
                                   "like 2026-12-01") from None
        data = PartyIn(name=record.name, party_type=party_type, kind=kind,
                       organisation=record.organisation, address=record.address,
                       birthday=record.birthday, notes=record.notes or "", source=record.source,
                       cadence_days=record.cadence_days,
                       payment_terms_days=record.payment_terms_days, renewal_on=renewal)
        values = party_values(data)  # the same rules as the forms and the CLI
        values.pop("referred_by_id", None)
        values["owner"] = clean_name(record.owner) if record.owner else None
        contacts = txt.contact_points(record.emails, record.phones)
        tags = txt.clean_tags(record.tags)
        rung = _token(Rung, record.rung or "prospect").value
        return _Party(0, record, values, contacts, tags, rung, history=dict(record.history))

    def _find(self, party: _Party) -> tuple[list[int], str] | None:
        keys: list[int] = []
        how = ""
        for c in party.contacts:
            if c["kind"] == "phone" and len(c["norm"]) < MIN_PHONE_DIGITS_TO_MATCH:
                continue
            key = self.by_contact.get((c["kind"], c["norm"]))
            if key is not None and key not in keys:
                keys.append(key)
                how = how or f"same {c['kind']} {c['value']}"
        if keys:
            return keys, how
        keys = list(self.by_name.get(_name_key(party.values["name"]), ()))
        if keys:
            return keys, "same name"
        return None

    def _index(self, key: int, party: _Party) -> None:
        for c in party.contacts:
            self.by_contact.setdefault((c["kind"], c["norm"]), key)

    def _add(self, party: _Party) -> None:
        key = -(len(self.new) + 1)
        party.key = key
        self.new.append(party)
        self.new_by_key[key] = party
        self._index(key, party)
        name = _name_key(party.values["name"])
        keys = self.by_name.setdefault(name, [])
        keys.append(key)
        self.file_names.setdefault(name, set()).add(key)
        if party.record.ref:
            self.ref_keys.setdefault(party.record.ref, key)
        self.taken.append((party.record, key))

    def _merge(self, key: int, party: _Party) -> list[str]:
        """Fill the target's empty fields, add new contacts, tags and notes; say what changed."""
        if key < 0:
            target = self.new_by_key[key]
            values, contacts, tags = target.values, target.contacts, set(target.tags)
            changes = _merge_values(values, party.values, values)
        else:
            merge = self.merges.get(key)
            if merge is None:
                row = self.conn.execute(select(P).where(P.c.id == key)).first()
                existing = self.conn.execute(
                    select(CP.c.kind, CP.c.norm).where(CP.c.party_id == key)).all()
                merge = self.merges[key] = _Merge(
                    row, [{"kind": k, "norm": n} for k, n in existing],
                    set(self.conn.execute(select(TAG.c.tag).where(TAG.c.party_id == key)).scalars()))
            current = {**merge.row._mapping, **merge.changes}
            changes = _merge_values(current, party.values, merge.changes)
            contacts, tags = merge.contacts, merge.tags
        have = {(c["kind"], c["norm"]) for c in contacts}
        added = [c for c in party.contacts if (c["kind"], c["norm"]) not in have]
        new_tags = [t for t in party.tags if t not in tags]
        if key < 0:
            target.contacts.extend(added)
            target.tags = sorted(tags | set(new_tags))
            for table, rows in party.history.items():
                target.history.setdefault(table, []).extend(rows)
        else:
            merge.contacts.extend(added)
            merge.new_contacts.extend(added)
            merge.tags.update(new_tags)
            merge.new_tags.extend(new_tags)
            for table in MERGED_HISTORY:
                if party.history.get(table):
                    merge.history.setdefault(table, []).extend(party.history[table])
        self._index(key, party)
        for kind_, count in (("email", sum(c["kind"] == "email" for c in added)),
                             ("phone", sum(c["kind"] == "phone" for c in added))):
            if count:
                changes.append(f"+{count} {kind_}{'s' if count > 1 else ''}")
        if new_tags:
            changes.append(f"+{len(new_tags)} tag{'s' if len(new_tags) > 1 else ''}")
        if any(party.history.get(t) for t in MERGED_HISTORY):
            changes.append("history")
        return changes

    def link_referrals(self, warnings: list[str]) -> None:
        """Point 'referred by' at the party the file means: its own id, a name in the file,
        or a unique name in the book."""
        unresolved = 0
        for record, key in self.taken:
            if not (record.referred_by_ref or record.referred_by_name):
                continue
            target = self.ref_keys.get(record.referred_by_ref) if record.referred_by_ref else None
            if target is None and record.referred_by_name:
                name = _name_key(record.referred_by_name)
                in_file = self.file_names.get(name, set())
                in_book = [k for k in self.by_name.get(name, []) if k > 0]
                if len(in_file) == 1:
                    target = next(iter(in_file))
                elif not in_file and len(in_book) == 1:
                    target = in_book[0]
            if target is None or target == key:
                unresolved += 1
                if unresolved <= 20:
                    who = record.referred_by_name or record.referred_by_ref
                    warnings.append(f"{record.where} ({record.name[:40]}): referred by {who!r}, "
                                    "who is not in the file or the book; left blank")
                continue
            if key < 0:
                self.new_by_key[key].referred_by = target
            elif key in self.merges and self.merges[key].row.referred_by_id is None:
                self.merges[key].changes.setdefault("referred_by_id", target)
        if unresolved > 20:
            warnings.append(f"... and {unresolved - 20:,} more referrals left blank")

    # -- writing ----------------------------------------------------------------------------

    def write(self, *, note: str) -> None:
        """Write what is left to write: the parties not written yet (`write_new`), the
        referrals of those written before the file was all read, and the merges."""
        conn = self.conn
        total = (len(self.new) - self.written) * 2 + sum(len(m.new_contacts) + 1
                                                         for m in self.merges.values())
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            self.report("writing", done, max(total, done))

        early = self.written
        self.write_new(note=note, advance=advance)
        real = self._real_id
        referrals = [(real(p.referred_by), real(p.key)) for p in self.new[:early]
                     if p.referred_by is not None]
        if referrals:
            conn.exec_driver_sql("UPDATE party SET referred_by_id = ? WHERE id = ?"
                                 if conn.dialect.paramstyle == "qmark" else
                                 "UPDATE party SET referred_by_id = %s WHERE id = %s", referrals)
        history_ids = self.history_ids
        for party_id, merge in self.merges.items():
            changes = {k: real(v) if k == "referred_by_id" else v for k, v in merge.changes.items()}
            if changes or merge.new_contacts or merge.new_tags or merge.history:
                conn.execute(update(P).where(P.c.id == party_id).values(**changes, updated_at=self.now))
            if merge.new_contacts:
                start = conn.execute(select(func.coalesce(func.max(CP.c.position) + 1, 0))
                                     .where(CP.c.party_id == party_id)).scalar_one()
                conn.execute(insert(CP), [{**c, "party_id": party_id, "position": start + i}
                                          for i, c in enumerate(merge.new_contacts)])
            if merge.new_tags:
                conn.execute(insert(TAG), [{"party_id": party_id, "tag": t} for t in merge.new_tags])
            if merge.history:
                self._write_history(party_id, merge.history,
                                    {k: HISTORY_TABLES[k] for k in MERGED_HISTORY}, dedupe=True)
                history_ids.append(party_id)
            advance(len(merge.new_contacts) + 1)
        if history_ids:
            rollups.refresh(conn, history_ids)

    def _real_id(self, key: int | None) -> int | None:
        """The id a key stands for: a party's own id, or the id a new one is written with."""
        if key is None or key > 0:
            return key
        return self.first - key - 1

    def write_new(self, *, note: str, advance: Callable[[int], None] | None = None,
                  upto: int | None = None) -> None:
        """Write the parties added since the last call (up to self.new[upto]), with their
        contact points, tags, first rung step and history (a large import calls this piece
        by piece, from its writer thread)."""
        conn = self.conn
        advance = advance or (lambda n: None)
        upto = len(self.new) if upto is None else upto
        batch = self.new[self.written:upto]
        if self.first is None:
            self.first = (conn.execute(select(func.max(P.c.id))).scalar() or 0) + 1
            queries.defer_foreign_keys(conn)
        if not batch:
            return
        self.written = upto
        first = self.first
        real = self._real_id
        # Contact points and tags go in before their parties, while the search index has no
        # row for their triggers to update; each party's insert trigger then writes its
        # search row whole, contacts and tags included: one index write per party.
        contacts, tags = [], []
        for p in batch:
            pid = first - p.key - 1
            contacts.extend({**c, "party_id": pid, "position": i} for i, c in enumerate(p.contacts))
            tags.extend({"party_id": pid, "tag": t} for t in p.tags)
        insert_rows(conn, CP, contacts)
        insert_rows(conn, TAG, tags)
        note = txt.clean(note, "note")[:200]
        rows, steps = [], []
        for p in batch:
            pid = first - p.key - 1
            row = {**p.values, "id": pid, "referred_by_id": real(p.referred_by), "rung": p.rung,
                   "rung_since": self.today, "created_on": self.today, "updated_at": self.now}
            kept = p.record.party_row
            if kept:  # a party from a JSON backup keeps its dates and status, and its owner
                for column in ("rung_since", "created_on", "updated_at", "defected_on"):
                    row[column] = kept[column] if kept[column] is not None or column == "defected_on" \
                        else row[column]
            elif row["owner"] is None:  # a new contact from a file is whoever imports it
                row["owner"] = self.svc.user
            if not p.history.get("rung_step"):
                steps.append({"party_id": pid, "from_rung": None, "to_rung": p.rung,
                              "on_date": row["rung_since"], "note": note, "made_by": self.svc.user})
            if p.history:
                self.history_ids.append(pid)
            rows.append(row)
            if len(rows) >= BATCH:
                insert_rows(conn, P, rows, P.c.id)
                advance(BATCH)
                rows = []
        insert_rows(conn, P, rows, P.c.id)
        advance(len(rows))
        queries.ids_written(conn)
        for start in range(0, len(steps), BATCH):
            insert_rows(conn, STEP, steps[start:start + BATCH])
            advance(min(BATCH, len(steps) - start))
        for p in batch:
            if p.history:
                self._write_history(first - p.key - 1, p.history, HISTORY_TABLES)

    def _write_history(self, party_id: int, history: dict[str, list[dict]], tables: dict,
                       *, dedupe: bool = False) -> None:
        for name, table in tables.items():
            rows = [{k: v for k, v in row.items() if k != "id"} | {"party_id": party_id}
                    for row in history.get(name, [])]
            if dedupe and rows:
                cols = [c for c in rows[0] if c != "party_id"]
                have = {tuple(r) for r in self.conn.execute(
                    select(*[table.c[c] for c in cols]).where(table.c.party_id == party_id))}
                rows = [r for r in rows if tuple(r[c] for c in cols) not in have]
            if rows:
                self.conn.execute(insert(table), rows)


def _checked(record: Record, party_values: Callable[[PartyIn], dict]) -> _Party | str:
    """A record checked by the book's rules: what would be written, or why it can't be."""
    if record.problems:
        return "; ".join(dict.fromkeys(record.problems))
    try:
        return _Plan._validate(record, party_values)
    except ReltuiError as exc:
        return exc.message


# -- a large vCard file: read in worker processes, written as it comes back ------------------


def _import_pieces(svc, path: str | os.PathLike[str], data: bytes, total: int, *,  # noqa: ANN001
                   dry_run: bool, skip_bad: bool, on_duplicate: str, report: Progress,
                   started: float, warnings: list[str]) -> ImportSummary:
    """Import a large vCard file in pieces of whole cards. Worker processes read and check
    the pieces (the parser and the field rules are Python: one core each) while this
    process finds the duplicates and writes the new parties of each piece as it comes
    back (SQLite's work), all inside the one transaction: a refusal, an error or an
    interrupt rolls all of it back. Merging waits for the whole file (a later card may
    merge into an earlier one), and so does everything once a bad card means refusal."""
    name = Path(path).name
    pieces = vcard.split_cards(data, max(1, total // PIECE_CARDS))
    stream = not dry_run and on_duplicate != "merge"
    note = f"imported from {name}"
    ignored: dict[str, int] = {}
    records = 0
    with _piece_reader(data, pieces) as results:
        del data
        with _import_transaction(svc, dry_run) as conn:
            plan = _Plan(svc, conn, on_duplicate, report)
            writer = _PieceWriter(plan, note) if stream else None
            try:
                for checked in results:
                    for card in checked:
                        start, record, party = _unpack(card)
                        records += 1
                        record.where = f"card {records:,} (line {start:,})"
                        for field_name in set(record.ignored):
                            ignored[field_name] = ignored.get(field_name, 0) + 1
                        plan.take(record, party)
                    if writer is not None and not (plan.bad_total and not skip_bad):
                        writer.write_upto(len(plan.new))
                    report("importing", records, max(total, records))
                if writer is not None:
                    writer.finish()
            except BaseException:
                if writer is not None:
                    writer.stop()
                raise
            if not records:
                raise InvalidInput(f"{name} holds no contacts.")
            summary = _finish(plan, path, "vCard", records, ignored, warnings,
                              dry_run=dry_run, skip_bad=skip_bad, started=started)
    return summary(not dry_run)


class _PieceWriter:
    """Writes each piece's new parties in a thread of its own, on the import's connection,
    so that SQLite's work (done without Python's GIL) runs beside the duplicate finding of
    the next piece. Only this thread uses the connection until `finish` or `stop` returns;
    an error here is raised again in the importing thread."""

    def __init__(self, plan: _Plan, note: str) -> None:
        import queue
        import threading

        self.plan, self.note = plan, note
        self.queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="reltui-import-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            upto = self.queue.get()
            if upto is None or self.stopping:
                return
            try:
                self.plan.write_new(note=self.note, upto=upto)
            except BaseException as exc:  # noqa: BLE001 - handed to the importing thread
                self.error = exc
                return

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def write_upto(self, upto: int) -> None:
        self._raise()
        self.queue.put(upto)

    def finish(self) -> None:
        """Wait for every piece to be written."""
        self.queue.put(None)
        self.thread.join()
        self._raise()

    def stop(self) -> None:
        """Give up (an error or an interrupt): the piece being written ends, no other begins."""
        self.stopping = True
        self.queue.put(None)
        self.thread.join()


@contextmanager
def _import_transaction(svc, dry_run: bool) -> Iterator[Connection]:  # noqa: ANN001
    """The import's one transaction: a read for a dry run, else a write with a larger page
    cache (as the sample generator has): fewer pages spilled to the WAL and written again
    before the commit."""
    with (svc.store.read() if dry_run else svc.store.write()) as conn, \
            (nullcontext() if dry_run else queries.page_cache(conn, CACHE_KIB)):
        yield conn


def _finish(plan: _Plan, path: str | os.PathLike[str], label: str, records: int,
            ignored: dict[str, int], warnings: list[str], *, dry_run: bool, skip_bad: bool,
            started: float) -> Callable[[bool], ImportSummary]:
    """Referrals and the rest of the writing, inside the import's transaction; then the
    summary, made once the transaction has ended (summary(committed))."""
    name = Path(path).name
    plan.link_referrals(warnings)
    bad_refused = bool(plan.bad_total) and not skip_bad
    if not dry_run and not bad_refused:
        plan.write(note=f"imported from {name}")

    def summary(committed: bool) -> ImportSummary:
        return ImportSummary(
            path=str(path), format=label, dry_run=dry_run, committed=committed,
            records=records, added=len(plan.new),
            merged=plan.merged_count, skipped_duplicates=plan.skipped_count,
            skipped_bad=plan.bad_total if skip_bad else 0, bad_total=plan.bad_total,
            bad=tuple(plan.bad), duplicates_total=plan.duplicates_total,
            duplicates=tuple(plan.duplicates), warnings=tuple(warnings),
            ignored_fields=tuple(sorted(ignored.items(), key=lambda kv: (-kv[1], kv[0]))),
            seconds=monotonic() - started,
        )

    if bad_refused and not dry_run:
        raise ImportRefused(
            f"{plan.bad_total:,} of {records:,} records in {name} can't be imported, so "
            "nothing was (fix them, or add --skip-bad to import the rest).", summary(False))
    return summary


_PIECE_RULES: list[Callable[[PartyIn], dict]] = []  # a worker's own Services(None).party_values


def _read_piece(data: bytes, first_line: int, last: bool) -> tuple[list[tuple], str | None]:
    """Read and check one piece of a vCard file (in a worker process, or here): a
    (first line, record, `_checked`) per card, or the message that refuses the file."""
    if not _PIECE_RULES:
        from reltui.services.core import Services

        _PIECE_RULES.append(Services(None).party_values)  # the rules need no book
    rules = _PIECE_RULES[0]
    keys: list[tuple] = [()]
    try:
        return [_pack(start, record, _checked(record, rules), keys)
                for start, record in vcard.read_numbered(data, first_line=first_line, last=last)], None
    except ReltuiError as exc:
        return [], exc.message


_CONTACT_KEYS = ("kind", "value", "label", "norm")


def _pack(start: int, record: Record, checked: _Party | str, keys: list[tuple]) -> tuple:
    """A card as a worker sends it back: (first line, record, checked), or for the usual
    card what the import needs of it as plain tuples, which pickle at about twice the
    speed of the dataclasses. `keys` holds the last column names sent, so that one tuple of
    them serves a whole piece."""
    if isinstance(checked, str) or record.party_row is not None or checked.history \
            or any(tuple(c) != _CONTACT_KEYS for c in checked.contacts):
        return start, record, checked
    names = tuple(checked.values)
    if names != keys[0]:
        keys[0] = names
    return (start, record.name, record.ref, record.referred_by_ref, record.referred_by_name,
            tuple(record.ignored), keys[0], tuple(checked.values.values()),
            [tuple(c.values()) for c in checked.contacts], checked.tags, checked.rung)


def _unpack(card: tuple) -> tuple[int, Record, _Party | str]:
    if len(card) == 3:
        return card
    start, name, ref, referred_by_ref, referred_by_name, ignored, keys, values, contacts, tags, \
        rung = card
    record = Record(where="", name=name, ref=ref, referred_by_ref=referred_by_ref,
                    referred_by_name=referred_by_name, ignored=list(ignored))
    return start, record, _Party(0, record, dict(zip(keys, values)),
                                 [dict(zip(_CONTACT_KEYS, c)) for c in contacts], tags, rung)


def _worker_start(main_pid: int) -> None:
    """In each worker process: Ctrl-C is the importing process's to handle (no traceback
    from here), and the worker ends with its parent, even one killed outright."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # as _bulk_allocation does: the records live until they are sent back
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1 and main_pid != 1:  # the parent died before the line above took effect
        os._exit(1)


def _start_pool():  # noqa: ANN202
    """A pool of worker processes, or None where one can't start (then the pieces are read
    in this process). `fork` from a process with one thread (the command line); a fork
    server where threads run (the TUI imports in a worker thread)."""
    try:
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods and threading.active_count() == 1:
            context = multiprocessing.get_context("fork")
        elif "forkserver" in methods:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["reltui.services.core", "reltui.services.interop"])
        else:
            context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_worker_start,
                                   initargs=(os.getpid(),))
    except (OSError, ImportError, NotImplementedError, ValueError, RuntimeError):
        return None


def _stop_pool(pool, futures: list) -> None:  # noqa: ANN001
    """End the workers now (after an error or an interrupt): nothing is left running."""
    for future in futures:
        future.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


@contextmanager
def _piece_reader(data: bytes, pieces: list[tuple[int, int, int]]) -> Iterator[Iterator[list]]:
    """The pieces' results in file order, read by worker processes when they can start
    (if the pool fails, the pieces it did not read are read here)."""
    from concurrent.futures.process import BrokenProcessPool

    pool = _start_pool() if len(pieces) > 1 else None
    futures: list = []
    last = len(pieces) - 1
    if pool is not None:
        try:
            futures = [pool.submit(_read_piece, data[start:end], lines, i == last)
                       for i, (start, end, lines) in enumerate(pieces)]
        except (OSError, RuntimeError, BrokenProcessPool):
            _stop_pool(pool, futures)
            pool, futures = None, []

    def results() -> Iterator[list]:
        broken = not futures
        for i, (start, end, lines) in enumerate(pieces):
            outcome = None
            if not broken:
                try:
                    outcome = futures[i].result()
                except (BrokenProcessPool, OSError):
                    broken = True
            if outcome is None:
                outcome = _read_piece(data[start:end], lines, i == last)
            checked, refusal = outcome
            if refusal is not None:
                raise InvalidInput(refusal)
            yield checked

    try:
        yield results()
    except BaseException:
        if pool is not None:
            _stop_pool(pool, futures)
        raise
    if pool is not None:
        pool.shutdown(wait=True)


def _merge_values(current: dict, incoming: dict, changes: dict) -> list[str]:
    said = []
    for column, label in (("organisation", "organisation"), ("address", "address"),
                          ("birthday_month", "birthday"), ("source", "source"),
                          ("cadence_days", "cadence"), ("payment_terms_days", "payment terms"),
                          ("renewal_on", "renewal"), ("owner", "owner")):
        if current.get(column) in (None, "") and incoming.get(column) not in (None, ""):
            if column == "birthday_month":
                for c in ("birthday_month", "birthday_day", "birthday_year"):
                    changes[c] = incoming[c]
            else:
                changes[column] = incoming[column]
            said.append(label)
    notes_now, notes_new = current.get("notes") or "", incoming.get("notes") or ""
    if notes_new and notes_new not in notes_now:
        merged = f"{notes_now}\n\n{notes_new}" if notes_now else notes_new
        if len(merged) <= txt.LIMITS["notes"]:
            changes["notes"] = merged
            said.append("notes")
    return said


def insert_rows(conn: Connection, table, rows: list[dict], key=None) -> None:  # noqa: ANN001
    """Insert dict rows with multi-row INSERT ... VALUES statements at the driver level.

    The values go through the same bind processors SQLAlchemy would apply (dates and
    moments become the same text), looked up once per column and run once per distinct
    value (an import's rows share a few dates).  Multi-row statements also
    matter for the search-index triggers: one row per statement makes FTS5 flush its
    pending index at every statement (see sample._Writer.flush).  About three times
    faster than Core's executemany with dict rows at 100,000 parties.
    """
    if not rows:
        return
    columns = list(rows[0])
    dialect = conn.dialect
    processors = []
    for name in columns:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        processors.append(process)
    per_statement = max(1, 30_000 // len(columns))
    quoted = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"  # psycopg: format/pyformat
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    head = f"INSERT INTO {dialect.identifier_preparer.quote(table.name)} ({quoted}) VALUES "
    statements: dict[int, str] = {}
    get = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    processed = [(i, _remembered(process)) for i, process in enumerate(processors)
                 if process is not None]
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        params: list = []
        for row in chunk:
            if len(row) != len(columns):
                raise ValueError(f"rows for {table.name} differ in their columns")
            values = get(row)
            if processed:
                values = list(values)
                for i, process in processed:
                    if values[i] is not None:
                        values[i] = process(values[i])
            params.extend(values)
        sql = statements.get(len(chunk))
        if sql is None:
            sql = statements[len(chunk)] = head + ", ".join([one] * len(chunk))
        conn.exec_driver_sql(sql, tuple(params))


def _remembered(process: Callable[[object], object]) -> Callable[[object], object]:
    """A bind processor that runs once per distinct date, time or moment (other values,
    which equal each other across types, go through it each time)."""
    seen: dict = {}
    kinds = (date, datetime, dt_time)

    def remembered(value: object) -> object:
        if type(value) not in kinds:
            return process(value)
        key = (type(value), value)
        result = seen.get(key)
        if result is None:
            result = seen[key] = process(value)
        return result

    return remembered


def _restore_json(svc, path: str, tables: dict[str, list[dict]], *, dry_run: bool,  # noqa: ANN001
                  report: Progress, started: float, warnings: list[str]) -> ImportSummary:
    """A JSON backup into a book without parties: every row back, ids and all."""
    counts = tuple((name, len(rows)) for name, rows in tables.items())
    if not dry_run:
        try:
            with svc.store.write() as conn:
                _write_tables(conn, tables, report)
        except IntegrityError as exc:
            raise InvalidInput(f"The backup breaks a rule of the book ({exc.orig}); "
                               "nothing was imported.") from None
    parties = len(tables["party"])
    return ImportSummary(
        path=path, format="reltui JSON backup", dry_run=dry_run, committed=not dry_run,
        records=parties, added=parties, merged=0, skipped_duplicates=0, skipped_bad=0,
        bad_total=0, bad=(), duplicates_total=0, duplicates=(), warnings=tuple(warnings),
        ignored_fields=(), restored_rows=counts, seconds=monotonic() - started)


def _write_tables(conn: Connection, tables: dict[str, list[dict]], report: Progress) -> None:
    total = sum(len(rows) for rows in tables.values())
    done = 0
    queries.defer_foreign_keys(conn)
    known = {t.name: t for t in backup_json.tables()}

    def put(name: str, rows: list[dict]) -> None:
        nonlocal done
        table = known[name]
        key = table.primary_key.columns.values()[0]
        insert_rows(conn, table, rows, key)
        done += len(rows)
        report("writing", done, total)

    settings = tables["setting"]
    if settings:
        conn.execute(delete(SET).where(SET.c.key.in_([s["key"] for s in settings])))
    put("setting", settings)
    last_tag: dict[int, dict] = {}
    for row in tables["party_tag"]:
        last_tag[row["party_id"]] = row
    held = {id(r) for r in last_tag.values()}
    put("contact_point", tables["contact_point"])
    put("party_tag", [r for r in tables["party_tag"] if id(r) not in held])
    put("party", tables["party"])
    conn.execute(text("UPDATE contact_point SET position = position WHERE id IN "
                      "(SELECT min(id) FROM contact_point GROUP BY party_id)"))
    put("party_tag", list(last_tag.values()))
    with rollups.day_totals_at_the_end(conn):
        for name in backup_json.HISTORY:
            put(name, tables[name])
    queries.ids_written(conn)
    rollups.refresh(conn)


# -- export ----------------------------------------------------------------------------------


@contextmanager
def private_file(path: str | os.PathLike[str], *, force: bool = False,
                 binary: bool = False) -> Iterator[io.IOBase]:
    """Write a new file readable by its owner alone (0600), whole or not at all."""
    dest = Path(path).expanduser()
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder; give a file name.")
    if dest.exists() and not force:
        raise InvalidInput(f"{dest} already exists; give --force to replace it.")
    if not dest.parent.is_dir():
        raise InvalidInput(f"The folder {dest.parent} does not exist.")
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise InvalidInput(f"Can't write in {dest.parent}: {exc.strerror}.") from None
    try:
        if binary:
            fh = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding="utf-8", newline="")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def book_uid(svc) -> str:  # noqa: ANN001
    """The book's own id (made once, kept in settings): the root of every exported UID."""
    value = svc.get_setting(BOOK_UID_KEY)
    if value:
        return value
    with svc.store.write() as conn:
        value = conn.execute(select(SET.c.value).where(SET.c.key == BOOK_UID_KEY)).scalar()
        if not value:
            value = str(uuid.uuid4())
            conn.execute(insert(SET).values(key=BOOK_UID_KEY, value=value))
    return value


def party_uid(book: str, party_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(_UID_NAMESPACE, f'{book}:party:{party_id}')}"


def export_parties(svc, path: str | os.PathLike[str], fmt: str | None = None,  # noqa: ANN001
                   party_ids: list[int] | None = None, *, force: bool = False,
                   progress: Progress | None = None) -> ExportSummary:
    """Export the parties (all, or `party_ids`) as vcf, csv or ics; json is the whole book."""
    fmt = export_format(path, fmt)
    report = progress or (lambda phase, done, total: None)
    if fmt == "json":
        if party_ids is not None:
            raise InvalidInput("A JSON export is the whole book (a backup); export a selection "
                               "as vcf or csv.")
        return _export_json(svc, path, force=force)
    ids = None if party_ids is None else sorted(set(party_ids))
    book = book_uid(svc)
    with svc.store.read() as conn:
        parties = _load_parties(conn, ids)
        if fmt == "ics":
            data = _ics(conn, svc, book, parties, ids)
    if fmt == "ics":
        with private_file(path, force=force, binary=True) as fh:
            fh.write(data)
        items = data.count(b"BEGIN:VTODO") + data.count(b"BEGIN:VEVENT")
        return ExportSummary(str(path), "ics", len(parties), items, len(data))
    names = {p["id"]: p["name"] for p in parties}
    tiers = _tiers(svc) if fmt == "csv" and parties else {}
    missing = {p["referred_by_id"] for p in parties} - set(names) - {None}
    if missing:
        with svc.store.read() as conn:
            for pid, name in conn.execute(select(P.c.id, P.c.name).where(P.c.id.in_(missing))):
                names[pid] = name
    size = 0
    with private_file(path, force=force) as fh:
        if fmt == "vcf":
            for i, p in enumerate(parties, 1):
                card = vcard.CardIn(
                    uid=party_uid(book, p["id"]), name=p["name"], party_type=p["party_type"],
                    kind=p["kind"], organisation=p["organisation"], emails=p["emails"],
                    phones=p["phones"], address=p["address"], birthday=p["birthday"],
                    tags=p["tags"], notes=p["notes"], source=p["source"],
                    cadence_days=p["cadence_days"], payment_terms_days=p["payment_terms_days"],
                    renewal_on=p["renewal_on"], rung=p["rung"],
                    referred_by_uid=party_uid(book, p["referred_by_id"]) if p["referred_by_id"] else None,
                    referred_by_name=names.get(p["referred_by_id"]))
                size += fh.write(vcard.write_card(card, PRODID))
                if i % BATCH == 0:
                    report("writing", i, len(parties))
        else:
            out = csv_io.writer(fh)
            for i, p in enumerate(parties, 1):
                out.writerow([csv_io.safe_cell(v) for v in _csv_row(p, names, tiers)])
                if i % BATCH == 0:
                    report("writing", i, len(parties))
    size = Path(path).stat().st_size
    return ExportSummary(str(path), fmt, len(parties), len(parties), size)


def _load_parties(conn: Connection, ids: list[int] | None) -> list[dict]:
    from reltui.domain.dates import Birthday

    where = [] if ids is None else [P.c.id.in_(ids)]
    parties: list[dict] = []
    by_id: dict[int, dict] = {}
    chunks = [None] if ids is None else [ids[i:i + 500] for i in range(0, len(ids), 500)] or []
    for chunk in chunks:
        where = [] if chunk is None else [P.c.id.in_(chunk)]
        for row in conn.execute(select(P).where(*where).order_by(P.c.id)):
            p = dict(row._mapping)
            p["birthday"] = (Birthday(p["birthday_month"], p["birthday_day"], p["birthday_year"])
                             if p["birthday_month"] else None)
            p["emails"], p["phones"], p["tags"] = [], [], []
            parties.append(p)
            by_id[p["id"]] = p
        cp_where = [] if chunk is None else [CP.c.party_id.in_(chunk)]
        for party_id, kind, value in conn.execute(
                select(CP.c.party_id, CP.c.kind, CP.c.value).where(*cp_where)
                .order_by(CP.c.party_id, CP.c.position, CP.c.id)):
            if party_id in by_id:
                by_id[party_id]["emails" if kind == "email" else "phones"].append(value)
        tag_where = [] if chunk is None else [TAG.c.party_id.in_(chunk)]
        for party_id, tag in conn.execute(select(TAG.c.party_id, TAG.c.tag).where(*tag_where)
                                          .order_by(TAG.c.party_id, TAG.c.tag)):
            if party_id in by_id:
                by_id[party_id]["tags"].append(tag)
    parties.sort(key=lambda p: p["id"])
    for p in parties:
        p["emails"], p["phones"], p["tags"] = tuple(p["emails"]), tuple(p["phones"]), tuple(p["tags"])
    return parties


def _tiers(svc) -> dict[int, str]:  # noqa: ANN001
    from reltui.services.metrics import drill_down

    result = drill_down("pyramid", svc, limit=10**9)
    return {row.party_id: row.note for row in result.rows}


def _money(cents: int | None) -> str:
    value = from_cents(cents)
    return "" if value is None else f"{value:.2f}"


def _csv_row(p: dict, names: dict[int, str], tiers: dict[int, str]) -> list:
    return [
        p["id"], p["name"], p["party_type"], p["kind"], p["organisation"] or "",
        "\n".join(p["emails"]), "\n".join(p["phones"]), p["address"] or "",
        p["birthday"].iso() if p["birthday"] else "", "\n".join(p["tags"]), p["notes"],
        p["source"] or "", names.get(p["referred_by_id"], "") if p["referred_by_id"] else "",
        p["referred_by_id"] or "", p["cadence_days"] if p["cadence_days"] is not None else "",
        p["payment_terms_days"] if p["payment_terms_days"] is not None else "",
        p["renewal_on"].isoformat() if p["renewal_on"] else "", p["rung"],
        p["rung_since"].isoformat(), "active" if p["defected_on"] is None else "defected",
        p["defected_on"].isoformat() if p["defected_on"] else "", tiers.get(p["id"], ""),
        p["last_contact_at"].isoformat(sep=" ") if p["last_contact_at"] else "",
        p["next_follow_up_on"].isoformat() if p["next_follow_up_on"] else "",
        p["purchase_count"], _money(p["revenue_cents"]), _money(p["cost_cents"]),
        _money((p["revenue_cents"] or 0) - (p["cost_cents"] or 0)), p["created_on"].isoformat(),
        p["owner"] or "",
    ]


def _ics(conn: Connection, svc, book: str, parties: list[dict], ids: list[int] | None) -> bytes:  # noqa: ANN001
    FU = FollowUp.__table__
    where = [FU.c.status == "open"]
    if ids is not None:
        where.append(FU.c.party_id.in_(ids))
    names = {p["id"]: p["name"] for p in parties}
    follow_ups = [
        ical.FollowUpItem(r.id, r.party_id, names.get(r.party_id, "?"), r.due_on, r.due_time, r.text,
                          r.priority, r.repeat, r.created_on)
        for r in conn.execute(select(FU).where(*where).order_by(FU.c.due_on, FU.c.id))
        if r.party_id in names
    ]
    active = [p for p in parties if p["defected_on"] is None]
    birthdays = [ical.DatedItem(p["id"], p["name"], p["birthday"].month, p["birthday"].day,
                                p["birthday"].year) for p in active if p["birthday"]]
    renewals = [(p["id"], p["name"], p["renewal_on"]) for p in active if p["renewal_on"]]
    return ical.calendar(book_uid=book, prodid=PRODID, stamp=svc.now(), follow_ups=follow_ups,
                         birthdays=birthdays, renewals=renewals)


def _export_json(svc, path: str | os.PathLike[str], *, force: bool) -> ExportSummary:  # noqa: ANN001
    with private_file(path, force=force) as fh, svc.store.read() as conn:
        counts = backup_json.write_backup(conn, fh, app=f"reltui {__version__}",
                                          schema_version=migrations.current_version(conn),
                                          written_at=svc.now())
    return ExportSummary(str(path), "json", counts["party"], sum(counts.values()),
                         Path(path).stat().st_size)


# -- backup and restore ----------------------------------------------------------------------


def backup_book(svc, dest: str | os.PathLike[str], *, force: bool = False) -> BackupSummary:  # noqa: ANN001
    """A consistent copy of the live book (SQLite's online backup API), checked after."""
    target = Path(dest).expanduser()
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder; give a file name for the backup.")
    if svc.store.path is not None and target.exists() and target.resolve() == svc.store.path.resolve():
        raise InvalidInput("The backup can't overwrite the book itself.")
    if target.exists() and not force:
        raise InvalidInput(f"{target} already exists; give --force to replace it.")
    if not target.parent.is_dir():
        raise InvalidInput(f"The folder {target.parent} does not exist.")
    if svc.store.path is None:
        copy_to_file(svc.store, target)  # a book on a server: a copy in a new SQLite file
    else:
        svc.store.backup_to(target)
    kind, parties = check_backup(target)
    return BackupSummary(str(target), target.stat().st_size, parties)


def copy_to_file(store: Store, target: Path) -> None:
    """A checked copy of a book that is not a file (on a server) in a new SQLite file,
    made beside `target` and renamed onto it only once whole."""
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
        leftover.unlink(missing_ok=True)
    copy = open_store(part)
    try:
        summary = copy_stores(store, copy)
    finally:
        copy.close()
    if not summary.ok:
        part.unlink(missing_ok=True)
        raise StoreUnavailable("The copy did not match the book (rows were written meanwhile?); "
                               "nothing was kept. Try again.")
    os.replace(part, target)


def check_backup(src: Path) -> tuple[str, int]:
    """('SQLite backup' | 'JSON backup', parties) for a file fit to restore; refuses the rest."""
    src = Path(src).expanduser()
    if not src.is_file():
        raise InvalidInput(f"{src} does not exist or is not a file.")
    with src.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(SQLITE_HEADER):
        if len(head) < 100:
            raise InvalidInput(f"{src} is cut short; it can't be restored.")
        try:
            db = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise InvalidInput(f"Can't open {src}: {exc}.") from None
        try:
            if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise InvalidInput(f"{src} is an SQLite file of another program, not a reltui book.")
            check = db.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise InvalidInput(f"{src} is damaged ({check}); it can't be restored.")
            version = int(db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
            if version > migrations.LATEST:
                raise InvalidInput(f"{src} was written by a newer reltui (schema {version}); "
                                   "upgrade reltui to restore it.")
            parties = db.execute("SELECT count(*) FROM party").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise InvalidInput(f"{src} is damaged or not a reltui book ({exc}).") from None
        except (TypeError, ValueError):
            raise InvalidInput(f"{src} has no schema version; it is not a reltui book.") from None
        finally:
            db.close()
        return "SQLite backup", parties
    data = read_bytes(src)
    data, _ = to_utf8(data, None)
    if not backup_json.is_backup(data):
        raise InvalidInput(f"{src} is neither a reltui backup (reltui backup) nor a JSON backup "
                           "(reltui export --format json).")
    tables = backup_json.load(data)
    return "JSON backup", len(tables["party"])


def restore_book(target: str | os.PathLike[str], src: str | os.PathLike[str], *,
                 force: bool = False, store: Store | None = None) -> RestoreSummary:
    """Replace the book at `target` with the backup `src` (checked first).

    A book with anything in it is replaced only with `force`, and then a copy of it is
    kept beside it first.  `store` is the book already open at `target`, if any; it is
    closed here.
    """
    if "://" in str(target) or (store is not None and store.path is None):
        return _restore_server_book(target, Path(src).expanduser(), force=force, store=store)
    book = Path(target).expanduser()
    source = Path(src).expanduser()
    kind, parties = check_backup(source)
    if book.exists() and source.resolve() == book.resolve():
        raise InvalidInput("The backup and the book are the same file.")
    damaged: str | None = None
    try:
        store = store or open_store(book)
    except (StoreRefused, InvalidInput) as exc:
        damaged, store = exc.message, None
    safety = None
    try:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safety_path = book.with_name(f"{book.stem}.before-restore-{stamp}{book.suffix or '.db'}")
        if store is not None:
            held = rows_held(store)
            if held and not force:
                raise InvalidInput(f"{book} has data; restoring replaces all of it. Give --force to "
                                   "go ahead (a copy of the book is kept beside it first).")
            if held:
                store.backup_to(safety_path)
                safety = str(safety_path)
            if kind == "SQLite backup":
                _copy_into(store, source)
            else:
                _replace_from_json(store, source)
        else:
            if not force:
                raise InvalidInput(f"{damaged} Give --force to replace it with the backup "
                                   "(the damaged file is kept beside it first).")
            os.replace(book, safety_path)
            safety = str(safety_path)
            for suffix in ("-wal", "-shm"):
                Path(f"{book}{suffix}").unlink(missing_ok=True)
            fresh = open_store(book)
            try:
                if kind == "SQLite backup":
                    _copy_into(fresh, source)
                else:
                    tables = backup_json.load(to_utf8(read_bytes(source), None)[0])
                    with fresh.write() as conn:
                        _write_tables(conn, tables, lambda *a: None)
            finally:
                fresh.close()
    finally:
        if store is not None:
            store.close()
    reopened = open_store(book)  # brings an older backup's schema up to date
    reopened.close()
    return RestoreSummary(str(book), str(source), kind, parties, safety)


def _replace_from_json(store: Store, source: Path) -> None:
    """Every table of the book replaced by a JSON backup's, in one transaction."""
    tables = backup_json.load(to_utf8(read_bytes(source), None)[0])
    try:
        with store.write() as conn:
            for table in reversed(backup_json.tables()):
                conn.execute(delete(table))
            _write_tables(conn, tables, lambda *a: None)
    except IntegrityError as exc:
        raise InvalidInput(f"The backup breaks a rule of the book ({exc.orig}); "
                           "nothing was changed.") from None


def _restore_server_book(target: str, source: Path, *, force: bool,
                         store: Store | None) -> RestoreSummary:
    """Restore a book that lives on a server (PostgreSQL) from a backup file: one
    transaction there; a book with data is kept first in a file in the data directory."""
    from reltui.paths import data_dir

    kind, parties = check_backup(source)
    book = store or open_store(target)
    safety = None
    try:
        if rows_held(book):
            if not force:
                raise InvalidInput(f"{book.label} has data; restoring replaces all of it. Give --force "
                                   "to go ahead (a copy of the book is kept in a file first).")
            safety_path = data_dir(create=True) / f"before-restore-{datetime.now():%Y%m%d-%H%M%S}.db"
            copy_to_file(book, safety_path)
            safety = str(safety_path)
        if kind == "SQLite backup":
            with tempfile.TemporaryDirectory() as folder:  # the backup file itself stays as it is
                upgraded = Path(folder) / "backup.db"
                copy_private(source, upgraded)
                backup = open_store(upgraded)  # brings an older backup's schema up to date
                try:
                    copy_stores(backup, book, force=True)
                finally:
                    backup.close()
        else:
            _replace_from_json(book, source)
        return RestoreSummary(book.label, str(source), kind, parties, safety)
    finally:
        book.close()


def _copy_into(store: Store, source: Path) -> None:
    """Copy an SQLite backup over the open book, page by page, under SQLite's own locks."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    raw = store.engine.raw_connection()
    try:
        src.backup(raw.driver_connection)
    except sqlite3.Error as exc:
        raise InvalidInput(f"Can't restore from {source}: {exc}.") from None
    finally:
        raw.close()
        src.close()
