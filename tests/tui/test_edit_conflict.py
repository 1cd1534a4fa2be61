"""Two terminals editing the same party: the form merges, or shows both versions and asks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, TextArea

from reltui.services import Services
from reltui.store import open_store
from reltui.tui.modals.conflict import ConflictModal
from reltui.tui.modals.forms import PartyForm
from reltui.tui.screens.party import PartyScreen

from tui_helpers import NOW, add, make_app, press, screen_text, settle


@pytest.fixture
def other(book_target, store):
    """A colleague's terminal: its own connection to the same book."""
    other_store = open_store(book_target)
    yield Services(other_store, clock=lambda: NOW)
    other_store.close()


def change_elsewhere(other: Services, party_id: int, **changes) -> None:
    """What another terminal's form does: open, change, save."""
    base = other.get_party(party_id).to_input()
    other.edit_party(party_id, replace(base, **changes), base=base)


async def open_edit_form(app, pilot, party_id: int) -> PartyForm:
    app.open_party(party_id)
    await settle(app, pilot)
    await press(app, pilot, "e")
    assert isinstance(app.screen, PartyForm)
    return app.screen


async def test_a_clash_shows_both_versions_and_keeps_the_one_picked(svc, other):
    ann = add(svc, "Ann Lee", notes="likes tea", phones=("555 0100",))
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_edit_form(app, pilot, ann)
        form.query_one("#notes", TextArea).text = "likes [b]coffee[/b]"
        form.query_one("#source", Input).value = "web"
        change_elsewhere(other, ann, notes="likes green tea", phones=("555 0199",))
        await press(app, pilot, "ctrl+s")

        assert isinstance(app.screen, ConflictModal)
        text = screen_text(app)
        assert "Changed elsewhere while you edited Ann Lee" in text
        assert "notes: pick t or y" in text
        assert "likes green tea" in text and "likes [b]coffee[/b]" in text  # text, not markup
        assert "theirs (t)" in text and "yours (y)" in text
        assert svc.get_party(ann).notes == "likes green tea"  # nothing written yet

        await press(app, pilot, "enter")  # nothing picked: it says so and stays
        assert isinstance(app.screen, ConflictModal)
        assert "Pick theirs (t) or yours (y) for: notes." in screen_text(app)

        await press(app, pilot, "y")
        assert "notes: keeping yours" in screen_text(app)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PartyScreen)
        party = svc.get_party(ann)
        assert party.notes == "likes [b]coffee[/b]"  # mine, as picked
        assert party.source == "web"  # my other change
        assert party.phones == ("555 0199",)  # their other change
        assert any("kept the phones changed elsewhere" in str(n.message) for n in app._notifications)


async def test_picking_theirs_keeps_their_value_and_the_rest_of_mine(svc, other):
    ann = add(svc, "Ann Lee", notes="likes tea", organisation="Lee & Co")
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        form = await open_edit_form(app, pilot, ann)
        form.query_one("#notes", TextArea).text = "likes coffee"
        form.query_one("#organisation", Input).value = "Acme"
        change_elsewhere(other, ann, notes="likes green tea", organisation="Lee Ltd")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, ConflictModal)
        assert len(app.screen.rows) == 2
        await press(app, pilot, "T")  # every field: theirs
        assert "notes: keeping theirs" in screen_text(app)
        modal = app.screen
        assert modal.focused.conflict.field == "organisation"  # the rows go in form order
        await press(app, pilot, "down")
        assert modal.focused.conflict.field == "notes"
        await press(app, pilot, "up", "right")  # ... but my organisation
        assert "organisation: keeping yours" in screen_text(app)
        assert "notes: keeping theirs" in screen_text(app)
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, PartyScreen)
        party = svc.get_party(ann)
        assert (party.notes, party.organisation) == ("likes green tea", "Acme")


async def test_escape_goes_back_to_the_form_as_typed(svc, other):
    ann = add(svc, "Ann Lee", notes="likes tea")
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_edit_form(app, pilot, ann)
        form.query_one("#notes", TextArea).text = "likes coffee"
        form.query_one("#cadence", Input).value = "14"
        change_elsewhere(other, ann, notes="likes green tea")
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, ConflictModal)
        await press(app, pilot, "escape")
        assert app.screen is form
        assert form.query_one("#notes", TextArea).text == "likes coffee"
        assert form.query_one("#cadence", Input).value == "14"
        assert "Not saved: it changed elsewhere too; ctrl+s asks again." in screen_text(app)
        party = svc.get_party(ann)
        assert (party.notes, party.cadence_days) == ("likes green tea", None)
        await press(app, pilot, "ctrl+s")  # saving again asks again
        assert isinstance(app.screen, ConflictModal)


async def test_a_third_change_while_choosing_is_caught_again(svc, other):
    ann = add(svc, "Ann Lee", notes="likes tea")
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_edit_form(app, pilot, ann)
        form.query_one("#notes", TextArea).text = "likes coffee"
        change_elsewhere(other, ann, notes="likes green tea")
        await press(app, pilot, "ctrl+s")
        first = app.screen
        assert isinstance(first, ConflictModal)
        await press(app, pilot, "y")
        change_elsewhere(other, ann, notes="tea, black")  # lands while the choice is made
        await press(app, pilot, "enter")
        assert isinstance(app.screen, ConflictModal) and app.screen is not first
        assert "tea, black" in screen_text(app)
        assert svc.get_party(ann).notes == "tea, black"
        await press(app, pilot, "y", "enter")
        assert svc.get_party(ann).notes == "likes coffee"


async def test_a_change_to_another_field_merges_with_a_notice(svc, other):
    ann = add(svc, "Ann Lee", notes="likes tea", phones=("555 0100",))
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        form = await open_edit_form(app, pilot, ann)
        form.query_one("#notes", TextArea).text = "likes coffee"
        change_elsewhere(other, ann, phones=("555 0199",), tags=("golf",))
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, PartyScreen)  # no question asked
        party = svc.get_party(ann)
        assert party.notes == "likes coffee"
        assert party.phones == ("555 0199",) and party.tags == ("golf",)
        messages = [str(n.message) for n in app._notifications]
        assert "Saved; kept the phones and tags changed elsewhere." in messages
        assert "555 0199" in screen_text(app)
