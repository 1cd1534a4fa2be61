"""Who in the TUI: `u` cycles whose parties every section shows; `A` assigns an owner."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input

from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.tui.modals.owner import OwnerPrompt
from reltui.tui.screens.party import PartyScreen
from reltui.tui.widgets.virtual_table import VirtualTable

from tui_helpers import NOW, TODAY, make_app, press, screen_text, type_text


def _team(store) -> Services:  # noqa: ANN001
    """Maya (me) owns Ann and Cy; Tom owns Bob; a follow-up due today on each."""
    me = Services(store, clock=lambda: NOW, user="Maya")
    tom = Services(store, clock=lambda: NOW, user="Tom")
    for name, svc in (("Ann", me), ("Bob", tom), ("Cy", me)):
        party = svc.add_party(PartyIn(name=name))
        svc.schedule_follow_up(party, TODAY, f"Call {name}")
    return me


def _names(app) -> list[str]:  # noqa: ANN001
    table = app.screen.query_one(VirtualTable)
    return [table.row_at(i).name for i in range(table.total)]


async def test_u_cycles_whose_parties_and_the_choice_follows_every_screen(store):
    svc = _team(store)
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(app, pilot, "p")
        assert _names(app) == ["Ann", "Bob", "Cy"]
        assert "everyone's" in screen_text(app) and "u Whose" in screen_text(app)
        await press(app, pilot, "u")
        assert app.whose == "Maya" and _names(app) == ["Ann", "Cy"]
        assert "2 parties · mine" in screen_text(app)
        await press(app, pilot, "u")
        assert app.whose == "Tom" and _names(app) == ["Bob"]
        assert "Tom's" in screen_text(app)
        # the choice holds on Today and the Agenda
        await press(app, pilot, "t")
        text = screen_text(app)
        assert "Call Bob" in text and "Call Ann" not in text and "Tom's" in text
        await press(app, pilot, "a")
        text = screen_text(app)
        assert "Call Bob" in text and "Call Cy" not in text and "today 1" in text
        await press(app, pilot, "u")  # back to everyone's, from the Agenda
        assert app.whose is None
        assert "Call Cy" in screen_text(app) and "today 3" in screen_text(app)
        await press(app, pilot, "p")
        assert _names(app) == ["Ann", "Bob", "Cy"]


async def test_metrics_follow_the_owner_filter(store):
    svc = _team(store)
    for name in ("Ann", "Bob", "Cy"):
        svc.record_purchase(svc.resolve_party(name).id, "100", on=date(2026, 11, 1))
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(app, pilot, "m")
        await press(app, pilot, "u")
        screen = app.screen
        assert screen.result.owner == "Maya" and screen.result.buyers == 2
        assert "mine" in screen_text(app)


async def test_assign_an_owner_from_the_party_screen_and_the_list(store):
    svc = _team(store)
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(app, pilot, "p", "enter")  # Ann
        assert isinstance(app.screen, PartyScreen) and "Maya" in screen_text(app)
        await press(app, pilot, "A")
        assert isinstance(app.screen, OwnerPrompt)
        assert "Known: Maya (you), Tom" in screen_text(app)
        field = app.screen.query_one("#owner", Input)
        field.value = ""
        await type_text(app, pilot, "to")
        await press(app, pilot, "right", "enter")  # the suggestion completes "Tom"
        assert isinstance(app.screen, PartyScreen)
        assert svc.get_party(svc.resolve_party("Ann").id).owner == "Tom"
        assert "Tom" in screen_text(app)
        # a new name from the Parties list row; then nobody
        await press(app, pilot, "escape", "down", "A")  # Bob
        app.screen.query_one("#owner", Input).value = ""
        await type_text(app, pilot, "Zoe")
        await press(app, pilot, "enter")
        assert svc.get_party(svc.resolve_party("Bob").id).owner == "Zoe"
        await press(app, pilot, "A")
        app.screen.query_one("#owner", Input).value = "-"
        await press(app, pilot, "enter")
        assert svc.get_party(svc.resolve_party("Bob").id).owner is None
        assert not isinstance(app.screen, OwnerPrompt)
