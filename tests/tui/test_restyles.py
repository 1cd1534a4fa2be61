"""What opening the sections costs in restyles: the whole stylesheet is not read again for a
new section, and the footer's keys are not restyled one by one (see screens.base.StyledScreen
and widgets.keybar). Counted, not timed: each would show as a slower start."""

from __future__ import annotations

from collections import Counter

from textual.app import App
from textual.dom import DOMNode
from tui_helpers import make_app, press, settle


async def test_opening_each_section_reads_no_stylesheet_again(svc, book, monkeypatch):
    refreshes = Counter()
    original = App.refresh_css

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        refreshes["css"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(App, "refresh_css", counted)
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        at_start = refreshes["css"]  # the theme set at start: Textual's own
        for key in ("p", "a", "b", "m"):  # each section opened for the first time
            await press(app, pilot, key)
            assert type(app.screen).__name__.lower().startswith(
                {"p": "parties", "a": "agenda", "b": "ladder", "m": "metrics"}[key])
        assert refreshes["css"] == at_start


async def test_no_widget_is_restyled_one_at_a_time_as_a_section_opens(svc, book, monkeypatch):
    restyled = Counter()
    original = DOMNode.update_node_styles

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        restyled[type(self).__name__] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DOMNode, "update_node_styles", counted)
    app = make_app(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "p")
        await press(app, pilot, "down", "enter")  # a party
    # screens and the focused widgets restyle as the focus moves (a dozen in all); with a
    # footer key each restyled on its own it was 56
    assert restyled and sum(restyled.values()) < 20, restyled
