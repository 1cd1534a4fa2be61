"""Data in and out from the TUI: import a file (dry run first, then the real thing with a
progress bar) and export what the Parties list shows.

Both run the same use cases as `reltui import` / `reltui export` (services.interop) in a
worker; the import is one transaction, so Escape during it loses nothing and half an
import never lands.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Label, ProgressBar, Select, Static

from reltui.domain.errors import ReltuiError
from reltui.domain.text import for_terminal
from reltui.tui.modals.base import Field, FieldError, Form

DUPLICATES = (("skip duplicates", "skip"), ("merge into the existing party", "merge"),
              ("add them anyway", "add"))
BAD = (("refuse the file if a record is bad", "no"), ("skip bad records, import the rest", "yes"))


class PathSuggester(Suggester):
    """Completes a path as you type from what is on disk (Tab or → accepts)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, stem = os.path.split(expanded)
        try:  # off the UI thread: a slow or network folder must not freeze the screen
            names = sorted(await asyncio.to_thread(os.listdir, folder or "."))
        except OSError:
            return None
        for name in names:
            if name.startswith(stem) and name != stem and not name.startswith("."):
                is_dir = await asyncio.to_thread(os.path.isdir, os.path.join(folder, name))
                return value + name[len(stem):] + ("/" if is_dir else "")
        return None


