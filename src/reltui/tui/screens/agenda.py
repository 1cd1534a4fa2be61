"""The follow-ups agenda: every open follow-up in due order (overdue, today, this week,
later), a page at a time; done, snooze, reschedule, cancel, open the party."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static

from reltui.domain.records import FollowUpRow, PartyRef
from reltui.tui.safe import short_date
from reltui.tui.screens.base import FollowUpKeys, OwnerFilter, Section, follow_up_party
from reltui.tui.widgets.keybar import KeyBar
from reltui.tui.widgets.virtual_table import Column, Source, VirtualTable

VIEWS = ("all", "overdue", "today", "week", "later")
VIEW_LABEL = {"all": "all open", "overdue": "overdue", "today": "today", "week": "this week",
              "later": "later"}

COLUMNS = (
    Column("When", 9, drop=1),
    Column("Due", 16),
    Column("Party", 20),
    Column("About", None, least=24),  # at 80 columns: the text rather than the repeat rule
    Column("Pri", 4),
    Column("Repeats", 9, drop=2),
)


def bucket(due: date, today: date) -> str:
    if due < today:
        return "overdue"
    if due == today:
        return "today"
    if due < today + timedelta(days=8):
        return "this week"
    return "later"


def view_range(view: str, today: date) -> dict:
    """The due_from / due_before bounds of a view."""
    week_end = today + timedelta(days=8)
    return {
        "all": {},
        "overdue": {"due_before": today},
        "today": {"due_from": today, "due_before": today + timedelta(days=1)},
        "week": {"due_from": today + timedelta(days=1), "due_before": week_end},
        "later": {"due_from": week_end},
    }[view]


def agenda_counts(services, owner: str | None = None) -> dict[str, int]:  # noqa: ANN001 - a worker
    today = services.today()
    return {view: services.count_follow_ups(**view_range(view, today), owner=owner) for view in VIEWS}


def agenda_source(services, view: str, today: date,  # noqa: ANN001
                  owner: str | None = None) -> Source[FollowUpRow]:
    bounds = {**view_range(view, today), "owner": owner}

    def cells(row: FollowUpRow) -> list[str]:
        due = short_date(row.due_on, today)  # "2 Nov 2025": another year goes without its weekday
        if row.due_on.year == today.year:
            due = f"{row.due_on:%a} {due}"  # "Mon 2 Nov": 16 columns with the hour
        if row.due_time:
            due += f" {row.due_time:%H:%M}"
        return [bucket(row.due_on, today), due, row.party_name, row.text,
                row.priority if row.priority != "normal" else "", row.repeat or ""]

    return Source(
        count=partial(services.count_follow_ups, **bounds),
        page=lambda offset, limit: services.follow_ups(**bounds, offset=offset, limit=limit),
        cells=cells,
        tone=lambda row: "alert" if row.due_on < today else "",
    )


class AgendaScreen(FollowUpKeys, OwnerFilter, Section):
    help_title = "Agenda"
    DEFAULT_CSS = """
    AgendaScreen #counts { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        Binding("v", "view", "View", id="agenda.view",
                tooltip="Show all, overdue, today, this week, later (cycles)"),
        *FollowUpKeys.FOLLOW_UP_BINDINGS,
        *OwnerFilter.OWNER_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "all"
        self.counts: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static("", id="counts")
        yield VirtualTable(COLUMNS, empty="No open follow-ups here. f schedules one.",
                           select=lambda row: self.app.open_party(row.party_id), id="agenda")
        yield KeyBar()

    def on_mount(self) -> None:
        super().on_mount()
        self.set_focus(self.table)

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#agenda", VirtualTable)

    def reload(self, *, keep_cursor: bool = True) -> None:
        services = self.app.services
        whose = self.app.whose
        self.table.set_source(agenda_source(services, self.view, self.app.today, whose),
                              keep_cursor=keep_cursor)
        self.app.run_db(agenda_counts, services, whose, then=self._counted, group="agenda-counts",
                        exclusive=True)

    def _counted(self, counts: dict[str, int]) -> None:
        self.counts = counts
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, view in enumerate(VIEWS[1:]):
            if i:
                text.append(" · ")
            style = "bold reverse" if view == self.view else ("red" if view == "overdue" and counts[view] else "")
            text.append(f"{VIEW_LABEL[view]} {counts[view]:,}", style=style)
        text.append(f" · showing {VIEW_LABEL[self.view]} (v changes) · {self.app.whose_label()} (u)",
                    style="dim")
        self.query_one("#counts", Static).update(text)

    def action_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.reload(keep_cursor=False)

    def current_follow_up(self) -> FollowUpRow | None:
        return self.table.current

    def current_party(self) -> PartyRef | None:
        return follow_up_party(self.table.current)

