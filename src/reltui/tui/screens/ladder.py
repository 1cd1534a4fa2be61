"""The ladder board: a column per rung, lowest on the left, with its count and its parties
(each column a virtual list); + and - move the selected party one rung."""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, Static

from reltui.domain.enums import RUNG_MEANING, Rung
from reltui.domain.records import PartyRef, PartyRow
from reltui.tui.screens.base import Section
from reltui.tui.widgets.keybar import KeyBar
from reltui.tui.widgets.virtual_table import Column, Source, VirtualTable


def rung_source(services, rung: Rung) -> Source[PartyRow]:  # noqa: ANN001
    filters = {"rung": rung.value, "status": "active"}
    return Source(
        count=partial(services.count_parties, **filters),
        page=lambda offset, limit: services.list_parties(**filters, sort="name", offset=offset,
                                                         limit=limit),
        cells=lambda row: [row.name],
    )


class LadderScreen(Section):
    help_title = "Ladder board"
    DEFAULT_CSS = """
    LadderScreen #hint { height: 1; padding: 0 1; background: $panel; }
    LadderScreen #board { height: 1fr; }
    LadderScreen .rung { width: 1fr; border-left: tall $panel; }
    LadderScreen .rung Label { width: 1fr; text-style: bold; background: $boost; }
    LadderScreen .rung VirtualTable { scrollbar-size-vertical: 1; }
    LadderScreen .rung:focus-within Label { background: $accent 50%; }
    """
    BINDINGS = [
        Binding("left", "column(-1)", "◀ Rung", id="ladder.left", show=False,
                tooltip="The rung to the left (lower)"),
        Binding("right", "column(1)", "Rung ▶", id="ladder.right", show=False,
                tooltip="The rung to the right (higher)"),
        Binding("plus,equals_sign", "step(1)", "Climb", id="ladder.climb",
                tooltip="Move the selected party one rung up (with an optional note)"),
        Binding("minus", "step(-1)", "Descend", id="ladder.descend",
                tooltip="Move the selected party one rung down (with an optional note)"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static(Text("Active parties by rung, lowest first. ←→ rung · ↑↓ party · Enter opens · "
                          "+/- moves a rung", no_wrap=True, overflow="ellipsis"), id="hint")
        with Horizontal(id="board"):
            for rung in Rung:
                with Vertical(classes="rung", id=f"col-{rung.value}"):
                    yield Label(rung.value, id=f"title-{rung.value}", markup=False)
                    yield VirtualTable((Column(RUNG_MEANING[rung], None),), id=f"rung-{rung.value}",
                                       empty="nobody yet", select=lambda row: self.app.open_party(row.id))
        yield KeyBar()

    def on_mount(self) -> None:
        super().on_mount()
        self.set_focus(self.query_one(f"#rung-{Rung.PROSPECT.value}", VirtualTable))

    def tables(self) -> list[VirtualTable]:
        return [self.query_one(f"#rung-{rung.value}", VirtualTable) for rung in Rung]

    def reload(self) -> None:
        services = self.app.services
        for rung, table in zip(Rung, self.tables(), strict=True):
            table.set_source(rung_source(services, rung), keep_cursor=True)

    @on(VirtualTable.Loaded)
    def _counted(self, event: VirtualTable.Loaded) -> None:
        rung = event.table.id.removeprefix("rung-")
        self.query_one(f"#title-{rung}", Label).update(f"{rung} {event.total:,}")

    def _focused_index(self) -> int:
        tables = self.tables()
        return tables.index(self.focused) if self.focused in tables else 0

    def action_column(self, step: int) -> None:
        tables = self.tables()
        self.set_focus(tables[(self._focused_index() + step) % len(tables)])

    def current_party(self) -> PartyRef | None:
        row = self.tables()[self._focused_index()].current
        return PartyRef(row.id, row.name) if row else None

    async def action_step(self, step: int) -> None:
        from reltui.tui.modals.forms import RungStepForm

        rung = list(Rung)[self._focused_index()]
        party = self.current_party()
        if party is None:
            self.app.notify("Put the cursor on a party first.", severity="warning", timeout=3)
            return
        if (rung.up() if step > 0 else rung.down()) is None:
            where = "top" if step > 0 else "bottom"
            self.app.notify(f"{rung.value} is the {where} rung.", severity="warning", timeout=3)
            return
        await self.app.push_screen(RungStepForm(party, rung, step))

