"""Parties: everyone in the book. Search as you type, filters, sortable columns, the count
of matches; a virtual list that reads a page at a time, so 100,000 parties open at once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Input, Static

from reltui.domain.enums import Kind, Rung
from reltui.domain.metrics import TIERS
from reltui.domain.money import format_money
from reltui.domain.records import PartyRef, PartyRow
from reltui.tui.safe import short_date
from reltui.tui.screens.base import OwnerFilter, Section
from reltui.tui.widgets.keybar import KeyBar
from reltui.tui.widgets.virtual_table import Column, Source, VirtualTable

SORTS = ("name", "rung", "last_contact", "next_follow_up", "revenue")
SORT_LABEL = {"name": "name", "rung": "rung", "last_contact": "last contact",
              "next_follow_up": "next follow-up", "revenue": "revenue"}
STATUSES = ("active", "defected", "all")

COLUMNS = (
    Column("Name", None),
    Column("Organisation", 18, drop=3),
    Column("Kind", 11, drop=1),
    Column("Rung", 9),
    Column("Last contact", 12),
    Column("Next f-up", 11, drop=2),
    Column("Revenue", 11, right=True),
)


@dataclass(frozen=True)
class Query:
    """What the list shows: the search and the filters, and the order."""

    search: str = ""
    rung: str | None = None
    kind: str | None = None
    tag: str | None = None
    tier: str | None = None  # a tier of the customer pyramid, over the 12 months to today
    status: str = "active"
    sort: str = "name"
    descending: bool = False
    owner: str | None = None  # whose parties (the app's choice): None = everyone's

    def filters(self) -> dict:
        return {"search": self.search or None, "rung": self.rung, "kind": self.kind,
                "tag": self.tag, "status": self.status, "owner": self.owner}

    def describe(self, whose: str = "") -> str:
        parts = [whose] if whose else []
        parts.append(f"{self.status}")
        if self.rung:
            parts.append(f"rung {self.rung}")
        if self.kind:
            parts.append(f"kind {self.kind}")
        if self.tag:
            parts.append(f"tag {self.tag}")
        if self.tier:
            parts.append(f"tier {self.tier}")
        arrow = "↓" if self.descending else "↑"
        parts.append(f"by {SORT_LABEL[self.sort]} {arrow}")
        return " · ".join(parts)


def party_source(services, query: Query, today_fn) -> Source[PartyRow]:  # noqa: ANN001
    def cells(row: PartyRow) -> list[str]:
        today = today_fn()
        return [row.name, row.organisation or "", row.kind.value, row.rung.value,
                short_date(row.last_contact_at, today), short_date(row.next_follow_up_on, today),
                format_money(row.revenue)]

    def tone(row: PartyRow) -> str:
        return "dim" if not row.active else ""

    members: list[list[int]] = []  # a tier's ids, read once per source (both calls run in workers)

    def filters() -> dict:
        chosen = query.filters()
        if query.tier:
            if not members:
                members.append(services.tier_members(query.tier))
            chosen["ids"] = members[0]
        return chosen

    total: list[int] = []  # the last count, so pages past the middle can be read from the end

    def count() -> int:
        total[:] = [services.count_parties(**filters())]
        return total[0]

    def page(offset: int, limit: int) -> list[PartyRow]:
        def rows(start: int, n: int, flip: bool) -> list[PartyRow]:
            return services.list_parties(**filters(), sort=query.sort,
                                         descending=query.descending != flip, offset=start, limit=n)

        if not total or offset <= total[0] // 2:
            return rows(offset, limit, False)
        # OFFSET costs SQLite a walk past every skipped row: from the far end it is short
        end = min(total[0], offset + limit)
        return rows(total[0] - end, end - offset, True)[::-1]

    def tail(limit: int) -> list[PartyRow]:
        # the last rows are the first ones in the reversed order: no count needed
        return services.list_parties(**filters(), sort=query.sort, descending=not query.descending,
                                     limit=limit)[::-1]

    def after(row: PartyRow, limit: int) -> list[PartyRow]:
        # the page past a cached one: a seek in the name index, as quick deep down as at the top
        return services.list_parties(**filters(), sort="name", descending=query.descending,
                                     after=(row.name, row.id), limit=limit)

    def before(row: PartyRow, limit: int) -> list[PartyRow]:
        return services.list_parties(**filters(), sort="name", descending=not query.descending,
                                     after=(row.name, row.id), limit=limit)[::-1]

    keyset = query.sort == "name"
    # the last rows are read with the first when browsing (End), not on every search keystroke
    return Source(count=count, page=page, cells=cells, tone=tone,
                  tail=None if query.search else tail,
                  after=after if keyset else None, before=before if keyset else None)


def _cycle(values: tuple, current, *, with_none: bool = True):  # noqa: ANN001, ANN202
    options = ((None,) if with_none else ()) + tuple(values)
    return options[(options.index(current) + 1) % len(options)]


class PartiesScreen(OwnerFilter, Section):
    help_title = "Parties"
    AUTO_FOCUS = "#parties"  # the list, at once (not the search first, then the list)
    DEFAULT_CSS = """
    PartiesScreen #search { margin: 0 1; }
    PartiesScreen #status { height: 1; padding: 0 1; background: $panel; }
    """
    BINDINGS = [
        # priority: the search box has the focus before the next key is routed, so "/mar"
        # typed fast (or arriving in one read over SSH) is a search for "mar"
        Binding("slash", "search", "Search", id="parties.search", tooltip="Type to search as you go",
                priority=True),
        # from the search to the list: Enter (before the search field takes it: priority) or
        # Down, run as the key arrives, so that keys typed right after go to the list
        Binding("enter", "to_list", "To the list", id="parties.to_list", show=False, priority=True,
                tooltip="From the search to the list"),
        Binding("down", "to_list", "To the list", id="parties.to_list.down", show=False,
                tooltip="From the search to the list"),
        # Esc in the search cancels it: the whole list again, and the keys after it are the list's
        Binding("escape", "cancel_search", "Cancel the search", id="parties.search.cancel", show=False,
                priority=True, tooltip="Empty the search and go back to the whole list"),
        Binding("o", "sort", "Sort", id="parties.sort",
                tooltip="Sort by name, rung, last contact, next follow-up, revenue"),
        Binding("O", "reverse", "Reverse", id="parties.reverse", show=False, tooltip="Reverse the order"),
        Binding("r", "filter_rung", "Rung", id="parties.rung", tooltip="Show one rung (cycles)"),
        Binding("k", "filter_kind", "Kind", id="parties.kind", tooltip="Show one kind (cycles)"),
        Binding("x", "filter_status", "Active/defected", id="parties.status",
                tooltip="Active, defected, or all"),
        Binding("T", "filter_tier", "Tier", id="parties.tier", show=False,
                tooltip="Platinum, gold, iron or lead in the customer pyramid (cycles)"),
        Binding("number_sign", "filter_tag", "Tag", id="parties.tag", show=False,
                tooltip="Show one tag (type it)"),
        Binding("E", "export", "Export", id="parties.export", show=False,
                tooltip="Export the parties shown as vCard, CSV or iCalendar"),
        Binding("backspace", "clear_filters", "Clear", id="parties.clear", show=False,
                tooltip="Clear the search and every filter"),
        *OwnerFilter.OWNER_BINDINGS,
        Binding("A", "app.assign_owner", "Assign", id="party.assign", show=False,
                tooltip="Change the owner (point of contact) of the party under the cursor"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = Query()

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Input(placeholder="Search names, organisations, emails, phones, tags, notes  (/ to come back)",
                    id="search", compact=True)
        yield Static("", id="status")
        yield VirtualTable(COLUMNS, empty="No party matches. Backspace clears the filters; n adds a party.",
                           select=lambda row: self.app.open_party(row.id), id="parties")
        yield KeyBar()

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#parties", VirtualTable)

    def reload(self) -> None:
        if self.query_state.owner != self.app.whose:  # another owner chosen, here or elsewhere
            self._apply(owner=self.app.whose)
            return
        self.table.set_source(party_source(self.app.services, self.query_state, lambda: self.app.today),
                              keep_cursor=True)

    def _apply(self, **changes) -> None:
        self.query_state = replace(self.query_state, **changes)
        self.table.set_source(party_source(self.app.services, self.query_state, lambda: self.app.today))
        self._status()

    def _status(self, total: int | None = None) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        count = total if total is not None else self.table.total if self.table.counted else None
        if count is not None:
            text.append(f"{count:,} " + ("party" if count == 1 else "parties"), style="bold")
            text.append(" · ")
        else:
            text.append("counting… · ", style="dim")
        if self.query_state.search:
            text.append("matching the search · ")
        text.append(self.query_state.describe(self.app.whose_label()), style="dim")
        self.query_one("#status", Static).update(text, layout=False)  # one line, whatever it says

    @on(VirtualTable.Loaded)
    def _loaded(self, event: VirtualTable.Loaded) -> None:
        self._status(event.total)

    # -- search --------------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._apply(search=event.value.strip())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("to_list", "cancel_search"):  # only from the search: in the list, Enter
            return self.focused is self.query_one("#search")  # opens, Down moves
        return super().check_action(action, parameters)

    def action_to_list(self) -> None:
        self.set_focus(self.table)

    def action_cancel_search(self) -> None:
        self.query_one("#search", Input).value = ""  # Input.Changed shows the whole list again
        self.set_focus(self.table)

    def action_search(self) -> None:
        self.set_focus(self.query_one("#search", Input))  # at once, for the next key

    # -- filters and order ------------------------------------------------------------------

    def action_sort(self) -> None:
        self._apply(sort=_cycle(SORTS, self.query_state.sort, with_none=False), descending=False)

    def action_reverse(self) -> None:
        self._apply(descending=not self.query_state.descending)

    def action_filter_rung(self) -> None:
        self._apply(rung=_cycle(tuple(r.value for r in Rung), self.query_state.rung))

    def action_filter_kind(self) -> None:
        self._apply(kind=_cycle(tuple(k.value for k in Kind), self.query_state.kind))

    def action_filter_tier(self) -> None:
        self._apply(tier=_cycle(TIERS, self.query_state.tier))

    def action_filter_status(self) -> None:
        self._apply(status=_cycle(STATUSES, self.query_state.status, with_none=False))

    async def action_filter_tag(self) -> None:
        from reltui.tui.modals.forms import TagPrompt

        await self.app.push_screen(TagPrompt(self.query_state.tag or ""),
                                   lambda tag: None if tag is None else self._apply(tag=tag or None))

    async def action_export(self) -> None:
        from reltui.tui.modals.data import ExportForm

        filters = {**self.query_state.filters(), "tier": self.query_state.tier}
        default = f"~/reltui-parties-{self.app.today.isoformat()}.csv"
        await self.app.push_screen(ExportForm(filters, self.table.total if self.table.counted else None, default))

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        self._apply(search="", rung=None, kind=None, tag=None, tier=None, status="active")

    # -- the party under the cursor ---------------------------------------------------------

    def current_party(self) -> PartyRef | None:
        row = self.table.current
        return PartyRef(row.id, row.name) if row else None

