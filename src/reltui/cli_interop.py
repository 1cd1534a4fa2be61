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
SHOWN = 20  # duplicates and bad records listed without --verbose


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


# -- progress --------------------------------------------------------------------------------


class _Bar:
    """A rich progress bar on stderr, started only once an import proves long."""

    PHASES = {"reading": "reading", "checking": "checking", "writing": "writing"}

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
    from reltui.services.interop import ImportRefused, import_file

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


def cmd_restore(svc, args) -> int:  # noqa: ANN001
    from reltui.domain.text import for_terminal as safe
    from reltui.services.interop import restore_book

    if svc is None:  # a caller that does not open the book first (it may be damaged)
        from reltui.paths import default_db

        target, store = args.db or default_db(), None
    else:
        target, store = svc.store.path, svc.store
    summary = restore_book(target, args.src, force=args.force, store=store)
    _out(f"Restored {safe(summary.path)} from {safe(summary.source)} ({summary.kind}, "
         f"{summary.parties:,} parties).")
    if summary.safety_copy:
        _out(f"The book as it was is kept in {safe(summary.safety_copy)}.")
    return EXIT_OK
