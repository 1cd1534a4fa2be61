"""Settle an edit that clashes with a change saved elsewhere: per field, theirs or yours.

The party form opens this when the services refuse an edit with EditConflict: one row per
field both sides changed, the version saved elsewhere and the one typed here side by side.
t / ← keeps theirs, y / → keeps yours (T / Y for every field), ↑↓ move between fields,
Enter or ctrl+s saves the choice (the services merge again against the profile now in the
book, so a change made meanwhile is caught again), Esc goes back to the form as typed.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from reltui.domain.dates import Birthday
from reltui.domain.errors import EditConflict
from reltui.domain.merge import FieldConflict
from reltui.domain.records import PartyIn
from reltui.domain.text import for_terminal

SHOWN_LINES = 8  # of a long value (notes); the rest is summed up

THEIRS, MINE = "theirs", "mine"


def show_value(field: str, value: Any, names: dict[int, str]) -> Text:
    """A profile value as plain text for the glass (data: never markup)."""
    if value in (None, "", ()):
        return Text("(empty)", style="dim italic")
    if field == "referred_by_id":
        return Text(for_terminal(names.get(value, f"party #{value}")))
    if field in ("cadence_days", "payment_terms_days"):
        return Text(f"{value} days")
    if isinstance(value, tuple):
        value = "\n".join(str(v) for v in value)
    elif isinstance(value, Birthday):
        value = value.iso()
    elif isinstance(value, date):
        value = value.isoformat()
    elif isinstance(value, Enum):
        value = value.value
    lines = for_terminal(str(value), multiline=True).split("\n")
    text = Text("\n".join(lines[:SHOWN_LINES]))
    if len(lines) > SHOWN_LINES:
        text.append(f"\n… {len(lines) - SHOWN_LINES} more lines", style="dim italic")
    return text


class ConflictRow(Vertical, can_focus=True):
    """One field: its name and the choice made, then theirs | yours."""

    DEFAULT_CSS = """
    ConflictRow { height: auto; padding: 0 1; margin-bottom: 1; border-left: blank; }
    ConflictRow:focus { border-left: thick $accent; background: $boost; }
    ConflictRow .conflict-field { text-style: bold; }
    ConflictRow Horizontal { height: auto; }
    ConflictRow .side {
        width: 1fr; height: auto; max-height: 10; overflow: hidden; padding: 0 1; border: round $panel;
    }
    ConflictRow .side.-chosen { border: round $success; }
    """

    def __init__(self, conflict: FieldConflict, names: dict[int, str]) -> None:
        super().__init__(id=f"conflict-{conflict.field}")
        self.conflict = conflict
        self.names = names
        self.choice: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._heading(), classes="conflict-field", markup=False)
        with Horizontal():
            theirs = Static(show_value(self.conflict.field, self.conflict.theirs, self.names),
                            classes="side theirs", markup=False)
            theirs.border_title = "theirs (t)"
            yield theirs
            mine = Static(show_value(self.conflict.field, self.conflict.mine, self.names),
                          classes="side mine", markup=False)
            mine.border_title = "yours (y)"
            yield mine

    def _heading(self) -> str:
        chosen = {THEIRS: "keeping theirs", MINE: "keeping yours"}.get(self.choice, "pick t or y")
        return f"{self.conflict.label}: {chosen}"

    def choose(self, choice: str) -> None:
        self.choice = choice
        self.query_one(".conflict-field", Static).update(self._heading())
        self.query_one(".theirs").set_class(choice == THEIRS, "-chosen")
        self.query_one(".mine").set_class(choice == MINE, "-chosen")


class ConflictModal(ModalScreen[PartyIn | None]):
    """Hands back the profile to save (the merge with each conflict settled), or None."""

    DEFAULT_CSS = """
    ConflictModal { align: center middle; }
    ConflictModal #conflict {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: round $warning; background: $surface; padding: 0 1;
    }
    ConflictModal #conflict-title { text-style: bold; width: 1fr; }
    ConflictModal #conflict-about { color: $text-muted; margin-bottom: 1; }
    ConflictModal #conflict-rows { height: auto; max-height: 60vh; overflow-y: auto; }
    ConflictModal #conflict-error { color: $error; text-style: bold; height: auto; }
    ConflictModal #conflict-keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("t,left", "pick('theirs')", "Theirs", id="conflict.theirs",
                tooltip="Keep the version saved elsewhere for this field"),
        Binding("y,right", "pick('mine')", "Yours", id="conflict.mine",
                tooltip="Keep what you typed for this field"),
        Binding("T", "pick_all('theirs')", "All theirs", id="conflict.all_theirs",
                tooltip="Keep the version saved elsewhere for every field"),
        Binding("Y", "pick_all('mine')", "All yours", id="conflict.all_mine",
                tooltip="Keep what you typed for every field"),
        Binding("down,tab", "move(1)", "Next field", id="conflict.next", show=False),
        Binding("up,shift+tab", "move(-1)", "Previous field", id="conflict.previous", show=False),
        Binding("enter,ctrl+s", "save", "Save", id="conflict.save", priority=True,
                tooltip="Save with these choices (merged again with what is stored now)"),
        Binding("escape", "back", "Back to the form", id="conflict.back",
                tooltip="Nothing saved; everything you typed is still in the form"),
        Binding("question_mark", "app.help", "Keys", id="conflict.help", show=False),
    ]

    help_title = "Changed elsewhere"

    def __init__(self, conflict: EditConflict) -> None:
        super().__init__()
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        count = len(self.conflict.conflicts)
        ask = ("this field changed on both sides: pick one." if count == 1 else
               f"these {count} fields changed on both sides: pick one version of each.")
        with Vertical(id="conflict"):
            yield Label(f"Changed elsewhere while you edited {for_terminal(self.conflict.party_name)}",
                        id="conflict-title", markup=False)
            yield Static(f"Saved elsewhere since you opened it. All other changes, theirs and yours, "
                         f"are kept; {ask}", id="conflict-about", markup=False)
            # a plain container that scrolls: a VerticalScroll would take the arrow keys
            with Vertical(id="conflict-rows"):
                for item in self.conflict.conflicts:
                    yield ConflictRow(item, self.conflict.names)
            yield Static("", id="conflict-error", markup=False)
            yield Static("t/← theirs · y/→ yours · T/Y all · ↑↓ field · Enter save · Esc back · ? keys",
                         id="conflict-keys", markup=False)

    def on_mount(self) -> None:
        self.set_focus(self.rows[0])

    @property
    def rows(self) -> list[ConflictRow]:
        return list(self.query(ConflictRow))

    def _current(self) -> ConflictRow:
        focused = self.focused
        return focused if isinstance(focused, ConflictRow) else self.rows[0]

    def action_pick(self, choice: str) -> None:
        row = self._current()
        row.choose(choice)
        self.query_one("#conflict-error", Static).update("")
        rows = self.rows
        index = rows.index(row)
        if index + 1 < len(rows) and rows[index + 1].choice is None:
            self.set_focus(rows[index + 1])  # on to the next field still to settle

    def action_pick_all(self, choice: str) -> None:
        for row in self.rows:
            row.choose(choice)
        self.query_one("#conflict-error", Static).update("")

    def action_move(self, step: int) -> None:
        rows = self.rows
        index = rows.index(self._current())
        self.set_focus(rows[(index + step) % len(rows)])

    def action_save(self) -> None:
        open_rows = [row for row in self.rows if row.choice is None]
        if open_rows:
            names = ", ".join(row.conflict.label for row in open_rows)
            self.query_one("#conflict-error", Static).update(
                f"Pick theirs (t) or yours (y) for: {names}.")
            self.set_focus(open_rows[0])
            return
        self.dismiss(self.conflict.merge.resolve({row.conflict.field: row.choice for row in self.rows}))

    def action_back(self) -> None:
        self.dismiss(None)
