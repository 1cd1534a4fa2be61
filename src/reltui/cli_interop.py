"""`reltui import`, `export`, `backup` and `restore`: data in and out on the command line.

Everything a file says is data: it reaches the terminal only through
`for_terminal`.  A long import shows a progress bar (rate and time left) on
stderr when stderr is a terminal; the summary goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

EXIT_OK = 0
EXIT_COPY_DIFFERS = 1


def add_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("import", "import contacts: vCard (.vcf), CSV (Google, Outlook, reltui) or a "
                          "reltui JSON backup", cmd_import)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--dry-run", action="store_true", help="show what would happen; change nothing")
    p.add_argument("--skip-bad", action="store_true",
                   help="import the good records and list the bad ones (default: refuse the file)")
    p.add_argument("--on-duplicate", choices=["skip", "merge", "add"], default="skip",
                   help="a record whose email, phone or name is already in the book: skip it "
                        "(default), merge it into that party, or add it anyway")
    p.add_argument("--encoding", metavar="ENC",
                   help="the file's encoding when it is not UTF-8 (e.g. cp1252, latin-1)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every duplicate and bad record")

    p = command("export", "export parties to vCard, CSV or iCalendar, or the whole book to JSON",
                cmd_export)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", choices=["vcf", "csv", "ics", "json"],
                   help="default: from the file's extension")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--search", metavar="Q", help="only parties matching Q")
    p.add_argument("--tag", help="only parties with this tag")
    p.add_argument("--kind", help="only parties of this kind")
    p.add_argument("--rung", help="only parties on this rung")
    p.add_argument("--status", choices=["active", "defected", "all"], default="all")

    p = command("backup", "copy the book, consistently, even while it is open elsewhere", cmd_backup)
    p.add_argument("dest", metavar="DEST")
    p.add_argument("--force", action="store_true", help="replace DEST if it exists")

    p = command("restore", "replace the book with a backup (checked first)", cmd_restore)
    p.add_argument("src", metavar="SRC", help="a file from `reltui backup` or a JSON export")
    p.add_argument("--force", action="store_true",
                   help="replace a book that has data (a copy of it is kept beside it first)")

    p = command("copy", "copy a whole book to another database (SQLite <-> PostgreSQL), checked "
                        "table by table", cmd_copy)
    p.add_argument("src", metavar="SRC", help="a book file or database URL (postgresql://...)")
    p.add_argument("dest", metavar="DEST", help="a new book file or an empty database")
    p.add_argument("--force", action="store_true", help="replace whatever DEST holds")


# -- progress --------------------------------------------------------------------------------


class _Bar:
    """A rich progress bar on stderr, started only once an import proves long."""

    PHASES = {"reading": "reading", "checking": "checking", "writing": "writing",
              "importing": "reading and writing",
              "copying": "copying"}

    def __init__(self) -> None:
        self.progress = None
        self.task = None
        self.phase = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.progress is None:
            if done >= total:
                return  # finished before it needed a bar
            from rich.console import Console
            from rich.progress import (
                BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                TimeRemainingColumn,
            )
            from rich.text import Text

            class Rate(ProgressColumn):
                def render(self, task) -> Text:  # noqa: ANN001
                    speed = task.finished_speed or task.speed
                    return Text("" if speed is None else f"{speed:,.0f}/s")

            self.progress = Progress(
                TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), Rate(),
                TimeRemainingColumn(), console=Console(stderr=True, markup=False, highlight=False),
                transient=True)
            self.progress.start()
        if phase != self.phase:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task(self.PHASES.get(phase, "working"), total=total)
            self.phase = phase
        self.progress.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _progress() -> _Bar | None:
    return _Bar() if sys.stderr.isatty() else None


# -- commands --------------------------------------------------------------------------------


def cmd_import(svc, args) -> int:  # noqa: ANN001
    from reltui.services.interop import ImportRefused, import_file, summary_lines

    bar = _progress()
    try:
        summary = import_file(svc, args.file, dry_run=args.dry_run, skip_bad=args.skip_bad,
                              on_duplicate=args.on_duplicate, progress=bar, encoding=args.encoding)
    except ImportRefused as exc:
        if bar:
            bar.stop()
        for line in summary_lines(exc.summary, verbose=args.verbose, on_duplicate=args.on_duplicate):
            _out(line)
        raise
    finally:
        if bar:
            bar.stop()
    for line in summary_lines(summary, verbose=args.verbose, on_duplicate=args.on_duplicate):
        _out(line)
    return EXIT_OK


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _selection(svc, args) -> list[int] | None:  # noqa: ANN001
    filters = dict(search=args.search, rung=args.rung, kind=args.kind, tag=args.tag,
                   status=None if args.status == "all" else args.status)
    if not any(filters.values()):
        return None
    ids: list[int] = []
    page = 10_000
    while True:
        rows = svc.list_parties(**filters, offset=len(ids), limit=page)
        ids.extend(r.id for r in rows)
        if len(rows) < page:
            return ids


def cmd_export(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.text import for_terminal as safe
    from reltui.services.interop import export_parties

    summary = export_parties(svc, args.file, args.format, _selection(svc, args), force=args.force)
    what = {"vcf": "cards", "csv": "rows", "ics": "calendar entries", "json": "rows in all tables"}
    _out(f"Wrote {safe(summary.path)}: {summary.parties:,} parties, {summary.items:,} "
         f"{what[summary.format]} ({summary.bytes:,} bytes, readable by you alone).")
    return EXIT_OK


def cmd_backup(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.text import for_terminal as safe
    from reltui.services.interop import backup_book

    summary = backup_book(svc, args.dest, force=args.force)
    _out(f"Backed up {summary.parties:,} parties to {safe(summary.path)} "
         f"({summary.bytes:,} bytes, checked, readable by you alone).")
    _out(f"Bring it back with: reltui restore {safe(summary.path)}")
    return EXIT_OK


def cmd_copy(_svc, args) -> int:  # noqa: ANN001
    from reltui.domain.text import for_terminal as safe
    from reltui.services.copying import copy_book

    bar = _progress()
    try:
        summary = copy_book(args.src, args.dest, force=args.force, progress=bar)
    finally:
        if bar:
            bar.stop()
    _out(f"Copied {summary.rows:,} rows from {safe(summary.source)} to {safe(summary.dest)}.")
    width = max(len(t.table) for t in summary.tables)
    for t in summary.tables:
        verdict = "same rows, same checksum" if t.ok else (
            f"DIFFERENT: {t.source_rows:,} rows ({t.source_sum}) -> {t.copied_rows:,} ({t.copied_sum})")
        _out(f"  {t.table:<{width}}  {t.copied_rows:>10,}  {verdict}")
    if not summary.ok:
        _out("The copy differs from the source (above); do not rely on it.")
        return EXIT_COPY_DIFFERS
    return EXIT_OK


def cmd_restore(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.text import for_terminal as safe
    from reltui.services.interop import restore_book

    if svc is None:  # a caller that does not open the book first (it may be damaged)
        from reltui.paths import default_db

        target, store = args.db or default_db(), None
    else:
        target, store = svc.store.path or svc.store.url, svc.store
    summary = restore_book(target, args.src, force=args.force, store=store)
    _out(f"Restored {safe(summary.path)} from {safe(summary.source)} ({summary.kind}, "
         f"{summary.parties:,} parties).")
    if summary.safety_copy:
        _out(f"The book as it was is kept in {safe(summary.safety_copy)}.")
    return EXIT_OK
