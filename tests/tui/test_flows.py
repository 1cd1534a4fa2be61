"""The daily loop driven by real key presses; each test checks the screen and the database."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input

from reltui.domain.enums import Rung
from reltui.services import Services
from reltui.tui.modals.base import Confirm, Form
from reltui.tui.modals.forms import ContactForm, FollowUpForm
from reltui.tui.modals.help import HelpScreen
from reltui.tui.screens.agenda import AgendaScreen
from reltui.tui.screens.ladder import LadderScreen
from reltui.tui.screens.parties import PartiesScreen
from reltui.tui.screens.party import PartyScreen
from reltui.tui.screens.today import TodayScreen
from reltui.tui.widgets.virtual_table import VirtualTable

from tui_helpers import NOW, TODAY, add, make_app, open_import, press, screen_text, settle, type_text


def _open(svc: Services, status: str = "open"):
    return {f.text: f for f in svc.follow_ups(status=status)}


async def test_first_run_says_how_to_begin(svc):
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert isinstance(app.screen, TodayScreen)
        assert "This book is empty" in text
        assert "reltui --db sample.db" in text
        assert "n        add a party" in text


async def test_today_lists_due_work_and_marks_it_done(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert "OVERDUE" in text and "Send the quote" in text
        assert "DUE TODAY" in text and "Call about the renewal" in text
        assert "GOING COLD" in text and "5 days past the 7-day cadence" in text  # Bob
        assert "Check in" not in text  # due in December: the agenda's, not today's
        # the cursor starts on the Overdue heading; one down is the overdue follow-up
        await press(app, pilot, "down", "d")
        assert "Send the quote" not in _open(svc)
        assert _open(svc, "done")["Send the quote"].done_on == TODAY
        assert "Send the quote" not in screen_text(app)


async def test_snooze_from_today_moves_it_a_day_then_a_week(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "down", "s")  # overdue: snoozed from today, not from its due date
        assert _open(svc)["Send the quote"].due_on == date(2026, 11, 23)
        rows = [line.item for line in app.screen.lines.values() if line.section == "follow-up"]
        assert [r.text for r in rows] == ["Call about the renewal"]


async def test_log_a_contact_from_anywhere_in_four_steps(svc, book):
    """One key, a party (fuzzy-picked), a subject, Enter."""
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "m")  # from the metrics screen, where no party is in focus
        await press(app, pilot, "l")
        assert isinstance(app.screen, ContactForm)
        await type_text(app, pilot, "ada")
        await press(app, pilot, "enter")
        await type_text(app, pilot, "Talked about the quote")
        await press(app, pilot, "enter")
        assert not isinstance(app.screen, ContactForm)
        contacts = [e for e in svc.timeline(book["ada"]) if e.kind == "interaction"]
        assert [e.title for e in contacts] == ["Talked about the quote"]
        assert svc.get_party(book["ada"]).last_contact_at == NOW


async def test_refused_form_keeps_what_was_typed(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p", "enter")  # Acme Ltd, first by name
        assert isinstance(app.screen, PartyScreen)
        await press(app, pilot, "f")
        form = app.screen
        assert isinstance(form, FollowUpForm)
        await type_text(app, pilot, "9999-99-99")
        assert "✗" in str(form.query_one("#due-hint").render())  # refused as you type
        await press(app, pilot, "tab")
        await type_text(app, pilot, "Send the contract")
        await press(app, pilot, "enter")
        assert app.screen is form  # still open, nothing lost
        assert form.query_one("#due", Input).value == "9999-99-99"
        assert form.query_one("#text", Input).value == "Send the contract"
        assert app.focused is form.query_one("#due", Input)
        assert "Send the contract" not in _open(svc)
        # fix the date: the parsed date shows as you type, and Enter saves
        form.query_one("#due", Input).value = ""
        await type_text(app, pilot, "next fri 10:00")
        assert "Fri 27 Nov 2026" in str(form.query_one("#due-hint").render())
        await press(app, pilot, "enter")
        assert app.screen is not form
        saved = _open(svc)["Send the contract"]
        assert (saved.due_on, saved.due_time.hour, saved.party_id) == (date(2026, 11, 27), 10, book["acme"])


async def test_a_refusal_by_the_services_shows_in_the_form(svc, book):
    """The form passes its own checks, the store refuses (a contact in the future)."""
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p", "enter", "l")
        form = app.screen
        await type_text(app, pilot, "Planned call")
        form.query_one("#when", Input).value = "+1w"
        await press(app, pilot, "ctrl+s")
        assert app.screen is form
        assert "future" in str(form.query_one("#form-error").render())
        assert form.query_one("#subject", Input).value == "Planned call"
        await press(app, pilot, "escape")
        assert isinstance(app.screen, PartyScreen)
        assert all(e.kind != "interaction" for e in svc.timeline(book["acme"]))


async def test_search_as_you_type_counts_and_opens(svc, book):
    for k in range(30):
        add(svc, f"Filler {k:02d}")
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p")
        assert "33 parties" in screen_text(app)
        await press(app, pilot, "slash")
        await type_text(app, pilot, "vip")  # a tag
        assert "1 party" in screen_text(app)
        await press(app, pilot, "down", "enter")
        assert isinstance(app.screen, PartyScreen) and app.screen.party_id == book["ada"]
        await press(app, pilot, "escape")
        await press(app, pilot, "slash")
        app.screen.query_one("#search", Input).value = ""
        await type_text(app, pilot, "fill")
        assert "30 parties" in screen_text(app)
        # Esc cancels the search: the whole list again, and the next key is the list's
        await press(app, pilot, "escape", "x")
        assert app.screen.query_one("#search", Input).value == ""
        assert app.focused is app.screen.query_one(VirtualTable)
        assert "defected" in screen_text(app) and "matching the search" not in screen_text(app)


async def test_filters_and_sort_keys(svc, book):
    svc.record_purchase(book["bob"], "500")
    svc.defect(book["acme"], "price")
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p")
        table = app.screen.query_one(VirtualTable)
        assert table.total == 2  # active only: Acme defected
        await press(app, pilot, "x")
        assert table.total == 1 and table.current.name == "Acme Ltd"
        await press(app, pilot, "x", "k")  # all; kind customer
        assert table.total == 2
        await press(app, pilot, "o", "o", "o", "o", "O")  # sort by revenue, highest first
        assert "by revenue ↓" in screen_text(app)
        assert table.current.name == "Bob Stone"


async def test_party_keys_climb_defect_win_back_and_delete(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.open_party(book["bob"])
        await settle(app, pilot)
        assert "Bob Stone" in screen_text(app) and "▶ prospect" in screen_text(app)
        await press(app, pilot, "plus")
        await type_text(app, pilot, "bought at the fair")
        await press(app, pilot, "enter")
        assert svc.get_party(book["bob"]).rung is Rung.CUSTOMER
        assert "▶ customer" in screen_text(app)
        await press(app, pilot, "x")
        await press(app, pilot, "enter")  # opens the reason list
        await press(app, pilot, "down", "enter")  # service
        await press(app, pilot, "ctrl+s")
        detail = svc.get_party(book["bob"])
        assert detail.defection.reason == "service" and not detail.active
        assert "DEFECTED" in screen_text(app)
        await press(app, pilot, "w")
        assert svc.get_party(book["bob"]).active
        await press(app, pilot, "D")
        assert isinstance(app.screen, Confirm)
        assert "1 interactions" in screen_text(app) or "interaction" in screen_text(app)
        await press(app, pilot, "n")
        assert svc.count_parties(status="all") == 3
        await press(app, pilot, "D", "y")
        assert svc.count_parties(status="all") == 2
        assert not isinstance(app.screen, PartyScreen)


async def test_purchase_and_feedback_forms(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.open_party(book["ada"])
        await settle(app, pilot)
        await press(app, pilot, "dollar_sign")
        await type_text(app, pilot, "abc")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, Form) and "number" in str(app.screen.query_one("#revenue-hint").render())
        app.screen.query_one("#revenue", Input).value = "1,250.50"
        await press(app, pilot, "tab")
        await type_text(app, pilot, "250")
        await press(app, pilot, "enter")
        detail = svc.get_party(book["ada"])
        assert (str(detail.revenue), str(detail.profit), detail.purchases) == ("1250.50", "1000.50", 1)
        await press(app, pilot, "r")
        await type_text(app, pilot, "11")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, Form)  # 0 to 10 only
        app.screen.query_one("#score", Input).value = "9"
        await press(app, pilot, "enter")
        assert any(e.title == "Feedback 9/10" for e in svc.timeline(book["ada"]))


async def test_add_and_edit_a_party(svc):
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        await type_text(app, pilot, "Grace Hopper")
        form = app.screen
        form.query_one("#birthday", Input).value = "--12-09"
        form.query_one("#emails", Input).value = "grace@example.org, gh@example.net"
        await press(app, pilot, "ctrl+s")
        assert isinstance(app.screen, PartyScreen)
        party_id = app.screen.party_id
        detail = svc.get_party(party_id)
        assert detail.birthday.iso() == "--12-09" and len(detail.emails) == 2
        await press(app, pilot, "e")
        app.screen.query_one("#organisation", Input).value = "US Navy"
        await press(app, pilot, "ctrl+s")
        assert svc.get_party(party_id).organisation == "US Navy"
        assert "US Navy" in screen_text(app)


async def test_agenda_views_and_reschedule(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "a")
        assert isinstance(app.screen, AgendaScreen)
        text = screen_text(app)
        assert "overdue 1 · today 1 · this week 0 · later 1" in text
        assert "monthly" in text  # the repeat rule shows
        table = app.screen.query_one(VirtualTable)
        assert table.current.text == "Send the quote"
        await press(app, pilot, "r")
        await type_text(app, pilot, "2026-12-01")
        await press(app, pilot, "enter")
        assert _open(svc)["Send the quote"].due_on == date(2026, 12, 1)
        await press(app, pilot, "v")  # overdue only: none left
        assert table.total == 0
        await press(app, pilot, "v", "v", "v")  # later
        assert table.total == 2
        await press(app, pilot, "c", "y")
        assert len(_open(svc)) == 2


async def test_ladder_board_moves_a_party_up(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "b")
        assert isinstance(app.screen, LadderScreen)
        assert "prospect 3" in screen_text(app)
        await press(app, pilot, "plus", "enter")
        assert svc.get_party(book["acme"]).rung is Rung.CUSTOMER
        assert "prospect 2" in screen_text(app) and "customer 1" in screen_text(app)
        await press(app, pilot, "right", "minus", "enter")
        assert svc.get_party(book["acme"]).rung is Rung.PROSPECT


async def test_help_lists_the_keys_of_the_screen(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.open_party(book["ada"])
        await settle(app, pilot)
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {description: keys for keys, description, _more in app.screen.rows}
        assert listed["Climb"] == "+, =" and listed["Delete"] == "D" and listed["Log"] == "l"
        for words in ("Descend", "Defected", "Win back", "Follow-up", "Purchase", "Feedback",
                      "Edit", "Parties", "Agenda", "Metrics"):
            assert words in listed
        assert "Keys: Party" in screen_text(app) and "Climb" in screen_text(app)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, PartyScreen)


async def test_palette_finds_a_party_and_a_screen(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "ctrl+p")
        await type_text(app, pilot, "lovelace")
        await pilot.pause(0.5)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PartyScreen) and app.screen.party_id == book["ada"]
        await press(app, pilot, "ctrl+p")
        await type_text(app, pilot, "go to agenda")
        await pilot.pause(0.5)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, AgendaScreen)


async def test_another_process_writing_the_book_shows_up(svc, book, book_target):
    from reltui.store import open_store

    app = make_app(svc, poll_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p")
        assert app.screen.query_one(VirtualTable).total == 3
        other = open_store(book_target)  # a second connection, as another terminal has
        try:
            add(Services(other, clock=lambda: NOW), "Written Elsewhere")
        finally:
            other.close()
        for _ in range(30):
            await pilot.pause(0.1)
            await app.workers.wait_for_complete()
            if "Written Elsewhere" in screen_text(app):
                break
        assert "Written Elsewhere" in screen_text(app)
        assert app.screen.query_one(VirtualTable).total == 4


async def test_hostile_names_show_literally_and_emit_no_escape(svc):
    evil = "[bold red]Mallory[/] \x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07 \u202eevil"
    party_id = add(svc, evil, notes="[link=http://x]click[/link] \x1b[2J")
    svc.log_interaction(party_id, "[/] \x1b[31mred\x1b[0m")
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for keys in (("p",), ("enter",)):
            await press(app, pilot, *keys)
            text = screen_text(app)
            assert "[bold red]Mallory[/]" in text
            assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        svg = app.export_screenshot()
        assert "\x1b" not in svg and "pwned" in svg  # shown as text, never obeyed


async def test_virtual_list_reads_pages_not_the_book(svc):
    from reltui.sample import generate

    generate(svc.store, parties=3000, seed=3, today=TODAY)
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p")
        table = app.screen.query_one(VirtualTable)
        total = table.total
        assert total > 2000
        await press(app, pilot, "end")
        await settle(app, pilot)
        last = svc.list_parties(status="active", offset=total - 1, limit=1)[0]
        assert table.current == last
        assert last.name in screen_text(app)
        await press(app, pilot, "pageup", "home")
        assert table.current == svc.list_parties(status="active", limit=1)[0]
        assert len(table._pages) <= 24  # a bounded cache of pages, never the whole book
        cursor_line, other_line = table.render_line(1), table.render_line(2)  # row 0 is the header
        cursor_bg = {seg.style.bgcolor for seg in cursor_line if seg.style}
        assert cursor_bg and cursor_bg != {seg.style.bgcolor for seg in other_line if seg.style}


async def test_terminal_resizes_redraw_every_screen(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key in ("t", "p", "a", "b", "m"):
            await press(app, pilot, key)
            for size in ((20, 5), (300, 100), (80, 24)):
                await pilot.resize_terminal(*size)
                await settle(app, pilot)
        app.open_party(book["ada"])
        await pilot.resize_terminal(20, 5)
        await settle(app, pilot)
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        assert "Ada Lovelace" in screen_text(app)


def test_no_module_below_the_faces_imports_textual():
    import subprocess
    import sys

    code = ("import sys, reltui.services, reltui.store, reltui.domain, reltui.sample, reltui.cli;"
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"




async def test_tier_filter_shows_the_pyramid_tier(svc, book):
    from datetime import date as day

    for k in range(9):  # ten buyers: platinum is the top ceil(10%) = 1 by profit
        pid = add(svc, f"Buyer {k}")
        svc.record_purchase(pid, str(100 + k), on=day(2026, 6, 1))
    svc.record_purchase(book["bob"], "5000", on=day(2026, 6, 1))
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p", "T")
        table = app.screen.query_one(VirtualTable)
        assert table.total == 1 and table.current.name == "Bob Stone"
        assert "tier platinum" in screen_text(app)
        await press(app, pilot, "T")  # gold: the next ceil(20%) = 2
        assert table.total == 2
        assert {table.row_at(0).name, table.row_at(1).name} == {"Buyer 8", "Buyer 7"}


async def test_import_shows_the_dry_run_then_imports(svc, book, tmp_path):
    card = tmp_path / "phone.vcf"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Grace Hopper\r\nEMAIL:grace@example.org\r\n"
                    "END:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\n"
                    "EMAIL:ada@example.org\r\nEND:VCARD\r\n", encoding="utf-8")
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_import(app, pilot, card)
        await press(app, pilot, "enter")
        text = screen_text(app)
        assert "would be" in text and "Enter imports" in text
        assert svc.count_parties(status="all") == 3  # a dry run changes nothing
        await press(app, pilot, "enter")
        await settle(app, pilot)
        assert "Imported: 1 added" in screen_text(app)
        assert svc.count_parties(status="all") == 4  # Ada was a duplicate (same email): skipped
        await press(app, pilot, "escape")
        assert isinstance(app.screen, TodayScreen)


async def test_export_writes_what_the_list_shows(svc, book, tmp_path):
    import csv
    import stat

    target = tmp_path / "vips.csv"
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p", "slash")
        await type_text(app, pilot, "vip")
        await press(app, pilot, "enter", "E")
        app.screen.query_one("#path", Input).value = str(target)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, PartiesScreen)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [row["name"] for row in rows] == ["Ada Lovelace"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_pages_read_from_the_far_end_match_the_forward_order(svc):
    from reltui.sample import generate
    from reltui.tui.screens.parties import Query, party_source

    generate(svc.store, parties=700, seed=4, today=TODAY)
    for query in (Query(), Query(sort="revenue", descending=True), Query(status="all", sort="rung")):
        source = party_source(svc, query, lambda: TODAY)
        total = source.count()
        forward = svc.list_parties(**query.filters(), sort=query.sort, descending=query.descending,
                                   limit=10_000)
        assert len(forward) == total
        for offset in (0, 90, total // 2 + 1, total - 150, total - 37, total - 1):
            assert list(source.page(offset, 100)) == forward[offset:offset + 100], (query, offset)


async def test_path_completion_suggests_from_the_folder(tmp_path):
    from reltui.tui.modals.data import PathSuggester

    (tmp_path / "contacts.vcf").write_text("", encoding="utf-8")
    (tmp_path / "exports").mkdir()
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "cont")) == str(tmp_path / "contacts.vcf")
    assert await suggester.get_suggestion(str(tmp_path / "exp")) == str(tmp_path / "exports") + "/"
    assert await suggester.get_suggestion(str(tmp_path / "zzz")) is None


async def test_export_never_overwrites_a_file(svc, book, tmp_path):
    target = tmp_path / "taken.csv"
    target.write_text("mine", encoding="utf-8")
    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p", "E")
        form = app.screen
        form.query_one("#path", Input).value = str(target)
        await press(app, pilot, "enter")
        assert app.screen is form and "exists" in str(form.query_one("#form-error").render())
    assert target.read_text(encoding="utf-8") == "mine"
