"""The Metrics screen driven by real key presses: figures, period and segment keys, the
drill-down and opening a party, typed dates, safety of data at the glass."""

from __future__ import annotations

import contextlib
import math

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerFailed

import reltui.tui.app as app_module
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.store import open_store
from reltui.tui.app import ReltuiApp
from reltui.tui.screens.metrics import FigureCard, FigureDetail, MetricsScreen, PeriodDialog

NOW = datetime(2026, 11, 22, 10, 0)


class Host(ReltuiApp):
    """The app with the Metrics screen on top; records the parties it was asked to open."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, services: Services) -> None:
        super().__init__(services, poll_seconds=None)
        self.opened: list[int] = []

    def on_mount(self) -> None:
        super().on_mount()
        self.push_screen(MetricsScreen())

    def open_party(self, party_id: int) -> None:
        self.opened.append(party_id)
        self.call_later(self.release_keys)  # as the real one does once the party is shown


@pytest.fixture
def svc(book_target):
    store = open_store(book_target)
    yield Services(store, clock=lambda: NOW)
    store.close()


def _add(svc: Services, name: str, **kwargs) -> int:
    return svc.add_party(PartyIn(name=name, **kwargs))


def retention_book(svc: Services) -> list[int]:
    """5 customers active on 23 Nov 2025; one defects; the 4 who stay make 100.00 each."""
    ids = [_add(svc, f"Customer {k}") for k in range(5)]
    for pid in ids:
        svc.record_purchase(pid, "80", on=date(2025, 6, 1))
    svc.defect(ids[0], "price", on=date(2026, 3, 1))
    for pid in ids[1:]:
        svc.record_purchase(pid, "150", cost="50", on=date(2026, 5, 1))
    newcomer = _add(svc, "Newcomer")
    svc.record_purchase(newcomer, "30", on=date(2026, 6, 1))
    return ids


async def _settle(app, pilot) -> None:
    # the figures come first, the previous period's (for the changes) after them
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def _card(app, key: str) -> FigureCard:
    return app.screen.query_one(f"#card-{key}", FigureCard)


def _bar(app) -> str:
    return str(app.screen.query_one("#bar", Static).render())


async def test_cards_show_the_figures_with_their_base(svc):
    retention_book(svc)
    app = Host(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        assert isinstance(app.screen, MetricsScreen)
        assert _card(app, "retention").lines[1:3] == ("80%", "of 5 at start")
        assert _card(app, "churn").lines[1] == "20%"
        assert _card(app, "lifetime").lines[1] == "5.0 years"
        assert _card(app, "clv").lines[1:3] == ("266.67", "4 retained")
        assert _card(app, "mean_feedback").lines[1:3] == ("n/a", "no scores")
        assert _card(app, "retention").lines[3] == "prev n/a"  # nobody was active a year earlier
        assert "2025-11-23 – 2026-11-22 (12 months) · all" in _bar(app)


async def test_period_and_segment_keys(svc):
    retention_book(svc)
    _add(svc, "Shop Ltd", kind="business")
    app = Host(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        await pilot.press("s")
        await _settle(app, pilot)
        assert "· B2C" in _bar(app) and _card(app, "retention").lines[1] == "80%"
        await pilot.press("s")
        await _settle(app, pilot)
        assert "· B2B" in _bar(app) and _card(app, "retention").lines[1] == "n/a"
        await pilot.press("s", "left_square_bracket")
        await _settle(app, pilot)
        assert "2024-11-23 – 2025-11-22" in _bar(app)
        assert _card(app, "retention").lines[1] == "n/a"  # nobody had bought by 23 Nov 2024
        await pilot.press("right_square_bracket", "3")
        await _settle(app, pilot)
        assert "2026-08-23 – 2026-11-22 (3 months)" in _bar(app)
        await pilot.press("y")
        await _settle(app, pilot)
        assert "2026-01-01 – 2026-11-22" in _bar(app)
        await pilot.press("1")
        await _settle(app, pilot)
        assert "(12 months)" in _bar(app) and _card(app, "retention").lines[1] == "80%"


async def test_typed_dates(svc):
    retention_book(svc)
    app = Host(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PeriodDialog)
        start = dialog.query_one("#from", Input)
        start.value = ""
        await pilot.press(*"someday")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # refused: the dialog stays, with the reason in place
        assert "someday" in str(dialog.query_one("#error", Static).render())
        start.value = "2026-01-01"
        dialog.query_one("#to", Input).value = "2026-03-31"
        await pilot.press("ctrl+s")
        await _settle(app, pilot)
        assert isinstance(app.screen, MetricsScreen)
        assert "2026-01-01 – 2026-03-31 (3 months)" in _bar(app)
        assert "vs 2025-10-01 – 2025-12-31" in _bar(app)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MetricsScreen) and "2026-03-31" in _bar(app)


async def test_drill_down_and_open_a_party(svc):
    ids = retention_book(svc)
    app = Host(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        assert app.focused is _card(app, "retention")
        await pilot.press("right")  # churn
        await pilot.press("enter")
        await _settle(app, pilot)
        detail = app.screen
        assert isinstance(detail, FigureDetail)
        assert detail.detail.title == "Churn" and "1 - retention" in detail.detail.definition
        table = detail.query_one(DataTable)
        assert table.row_count == 1
        await pilot.press("enter")
        await _settle(app, pilot)
        assert app.opened == [ids[0]]  # Customer 0, the one who left
        assert isinstance(app.screen, MetricsScreen)
        # a chart opens its figure too
        await pilot.press(*["down"] * 4, "right")  # the customer pyramid
        await pilot.press("enter")
        await _settle(app, pilot)
        assert isinstance(app.screen, FigureDetail) and app.screen.detail.total == 5
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MetricsScreen) and app.opened == [ids[0]]


async def test_data_from_the_book_is_shown_literally(svc):
    hostile = ["[bold]x[/]", "[/", "Evil\x1b]52;c;aGVsbG8=\x07Corp", "Title\x1b]0;pwned\x07"]
    for name in hostile:
        pid = _add(svc, name)
        svc.record_purchase(pid, "10", on=date(2026, 2, 1))
    app = Host(svc)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(app, pilot)
        await pilot.press("right", "right", "right", "right")  # profit per party
        assert app.focused is _card(app, "profit_per_party")
        await pilot.press("enter")
        await _settle(app, pilot)
        table = app.screen.query_one(DataTable)
        names = [str(table.get_row_at(k)[0]) for k in range(table.row_count)]
        assert "[bold]x[/]" in names and "[/" in names
        assert not any("\x1b" in n or "\x07" in n for n in names)
        assert any(n.startswith("Evil") and n.endswith("Corp") for n in names)


async def test_reloads_when_the_book_changes(svc):
    retention_book(svc)
    app = Host(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(app, pilot)
        assert _card(app, "mean_feedback").lines[1] == "n/a"
        svc.record_feedback(1, 9, on=date(2026, 10, 1))
        app.data_changed()
        await _settle(app, pilot)
        assert _card(app, "mean_feedback").lines[1:3] == ("9.0 / 10", "1 scores")
        assert _card(app, "nps").lines[1] == "+100"


async def test_a_failure_becomes_a_notification(svc, monkeypatch):
    import reltui.services.metrics as metrics_service
    from reltui.domain.errors import StoreUnavailable

    def broken(*_args, **_kwargs):
        raise StoreUnavailable("The book is busy in another program; try again in a moment.")

    monkeypatch.setattr(metrics_service.q, "party_figures", broken)  # one query of the figures
    app = Host(svc)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):  # waiting on the failed worker raises its error: wait on
            with contextlib.suppress(WorkerFailed):
                await app.workers.wait_for_complete()
            await pilot.pause(0.05)
        assert isinstance(app.screen, MetricsScreen)
        assert any("busy" in str(n.message) for n in app._notifications)


async def test_when_the_previous_period_fails_the_rest_still_shows(svc, monkeypatch):
    import reltui.services.metrics as metrics_service
    from reltui.domain.errors import StoreUnavailable
    from reltui.tui.screens.metrics import ChartPlot

    retention_book(svc)
    party_figures = metrics_service.q.party_figures

    def previous_fails(conn, start, end, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if end < NOW.date():  # the previous period's (this period ends today)
            raise StoreUnavailable("The book is busy in another program; try again in a moment.")
        return party_figures(conn, start, end, *args, **kwargs)

    monkeypatch.setattr(metrics_service.q, "party_figures", previous_fails)
    app = Host(svc)
    async with app.run_test(size=(120, 60)) as pilot:
        for _ in range(6):  # waiting on the failed worker raises its error: wait on
            with contextlib.suppress(WorkerFailed):
                await app.workers.wait_for_complete()
            await pilot.pause(0.05)
        assert any("busy" in str(n.message) for n in app._notifications)
        retention = _card(app, "retention").lines
        assert retention[1] == "80%" and retention[3] == ""  # the figure; no change, not "prev …"
        assert "comparing" not in _bar(app) and "computing" not in _bar(app)
        assert len(app.screen.query(ChartPlot)) == 6


async def _charts_drawn(app, pilot) -> None:  # noqa: ANN001
    """Wait for the cards, the changes, then the charts (laid out in workers)."""
    await _settle(app, pilot)
    await pilot.pause(0.2)
    await _settle(app, pilot)


async def test_charts_are_laid_out_in_workers_after_the_cards(svc, monkeypatch):
    import threading

    from textual_plotext.plot import Plot

    from reltui.tui.screens.metrics import ChartPlot

    retention_book(svc)
    svc.defect(_add(svc, "Gone"), "service", on=date(2026, 4, 1))
    threads = []
    build = Plot.build

    def recorded(plot):
        threads.append(threading.current_thread())
        return build(plot)

    monkeypatch.setattr(Plot, "build", recorded)
    app = Host(svc)
    async with app.run_test(size=(120, 60)) as pilot:
        await _charts_drawn(app, pilot)
        plots = {p.parent.id: p for p in app.screen.query(ChartPlot)}
        assert len(plots) == 6 and threads  # every chart drawn, by plotext
        assert threading.main_thread() not in threads  # never on the UI thread
        reasons = plots["chart-defections"].render().plain
        assert "service" in reasons and "price" in reasons  # every reason, with its bar
        assert "platinum" in plots["chart-pyramid"].render().plain


async def test_the_changes_come_before_the_charts(svc, monkeypatch):
    # the cards' changes against the previous period are figures; the charts follow them
    from reltui.tui.screens.metrics import ChartPlot

    retention_book(svc)
    seen = []
    charts = MetricsScreen._charts

    async def recorded(screen, current):  # noqa: ANN001
        seen.append(screen.previous is not None and not screen.query(ChartPlot))
        await charts(screen, current)

    monkeypatch.setattr(MetricsScreen, "_charts", recorded)
    app = Host(svc)
    async with app.run_test(size=(120, 60)) as pilot:
        await _charts_drawn(app, pilot)
        assert seen == [True]  # once, with the changes shown and no chart yet
        assert len(app.screen.query(ChartPlot)) == 6


@pytest.mark.parametrize(("values", "whole", "labels"), [
    ([16754, 8377], True, ["0", "5k", "10k", "15k"]),  # parties on a rung
    ([5417753.8, 902959.0], False, ["0", "2M", "4M"]),  # revenue by month
    ([7, 3], True, ["0", "2", "4", "6"]),  # a few defections: whole steps, never 2.5
    ([1200141.62], False, ["0", "0.5M", "1M"]),
    ([-1200.0, 3400.0], False, ["-2k", "0", "2k"]),  # a loss below 0
    ([0, 0], True, ["0"]),
])
def test_chart_axes_have_round_short_labels(values, whole, labels):
    from reltui.tui.screens.metrics import axis_ticks

    assert axis_ticks(values, whole=whole)[1] == labels


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=12), st.booleans())
def test_chart_ticks_are_even_steps_from_zero(values, whole):
    from reltui.tui.screens.metrics import axis_ticks

    ticks, labels = axis_ticks(values, whole=whole)
    assert 0 in ticks and len(ticks) == len(labels) == len(set(labels))
    top = max(0, *values)
    assert all(t <= top + abs(top) * 1e-9 for t in ticks)
    steps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert all(step > 0 and math.isclose(step, steps[0], rel_tol=1e-9) for step in steps)
    if whole:
        assert all(float(t).is_integer() for t in ticks)
