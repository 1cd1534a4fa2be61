"""Type-ahead: keys typed in one burst (a fast typist, or one read over SSH) land where the
user meant them, in order, even when an earlier key of the burst opens a form or a screen.

Each test posts the keys at once, as the terminal driver does when they arrive together,
and only then lets the app run."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input
from tui_helpers import add, make_app, press, screen_text, settle

from reltui.tui.modals.forms import ContactForm, PartyForm, PurchaseForm
from reltui.tui.screens.parties import PartiesScreen
from reltui.tui.screens.party import PartyScreen

NAMED = {" ": "space", "/": "slash", "$": "dollar_sign", "\r": "enter"}


def burst(app, keys: str) -> None:  # noqa: ANN001
    for character in keys:
        app.post_message(events.Key(NAMED.get(character, character), character))


def field(app, field_id: str) -> str:  # noqa: ANN001
    return app.screen.query_one(f"#{field_id}", Input).value


async def test_a_contact_typed_straight_after_l_is_logged_whole(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await press(app, pilot, "p")  # the list, Acme Ltd (first by name) highlighted
        burst(app, "lAsked for a quote\r")
        await settle(app, pilot)
        assert not isinstance(app.screen, ContactForm)  # saved and closed
        logged = [e.title for e in svc.timeline(book["acme"]) if e.kind == "interaction"]
        assert logged == ["Asked for a quote"]


async def open_ada(app, pilot, book) -> None:  # noqa: ANN001
    app.open_party(book["ada"])
    await settle(app, pilot)
    assert isinstance(app.screen, PartyScreen)


async def on_the_search(app, pilot, book) -> None:  # noqa: ANN001
    await press(app, pilot, "p", "slash")


async def on_today(app, pilot, book) -> None:  # noqa: ANN001
    await settle(app, pilot)


async def on_the_list(app, pilot, book) -> None:  # noqa: ANN001
    await press(app, pilot, "p")


async def on_a_follow_up_today(app, pilot, book) -> None:  # noqa: ANN001
    await settle(app, pilot)
    await press(app, pilot, "down")  # from the "overdue" heading to its first follow-up
    assert app.current_party() is not None, (app.focused, screen_text(app))


@pytest.mark.parametrize(("start", "keys", "screen", "field_id", "typed"), [
    # n (new party) and a name at once
    (on_today, "nGrace Hopper", PartyForm, "name", "Grace Hopper"),
    # from Today: p (Parties), / (search), "ada"
    (on_today, "p/ada", PartiesScreen, "search", "ada"),
    # $ (a purchase) and its amount
    (open_ada, "$120", PurchaseForm, "revenue", "120"),
    # the keys that open forms everywhere are plain letters inside a text field
    (on_the_search, "nlf", PartiesScreen, "search", "nlf"),
    # Enter on a list opens the party; "$120" is a purchase of the party it opens
    (on_the_list, "\r$120", PurchaseForm, "revenue", "120"),
    (on_a_follow_up_today, "\r$75", PurchaseForm, "revenue", "75"),
    # Enter leaves the search for the list at once: the key after it (k, the kind filter)
    # is the list's, not one more letter of the search
    (on_today, "p/ada\rk", PartiesScreen, "search", "ada"),
])
async def test_keys_after_a_screen_key_go_into_its_field(svc, book, start, keys, screen, field_id, typed):
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(app, pilot, book)
        burst(app, keys)
        await settle(app, pilot)
        assert isinstance(app.screen, screen)
        assert field(app, field_id) == typed


@pytest.mark.parametrize("start", [on_the_list, on_a_follow_up_today])
async def test_enter_then_a_purchase_is_the_opened_partys(svc, book, start):
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(app, pilot, book)
        party = app.current_party()
        burst(app, "\r$120\r")
        await settle(app, pilot)
        assert isinstance(app.screen, PartyScreen) and app.screen.detail.id == party.id
        bought = [e.title for e in svc.timeline(party.id) if e.kind == "purchase"]
        assert len(bought) == 1 and "120.00" in bought[0]


async def test_enter_on_a_figures_party_then_a_purchase(svc, book):
    from datetime import date

    from reltui.tui.screens.metrics import FigureDetail

    for name in ("ada", "bob"):  # active at the start of the period: behind retention
        svc.record_purchase(book[name], "100", on=date(2025, 6, 1))
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await press(app, pilot, "m")
        await press(app, pilot, "enter")  # the retention card: its definition and parties
        assert isinstance(app.screen, FigureDetail)
        burst(app, "\r$45")
        await settle(app, pilot)
        assert isinstance(app.screen, PurchaseForm)
        assert field(app, "revenue") == "45"


async def test_the_palette_gets_what_is_typed_after_ctrl_p(svc, book):
    from textual.command import CommandPalette

    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.post_message(events.Key("ctrl+p", None))
        burst(app, "agen")
        await settle(app, pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).value == "agen"


async def test_a_move_on_the_board_then_enter_opens_from_the_new_column(svc, book):
    # → moves the focus to the next rung's column at once: the Enter right after it opens
    # the party there, not one in the column the focus came from
    from reltui.tui.screens.ladder import LadderScreen

    add(svc, "Cleo Regular", rung="customer")
    app = make_app(svc)
    async with app.run_test(size=(120, 30)) as pilot:
        await press(app, pilot, "b")
        assert isinstance(app.screen, LadderScreen)
        app.post_message(events.Key("right", None))
        app.post_message(events.Key("enter", "\r"))
        await settle(app, pilot)
        assert isinstance(app.screen, PartyScreen)
        assert app.screen.detail.name == "Cleo Regular"
