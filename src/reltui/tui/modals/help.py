"""`?`: every key of the screen underneath, the screen's own first, then the app's."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from reltui.domain.enums import RUNG_MEANING

# Keys that are bound with a name Textual spells differently from what is printed on the key
KEY_NAMES = {
    "question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]",
    "plus": "+", "minus": "-", "equals_sign": "=", "dollar_sign": "$", "slash": "/",
    "escape": "Esc", "enter": "Enter", "delete": "Del", "pageup": "PgUp", "pagedown": "PgDn",
    "number_sign": "#", "backspace": "Backspace", "tab": "Tab", "home": "Home", "end": "End",
    "up": "↑", "down": "↓", "left": "←", "right": "→",
}

GUIDE = (
    "Dates are typed as people say them: today, tomorrow, +3d, 2w, next fri, "
    "2026-12-01, optionally with a time (fri 10:00). "
    "ctrl+p opens the command palette: every screen, every action, every party by name."
)


def key_label(key: str) -> str:
    parts = key.split("+")
    return "+".join(KEY_NAMES.get(part, part) for part in parts)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__()
        self.under = screen
        self.rows = self._rows(screen)

    @staticmethod
    def _rows(screen: Screen) -> list[tuple[str, str, str]]:
        """(keys, what, more) per action, keys bound to one action sharing a row: reltui's own
        keys first (this screen's, then everywhere), the widgets' generic keys last."""
        rows: dict[str, list] = {}
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description:
                continue
            app_wide = active.node is screen.app
            where = "everywhere" if app_wide else "this screen"
            order = (0 if binding.id else 2) + (1 if app_wide else 0)
            row = rows.setdefault(binding.action,
                                  [[], binding.description, binding.tooltip or where, order])
            if key_label(key) not in row[0]:
                row[0].append(key_label(key))
        ordered = sorted(rows.values(), key=lambda row: row[3])  # stable: binding order kept
        return [(", ".join(keys), description, more) for keys, description, more, _ in ordered]

    def compose(self) -> ComposeResult:
        title = getattr(self.under, "help_title", None) or type(self.under).__name__.replace("Screen", "")
        table = Table(show_header=True, header_style="bold", box=None, expand=True, padding=(0, 1))
        table.add_column("key", no_wrap=True)
        table.add_column("does")
        table.add_column("more", style="dim")
        for keys, description, more in self.rows:
            table.add_row(Text(keys, style="bold"), Text(description), Text(more))
        with VerticalScroll():
            yield Static(Text(f"Keys: {title}", style="bold"))
            yield Static(table)
            yield Static(Text(GUIDE, style="dim"))
            ladder = " < ".join(rung.value for rung in RUNG_MEANING)
            yield Static(Text(f"The ladder, lowest first: {ladder}.", style="dim"))
            yield Static(Text("Esc or ? closes this.", style="italic"))
