"""Today, the home screen: what is overdue and due, birthdays and renewals ahead, who is
going cold; each line actionable in place. On an empty book it says how to begin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from reltui.domain.records import ColdParty, DatedParty, FollowUpRow, PartyRef, TodayView
from reltui.domain.text import for_terminal
from reltui.tui.safe import due_label, safe_text, short_date
from reltui.tui.screens.base import FollowUpKeys, OwnerFilter, Section, follow_up_party
from reltui.tui.widgets.keybar import KeyBar
from reltui.tui.widgets.select_table import SelectTable

WELCOME = """\
Welcome to reltui: a relationship book for one person, kept in a file on this machine.

This book is empty. To begin:
  n        add a party (a customer, a business, a vendor, a partner…)
  i        import contacts (vCard from a phone, Google or Outlook CSV)
  l        log a contact with them;  f  schedule a follow-up
  ctrl+p   the command palette: every screen, action and party
  ?        every key of the screen you are on

To look around a realistic book first, quit (q) and open the sample
that comes with reltui, from the project folder:
  reltui --db sample.db      or      make run ARGS='--db sample.db'
"""


@dataclass(frozen=True)
class Line:
    """One actionable line of Today: a follow-up, a dated party, or a cold one."""

    section: str
    item: Any = None

    @property
    def party(self) -> PartyRef | None:
        item = self.item
        if isinstance(item, FollowUpRow):
            return follow_up_party(item)
        if isinstance(item, (DatedParty, ColdParty)):
            return PartyRef(item.party_id, item.party_name)
        return None


TODAY_LIMIT = 200  # lines per section; a full section is shown as "200+"


def load_today(services, owner: str | None = None) -> tuple[TodayView, int]:  # noqa: ANN001 - a worker
    """Today for `owner`'s parties (None: everyone's), and how many parties the book has."""
    return services.today_view(limit=TODAY_LIMIT, owner=owner), services.count_parties()


def _add_columns(table: DataTable, what_width: int) -> None:
    table.add_column("When", key="when", width=22)  # "2 Nov 2025 · 386d late"
    table.add_column("Party", key="party", width=26)
    table.add_column("What", key="what", width=what_width)


class TodayScreen(FollowUpKeys, OwnerFilter, Section):
    help_title = "Today"
    DEFAULT_CSS = """
    TodayScreen #summary { height: auto; padding: 0 1; background: $panel; }
    TodayScreen #welcome { padding: 1 2; display: none; }
    TodayScreen.-empty #welcome { display: block; }
    TodayScreen.-empty #today { display: none; }
    TodayScreen #today { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open", id="today.open", tooltip="Open the party of this line"),
        *FollowUpKeys.FOLLOW_UP_BINDINGS,
        *OwnerFilter.OWNER_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, Line] = {}
        self._rows: list[tuple[str, tuple[Text, ...]]] = []  # what _show puts in the table

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static("", id="summary")
        yield Static(WELCOME, id="welcome", markup=False)
        table: DataTable = SelectTable(id="today", cursor_type="row", zebra_stripes=False,
                                       select=self.action_open)
        _add_columns(table, len("What"))
        yield table
        yield KeyBar()

    def reload(self) -> None:
        self.app.run_db(load_today, self.app.services, self.app.whose, then=self.when_shown(self._show),
                        group="today", exclusive=True)

    def _show(self, result: tuple[TodayView, int]) -> None:
        view, parties = result
        self.set_class(parties == 0, "-empty")
        today = view.today
        table = self.query_one("#today", DataTable)
        keep = table.cursor_row
        self.lines, self._rows = {}, []

        def section(key: str, title: str, count: int) -> None:
            self._add(f"h-{key}", Line(key), Text(title.upper(), style="bold"),
                      Text(f"{count}", style="bold"), Text(""))

        if view.overdue:
            section("overdue", "Overdue", len(view.overdue))
            for row in view.overdue:
                self._follow_up(row, today, "bold red")
        if view.due_today:
            section("today", "Due today", len(view.due_today))
            for row in view.due_today:
                self._follow_up(row, today, "")
        if view.birthdays:
            section("birthdays", "Birthdays, next 14 days", len(view.birthdays))
            for item in view.birthdays:
                self._dated("birthday", item, today, "birthday")
        if view.renewals:
            section("renewals", "Renewals, next 14 days", len(view.renewals))
            for item in view.renewals:
                self._dated("renewal", item, today, "contract renewal")
        if view.going_cold:
            more = view.going_cold_total
            section("cold", f"Going cold ({more} past their cadence)" if more > len(view.going_cold)
                    else "Going cold", more)
            for item in view.going_cold:
                last = short_date(item.last_contact_at, today) or "never"
                self._add(f"cold-{item.party_id}", Line("cold", item),
                          Text(f"last {last}"), safe_text(item.party_name),
                          Text(f"{item.days_past} days past the {item.cadence_days}-day cadence",
                               style="yellow"))
        if view.is_empty and parties:
            self._add("h-clear", Line("clear"), Text("All clear", style="bold green"), Text(""),
                      Text("Nothing due, nobody going cold. n adds a party, a opens the agenda."))
        # The What column as wide as its widest line, set before the rows go in: a width
        # left to the table is measured when it is next idle, and a frame drawn before that
        # stays cut to the heading's width.
        table.clear(columns=True)
        _add_columns(table, max([len("What"), *(cells[2].cell_len for _key, cells in self._rows)]))
        for key, cells in self._rows:
            table.add_row(*cells, key=key)
        table.move_cursor(row=min(keep, table.row_count - 1) if table.row_count else 0)
        self._summary(view, parties)

    def _summary(self, view: TodayView, parties: int) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{view.today:%A} {view.today.day} {view.today:%B %Y}", style="bold")
        text.append(f" · {self.app.whose_label()}")  # whose parties (u changes it)
        for count, label, style in ((len(view.overdue), "overdue", "red"),
                                    (len(view.due_today), "due today", ""),
                                    (len(view.birthdays), "birthdays", ""),
                                    (len(view.renewals), "renewals", ""),
                                    (view.going_cold_total, "going cold", "yellow")):
            text.append(" · ")
            shown = f"{count:,}+" if count >= TODAY_LIMIT and label != "going cold" else f"{count:,}"
            text.append(f"{shown} {label}", style=style if count else "dim")
        text.append(f" · {parties:,} part{'y' if parties == 1 else 'ies'}", style="dim")
        self.query_one("#summary", Static).update(text)

    def _add(self, key: str, line: Line, *cells: Text) -> None:
        self.lines[key] = line
        self._rows.append((key, cells))

    def _follow_up(self, row: FollowUpRow, today, style: str) -> None:  # noqa: ANN001
        when = due_label(row.due_on, today)
        if row.due_time and row.due_on >= today - timedelta(days=1):  # days late: the hour no longer counts
            when += f" {row.due_time:%H:%M}"
        what = safe_text(row.text)
        if row.priority == "high":
            what.append("  !high", style="bold red")
        if row.repeat:
            what.append(f"  ↻ {row.repeat}", style="dim")
        self._add(f"fu-{row.id}", Line("follow-up", row), Text(when, style=style),
                  safe_text(row.party_name), what)

    def _dated(self, key: str, item: DatedParty, today, label: str) -> None:  # noqa: ANN001
        detail = f"{label}" + (f" ({for_terminal(item.detail)})" if item.detail else "")
        self._add(f"{key}-{item.party_id}", Line(key, item), Text(due_label(item.on, today)),
                  safe_text(item.party_name), Text(detail))

    # -- what is under the cursor -------------------------------------------------------------

    def _line(self) -> Line | None:
        table = self.query_one("#today", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.lines.get(key)

    def current_party(self) -> PartyRef | None:
        line = self._line()
        return line.party if line else None

    def current_follow_up(self) -> FollowUpRow | None:
        line = self._line()
        return line.item if line and isinstance(line.item, FollowUpRow) else None

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        party = self.current_party()
        if party is not None:
            self.app.open_party(party.id)