class ImportScreen(ModalScreen[None]):
    """Path, what to do with duplicates and bad records; Enter shows the dry run, Enter again imports."""

    DEFAULT_CSS = """
    ImportScreen { align: center middle; }
    ImportScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ImportScreen .row { height: auto; }
    ImportScreen .row Label { width: 12; color: $text-muted; }
    ImportScreen .row Input, ImportScreen .row Select { width: 1fr; }
    ImportScreen #title { text-style: bold; margin-bottom: 1; }
    ImportScreen #preview { height: auto; max-height: 14; margin-top: 1; }
    ImportScreen #state { margin-top: 1; text-style: bold; }
    ImportScreen #state.-bad { color: $error; }
    ImportScreen ProgressBar { display: none; margin-top: 1; }
    ImportScreen.-running ProgressBar { display: block; }
    ImportScreen #keys { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="import.cancel"),
        Binding("ctrl+s", "go", "Import", id="import.go", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.checked: tuple | None = None  # the settings the shown dry run was made with
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Import contacts: vCard, Google or Outlook CSV, or a reltui backup",
                        id="title")
            with Horizontal(classes="row"):
                yield Label("File")
                yield Input(placeholder="~/Downloads/contacts.vcf  (Tab completes)", id="path",
                            suggester=PathSuggester(), compact=True)
            with Horizontal(classes="row"):
                yield Label("Duplicates")
                yield Select(DUPLICATES, value="skip", allow_blank=False, id="duplicates", compact=True)
            with Horizontal(classes="row"):
                yield Label("Bad records")
                yield Select(BAD, value="no", allow_blank=False, id="bad", compact=True)
            with VerticalScroll(id="preview"):
                yield Static("", id="summary", markup=False)
            yield Static("", id="state", markup=False)
            yield ProgressBar(total=None, show_eta=True, id="progress")
            yield Static("Enter: dry run, then Enter again to import · Esc closes", id="keys")

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#path", Input))  # now: keys typed ahead go into it

    def _settings(self) -> tuple[str, str, bool]:
        path = os.path.expanduser(self.query_one("#path", Input).value.strip())
        return path, str(self.query_one("#duplicates", Select).value), \
            self.query_one("#bad", Select).value == "yes"

    def _state(self, message: str, *, bad: bool = False) -> None:
        state = self.query_one("#state", Static)
        state.update(message)
        state.set_class(bad, "-bad")

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.checked = None  # the preview no longer matches what would be imported

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_go()

    def action_go(self) -> None:
        if self.running:
            return
        path, on_duplicate, skip_bad = self._settings()
        if not path:
            self._state("Type the path of the file to import.", bad=True)
            return
        from reltui.services.interop import import_file

        settings = (path, on_duplicate, skip_bad)
        dry_run = self.checked != settings
        self.running = True
        self.set_class(not dry_run, "-running")
        self._state("Reading…" if dry_run else "Importing… (one transaction: all or nothing)")
        services = self.app.services
        self.app.run_db(import_file, services, path, dry_run=dry_run, skip_bad=skip_bad,
                        on_duplicate=on_duplicate, progress=self._progress,
                        then=lambda summary: self._done(summary, settings),
                        on_error=self._refused, group="import", exclusive=True)

    def _progress(self, phase: str, done: int, total: int) -> None:  # called from the worker
        self.app.call_from_thread(self._advance, phase, done, total)

    def _advance(self, phase: str, done: int, total: int) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=total or None, progress=done)
        self._state(f"{phase.capitalize()}… {done:,} of {total:,}" if total else f"{phase}…")

    def _show(self, summary, on_duplicate: str) -> None:  # noqa: ANN001
        from reltui.services.interop import summary_lines

        lines = summary_lines(summary, on_duplicate=on_duplicate)
        if summary.dry_run:
            lines = lines[:-1]  # the command line's "run it again" advice; the state says it here
        self.query_one("#summary", Static).update("\n".join(lines))

    def _done(self, summary, settings: tuple) -> None:  # noqa: ANN001
        self.running = False
        self.remove_class("-running")
        self._show(summary, settings[1])
        if summary.dry_run:
            if summary.refused:
                self._state("Bad records would stop this import: fix the file, or choose to skip "
                            "them.", bad=True)
                self.checked = None
            else:
                self.checked = settings
                self._state("Nothing changed yet. Enter imports what is listed above; Esc closes.")
            return
        self.checked = None
        self.app.data_changed()
        self._state(f"Imported: {summary.added:,} added, {summary.merged:,} merged. Esc closes.")

    def _refused(self, error: ReltuiError) -> None:
        self.running = False
        self.remove_class("-running")
        summary = getattr(error, "summary", None)
        if summary is not None:
            self._show(summary, self._settings()[1])
        self._state(error.message, bad=True)
        self.checked = None

    def action_cancel(self) -> None:
        if self.running:
            self._state("Still working: the import is one transaction, wait for it to finish.")
            return
        self.dismiss(None)


class ExportForm(Form):
    """Export the parties a list shows: the format comes from the file's extension."""

    form_title = "Export the parties shown"

    def __init__(self, filters: dict, count: int | None, default_path: str) -> None:
        super().__init__()
        self.filters = filters
        self.count = count
        self.default_path = default_path
        if count is not None:
            self.form_title = f"Export the {count:,} parties shown"

    def fields(self) -> Sequence[Field]:
        return [Field("path", "File", value=self.default_path, required=True,
                      placeholder=".vcf (address books), .csv (spreadsheets), .ics (calendars)")]

    def build(self, values: dict[str, str]) -> str:
        path = os.path.expanduser(values["path"].strip())
        if not path:
            raise FieldError("path", "Type where to write the file.")
        if Path(path).suffix.lower() not in (".vcf", ".csv", ".ics"):
            raise FieldError("path", "End the name with .vcf, .csv or .ics (the whole book as "
                                     "JSON is `reltui export FILE.json`).")
        return path

    def commit(self, services, path: str):  # noqa: ANN001, ANN201
        from reltui.services.interop import export_parties

        filters = dict(self.filters)
        tier = filters.pop("tier", None)
        if tier:
            filters["ids"] = services.tier_members(tier)
        return export_parties(services, path, party_ids=services.party_ids(**filters))

    def done(self, summary) -> str:  # noqa: ANN001
        return (f"Exported {summary.parties:,} parties to {for_terminal(summary.path)} "
                f"({summary.format}, readable by you alone).")


