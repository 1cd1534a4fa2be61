"""Keys. The footer (KeyBar): the screen's keys in one line, whole keys only when they don't
all fit, help and the palette always in sight; a click presses a key; a disabled key is dimmed.
And keys typed in one burst after the search key go into the search."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from tui_helpers import make_app, press, screen_text, settle

from reltui.tui.screens.parties import PartiesScreen
from reltui.tui.widgets.keybar import KeyBar


def footer(app) -> str:  # noqa: ANN001
    return screen_text(app).splitlines()[-1]


async def test_the_keys_of_the_screen_in_focus(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        line = footer(app)
        assert line.startswith("d Done s +1 day r Move u Whose t Today p Parties")
        assert line.rstrip().endswith("? Help ▏^p palette")
        await press(app, pilot, "p")
        line = footer(app)
        assert line.startswith("/ Search o Sort r Rung k Kind")  # the new screen's own keys
        assert "d Done" not in line


async def test_a_narrow_terminal_shows_whole_keys_and_keeps_help_in_sight(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(60, 20)) as pilot:
        await press(app, pilot, "p")
        line = footer(app)
        assert len(line) <= 60
        assert line.rstrip().endswith(" ? Help ▏^p palette")  # a space before it, always
        shown = line.split("? Help")[0].rstrip()
        # every key drawn is whole: the text before the help key ends with a full label
        labels = ["Search", "Sort", "Rung", "Kind", "Active/defected", "Whose", "Today", "Parties"]
        assert any(shown.endswith(label) for label in labels), shown
        await press(app, pilot, "question_mark")  # and help lists them all
        assert "Keys: Parties" in screen_text(app)


async def test_a_click_on_a_key_presses_it(svc, book):
    app = make_app(svc)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(app, pilot)
        line = footer(app)
        x = line.index("p Parties")
        await pilot.click(KeyBar, offset=(x + 2, 0))
        await settle(app, pilot)
        assert isinstance(app.screen, PartiesScreen)


class Dimmed(App[None]):
    BINDINGS = [Binding("x", "export", "Export"), Binding("z", "zap", "Zap")]

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        return None if action == "zap" else True  # None: shown, but disabled

    def action_zap(self) -> None:
        self.zapped = True


async def test_a_disabled_key_is_dimmed_and_a_click_on_it_only_rings():
    app = Dimmed()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        bar = app.query_one(KeyBar)
        text = bar.render()
        assert text.plain.startswith("x Export z Zap")
        zap = text.plain.index("z Zap")
        dim = [span.style for span in text.spans if span.start == zap]
        assert dim and all(getattr(style, "dim", False) for style in dim)
        rang = []
        app.bell = lambda: rang.append(True)
        await pilot.click(KeyBar, offset=(zap, 0))
        await pilot.pause()
        assert rang and not getattr(app, "zapped", False)


async def test_search_typed_in_one_burst_goes_into_the_search(svc, book):
    # over SSH a fast "/ada" arrives in one read: the keys after "/" are routed only once the
    # search box has the focus, not to the list (where "a" would open the agenda)
    from textual import events
    from textual.widgets import Input

    app = make_app(svc)
    async with app.run_test(size=(100, 30)) as pilot:
        await press(app, pilot, "p")
        for key, character in (("slash", "/"), ("a", "a"), ("d", "d"), ("a", "a")):
            app.post_message(events.Key(key, character))
        await settle(app, pilot)
        assert isinstance(app.screen, PartiesScreen)
        assert app.screen.query_one("#search", Input).value == "ada"
        assert "1 party · matching the search" in screen_text(app)
