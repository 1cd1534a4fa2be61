"""The Metrics screen: every figure of DOMAIN.md "Metrics" as a card, and the charts a
manager would rather look at than read.

- Cards show the value, the count it rests on, and the change against the
  previous period of the same length; n/a where a figure has nothing to rest on.
- Charts (textual-plotext, mounted once the cards and their changes are in): the ladder as a
  funnel (at the start and at the end), the customer pyramid, active parties and
  revenue month by month, defections by reason (count and lost profit).
- Keys: [ and ] move the period back and forth; 3, 6, 1 pick the last 3, 6 or
  12 months up to the period's end; y the year to date; c typed dates; s the
  segment (all, B2C, B2B); Enter on a card or chart shows its definition and the
  parties behind it, and Enter on a party opens it.
- All computing runs in a thread worker through `app.run_db`; the screen only
  draws frozen results.  The cards come first, then the previous period's figures
  (the changes), then the charts; plotext lays the charts out in a worker too (`ChartPlot`),
  so a chart never holds up the keys.  Party names and follow-up texts are data:
  they reach the terminal as plain Text, never as markup.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from reltui.domain import metrics as fm
from reltui.domain.dates import describe, parse_date
from reltui.domain.enums import Segment
from reltui.domain.errors import ReltuiError
from reltui.domain.metrics import Figure, Period
from reltui.domain.text import for_terminal
from reltui.tui.screens.base import StyledScreen
from reltui.tui.widgets.keybar import KeyBar
from reltui.tui.widgets.select_table import SelectTable

SEGMENTS = (Segment.ALL, Segment.B2C, Segment.B2B)
SEGMENT_LABEL = {Segment.ALL: "all", Segment.B2C: "B2C", Segment.B2B: "B2B"}
WIDE = 110  # from this many columns the cards sit six to a row


def _safe(value: Any) -> Text:
    return Text(for_terminal(value))


# -- what a card shows ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CardSpec:
    key: str  # the figure (drill_down's key)
    title: str
    kind: str  # rate | money | count | years | score | nps


CARDS = (
    CardSpec("retention", "Retention", "rate"),
    CardSpec("churn", "Churn", "rate"),
    CardSpec("lifetime", "Avg lifetime", "years"),
    CardSpec("clv", "CLV", "money"),
    CardSpec("profit_per_party", "Profit/party", "money"),
    CardSpec("pareto", "Pareto share", "rate"),
    CardSpec("ror", "Return on rel.", "rate"),
    CardSpec("repeat_purchase", "Repeat buyers", "rate"),
    CardSpec("referrals", "Referrals", "count"),
    CardSpec("mean_feedback", "Mean feedback", "score"),
    CardSpec("nps", "NPS", "nps"),
    CardSpec("won", "New customers", "count"),
    CardSpec("on_time", "Done on time", "rate"),
    CardSpec("overdue_follow_ups", "Overdue", "count"),
    CardSpec("past_cadence", "Past cadence", "count"),
    CardSpec("defections", "Defections", "count"),
)


def card_figure(m, key: str) -> Figure:  # noqa: ANN001
    """The Figure a card shows (value and base) from a Metrics result."""
    if key == "won":
        return Figure(m.won, m.active_end)
    if key == "defections":
        return Figure(m.defections_total, m.active_start)
    return getattr(m, key)


def value_text(kind: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if kind == "rate":
        return fm.percent_text(float(value))
    if kind == "money":
        return fm.money_text(value)
    if kind == "years":
        return fm.years_text(value)
    if kind == "score":
        return f"{value:.1f} / 10"
    if kind == "nps":
        return fm.nps_text(value)
    return f"{value:,}"


BASE_NOUN = {
    "retention": "at start", "churn": "at start", "lifetime": "at start",
    "clv": "retained", "profit_per_party": "buyers", "pareto": "buyers", "ror": "helped",
    "repeat_purchase": "buyers", "referrals": "added", "mean_feedback": "scores", "nps": "scores",
    "won": "active", "on_time": "done", "overdue_follow_ups": "open",
    "past_cadence": "cadenced", "defections": "at start",
}


def base_text(spec: CardSpec, figure: Figure) -> str:
    noun = BASE_NOUN[spec.key]
    if spec.kind in ("count",):
        return f"of {figure.base:,} {noun}"
    if figure.value is None and not figure.base:
        return f"no {noun}"
    return f"of {figure.base:,} {noun}" if spec.kind == "rate" else f"{figure.base:,} {noun}"


def change_text(kind: str, now: Any, before: Any) -> tuple[str, str]:
    """('▲ 2.1 pts', 'up') against the previous period; ('', '') when either is n/a."""
    if now is None or before is None:
        return ("prev n/a" if now is not None else "", "")
    if kind in ("rate", "nps"):
        delta = (float(now) - float(before)) * 100
        text = f"{abs(delta):.1f} pts"
    elif kind == "money":
        delta = float(Decimal(now) - Decimal(before))
        text = f"{abs(delta):,.2f}"
    elif kind in ("years", "score"):
        delta = float(now) - float(before)
        text = f"{abs(delta):.1f}"
    else:
        delta = int(now) - int(before)
        text = f"{abs(delta):,}"
    if round(delta, 6) == 0:
        return ("= prev", "same")
    return (("▲ " if delta > 0 else "▼ ") + text, "up" if delta > 0 else "down")


# -- widgets --------------------------------------------------------------------------------------

# Arrow keys on a card or chart move between them (the scroll view would take them otherwise)
MOVE_KEYS = [
    Binding("right", "screen.move(1, 0)", show=False), Binding("left", "screen.move(-1, 0)", show=False),
    Binding("down", "screen.move(0, 1)", show=False), Binding("up", "screen.move(0, -1)", show=False),
]


class FigureCard(Widget, can_focus=True):
    """One figure: title, value, the count it rests on, the change against the previous period."""

    BINDINGS = MOVE_KEYS
    DEFAULT_CSS = """
    FigureCard {
        height: 4;
        padding: 0 1;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    FigureCard:focus {
        background: $accent 40%;
    }
    """

    def __init__(self, spec: CardSpec) -> None:
        super().__init__(id=f"card-{spec.key}")
        self.spec = spec
        self.lines: tuple[str, str, str, str] = ("", "…", "", "")

    def show(self, figure: Figure, previous: Figure | None, *, change: str | None = None) -> None:
        """`change`: what to say instead of the change (the previous period not known yet)."""
        if change is None:
            change, _direction = change_text(self.spec.kind, figure.value,
                                             previous.value if previous else None)
        self.lines = ("", value_text(self.spec.kind, figure.value), base_text(self.spec, figure), change)
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.spec.title + "\n", style="bold")
        text.append(self.lines[1] + "\n", style="bold")
        text.append(self.lines[2] + "\n", style="dim")
        text.append(self.lines[3])
        return text


def axis_ticks(values: Sequence[float], *, count: int = 4, whole: bool = False) -> tuple[list[float], list[str]]:
    """Round ticks for a value axis from 0 (or the lowest value, below 0) to the highest,
    labelled short: 0 5k 10k 15k, 0 1.5M 3M. `whole`: counts, never a step below 1.
    plotext's own ticks are the range cut in equal parts (8377.2 parties, 5417753.8)."""
    low, high = min(0.0, *values), max(0.0, *values)
    if high - low < 1e-9:  # nothing to scale (money is in cents, counts whole)
        return [0.0], ["0"]
    raw = (high - low) / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if whole and magnitude < 10 else (1, 2, 2.5, 5, 10)  # whole: 2.5 is not
    step = min((m * magnitude for m in steps), key=lambda c: abs(math.log(c / raw)))
    if whole:
        step = max(step, 1.0)
    near = 1 + 1e-12  # a tick on the highest value itself, whatever the rounding
    ticks = [k * step for k in range(math.floor(low / step / near), math.floor(high / step * near) + 1)]
    top = max(abs(t) for t in ticks)
    unit, suffix = next(((u, x) for u, x in ((1e9, "G"), (1e6, "M"), (1e3, "k")) if top >= u), (1.0, ""))
    exponent = math.floor(math.log10(step / unit) + 1e-9)
    mantissa = step / unit / 10 ** exponent  # 1, 2, 2.5 or 5: 2.5 takes one more decimal
    places = max(0, -exponent + (1 if math.isclose(mantissa, 2.5) else 0))

    def label(tick: float) -> str:
        text = f"{tick / unit:.{places}f}"
        if places:
            text = text.rstrip("0").rstrip(".")
        return text + suffix if tick else "0"

    return ticks, [label(t) for t in ticks]


_PLOTEXT = threading.Lock()  # one chart laid out at a time: plotext was not written for threads


def _build_chart(draw: Callable[[Plot], Any], width: int, height: int, theme: str) -> Text:
    """A chart as PlotextPlot.render makes it (a fresh figure, its size, the theme), in a worker."""
    with _PLOTEXT:
        plot = Plot()
        draw(plot)
        plot.plotsize(width, height)
        plot._set_size(width, height)  # as PlotextPlot.render does: plotsize alone may not stick
        plot.theme(theme)
        return Text.from_ansi(plot.build())


class ChartPlot(PlotextPlot):
    """A PlotextPlot whose figure is laid out in a worker thread: `render` shows the last
    one built for this size and data, and asks for a new one when either changed."""

    def __init__(self) -> None:
        super().__init__()
        self._draw: Callable[[Plot], Any] | None = None
        self._drawn = 0  # counts the draw calls, so an old figure is never taken for a new one
        self._text = Text("")
        self._shown: tuple | None = None  # what _text was built for
        self._asked: tuple | None = None  # what the last worker builds

    def draw(self, draw: Callable[[Plot], Any]) -> None:
        self._draw = draw
        self._drawn += 1
        self.refresh()

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        if self._draw is None or width <= 0 or height <= 0:
            return self._text
        key = (width, height, self._get_plotext_theme_name(self.app.theme), self._drawn)
        if key not in (self._shown, self._asked):
            self._asked = key
            self.app.run_db(_build_chart, self._draw, width, height, key[2],
                            then=lambda text, key=key: self._built(key, text), group="metrics-charts")
        return self._text

    def _built(self, key: tuple, text: Text) -> None:
        if key == self._asked:
            self._text, self._shown = text, key
            self.refresh()


class ChartPanel(Vertical, can_focus=True):
    """A chart; Enter opens the figure behind it."""

    BINDINGS = MOVE_KEYS
    DEFAULT_CSS = """
    ChartPanel {
        height: 13;
        border: round $panel-lighten-2;
        border-title-color: $text;
    }
    ChartPanel:focus {
        border: round $accent;
    }
    ChartPanel PlotextPlot {
        height: 1fr;
    }
    """

    def __init__(self, figure: str, title: str, chart_id: str) -> None:
        super().__init__(id=chart_id)
        self.figure = figure
        self.border_title = title

    def compose(self) -> ComposeResult:
        yield ChartPlot()

    @property
    def plot(self) -> ChartPlot:
        return self.query_one(ChartPlot)


# -- dialogs --------------------------------------------------------------------------------------

class FigureDetail(ModalScreen[int | None]):
    """A figure's definition and the parties behind it; Enter opens one (returns its id)."""

    DEFAULT_CSS = """
    FigureDetail { align: center middle; }
    FigureDetail > Vertical {
        width: 90%; max-width: 110; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FigureDetail #definition { color: $text-muted; margin-bottom: 1; }
    FigureDetail #count { color: $text-muted; }
    FigureDetail DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close", id="metrics.detail.close", tooltip="Back to the metrics"),
    ]

    def __init__(self, detail) -> None:  # noqa: ANN001 - services.metrics.DrillDown
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        d = self.detail
        with Vertical():
            yield Label(Text(d.title, style="bold"), id="title")
            yield Static(Text(d.definition), id="definition")
            shown = len(d.rows)
            more = f" (the first {shown:,})" if d.total > shown else ""
            noun = "party" if d.total == 1 else "parties"
            yield Static(Text(f"{d.total:,} {noun} behind this figure{more}; Enter opens one."), id="count")
            yield SelectTable(cursor_type="row", zebra_stripes=True, select=self._choose)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Party", key="party")
        table.add_column(self.detail.value_label.capitalize(), key="value")
        table.add_column("", key="note")
        for row in self.detail.rows:
            table.add_row(_safe(row.name), Text(_display(row.value), justify="right"), _safe(row.note),
                          key=str(row.party_id))
        self.set_focus(table)

    def _choose(self) -> None:
        """Enter: the party under the cursor opens; the keys typed after Enter are for it."""
        table = self.query_one(DataTable)
        if table.row_count:
            self.app.hold_keys()  # until the party's screen is up (ReltuiApp.open_party)
            self.dismiss(int(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:  # a click
        self.dismiss(int(event.row_key.value))


def _display(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, Decimal):
        return fm.money_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return for_terminal(value)


class PeriodDialog(ModalScreen[Period | None]):
    """Typed dates for a custom period: 'from' and 'to', each shown as understood."""

    DEFAULT_CSS = """
    PeriodDialog { align: center middle; }
    PeriodDialog > Vertical {
        width: 60; height: auto; border: thick $accent; background: $surface; padding: 0 1;
    }
    PeriodDialog .hint { color: $text-muted; height: 1; }
    PeriodDialog #error { color: $error; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="metrics.period.cancel", tooltip="Keep the period"),
        Binding("ctrl+s", "save", "Use it", id="metrics.period.save", tooltip="Use these dates"),
    ]

    def __init__(self, period: Period, today: date, order: str | None = None) -> None:
        super().__init__()
        self.period = period
        self.today = today
        self.order = order

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Custom period (dates as you say them: 2026-01-01, dec 1, -3m, today)"))
            yield Label("From")
            yield Input(self.period.start.isoformat(), id="from")
            yield Static("", id="from-hint", classes="hint")
            yield Label("To")
            yield Input(self.period.end.isoformat(), id="to")
            yield Static("", id="to-hint", classes="hint")
            yield Static("", id="error")

    def on_mount(self) -> None:
        for name in ("from", "to"):
            self._hint(name)
        self.set_focus(self.query_one("#from", Input))

    def _parse(self, name: str) -> date:
        return parse_date(self.query_one(f"#{name}", Input).value, self.today, order=self.order)

    def _hint(self, name: str) -> None:
        try:
            text = describe(self._parse(name), self.today)
        except ReltuiError as exc:
            text = exc.message
        self.query_one(f"#{name}-hint", Static).update(Text(text))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id:
            self._hint(event.input.id)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "from":
            self.set_focus(self.query_one("#to", Input))
        else:
            self.action_save()

    def action_save(self) -> None:
        try:
            self.dismiss(Period(self._parse("from"), self._parse("to")))
        except ReltuiError as exc:
            self.query_one("#error", Static).update(Text(exc.message))


# -- the screen -----------------------------------------------------------------------------------

class MetricsScreen(StyledScreen):
    """Figures and charts for a period and a segment."""

    DEFAULT_CSS = """
    MetricsScreen #bar { height: 1; padding: 0 1; background: $panel; }
    MetricsScreen #body { height: 1fr; }
    MetricsScreen #cards {
        grid-size: 4; grid-gutter: 1 1; grid-rows: 4; height: auto; padding: 1 1 0 1;
    }
    MetricsScreen.wide #cards { grid-size: 6; }
    MetricsScreen #charts { grid-size: 2; grid-gutter: 0 1; height: auto; padding: 1 1 0 1; grid-rows: 13; }
    MetricsScreen.wide #charts { grid-size: 3; }
    """
    BINDINGS = [
        Binding("enter", "detail", "Details", id="metrics.detail",
                tooltip="The definition of the figure and the parties behind it"),
        Binding("left_square_bracket", "shift(-1)", "Prev", id="metrics.previous",
                tooltip="The period before, of the same length"),
        Binding("right_square_bracket", "shift(1)", "Next", id="metrics.next",
                tooltip="The period after, of the same length"),
        Binding("s", "segment", "Segment", id="metrics.segment", tooltip="All, B2C, B2B"),
        Binding("c", "custom", "Dates", id="metrics.custom", tooltip="Type the first and last day"),
        Binding("y", "year_to_date", "YTD", id="metrics.ytd", tooltip="From 1 January to the period's end"),
        Binding("3", "months(3)", "3 mo", id="metrics.3m", tooltip="The 3 months up to the period's end"),
        Binding("6", "months(6)", "6 mo", id="metrics.6m", tooltip="The 6 months up to the period's end"),
        Binding("1", "months(12)", "12 mo", id="metrics.12m", tooltip="The 12 months up to the period's end"),
        Binding("0", "today", "Reset", id="metrics.today", show=False,
                tooltip="Back to the 12 months ending today"),
        Binding("r", "reload", "Reload", id="metrics.reload", show=False, tooltip="Compute again"),
        Binding("u", "app.cycle_owner", "Whose", id="filter.whose",
                tooltip="Everyone's, mine, each colleague's parties (cycles; kept across screens)"),
    ]

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:  # noqa: A002
        super().__init__(name=name, id=id)
        self.period: Period | None = None
        self.segment = Segment.ALL
        self.result = None
        self.previous = None
        self._version = 0
        self._charts_mounted = False
        self._mounted = False
        self._early = None  # figures that came before the screen was up
        self._early_previous = None

    def compose(self) -> ComposeResult:
        # the figures are read while the screen is built, not after
        self.period = fm.default_period(self.app.services.today())
        self._version = self.app.data_version
        self._compute()
        self._layout(self.app.size.width)  # before the cards mount: no restyle of them all after
        yield Static("", id="bar")
        with VerticalScroll(id="body"):
            with Grid(id="cards"):
                for spec in CARDS:
                    yield FigureCard(spec)
            yield Grid(id="charts")  # the charts join once the first figures are shown
        yield KeyBar()

    @staticmethod
    def _chart_panels() -> list[ChartPanel]:
        return [
            ChartPanel("ladder", "Ladder: at the start and now", "chart-ladder"),
            ChartPanel("pyramid", "Pyramid: parties, profit share", "chart-pyramid"),
            ChartPanel("active", "Active parties by month", "chart-active"),
            ChartPanel("revenue", "Revenue by month", "chart-revenue"),
            ChartPanel("defections", "Defections by reason", "chart-defections"),
            ChartPanel("defections", "Lost profit by reason", "chart-lost"),
        ]

    # -- loading ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._layout(self.size.width)
        self.watch(self.app, "data_version", self._data_changed, init=False)
        self.watch(self.app, "whose", lambda _whose: self.reload(), init=False)
        self.set_focus(self.query_one(FigureCard))
        self._mounted = True
        early, self._early = self._early, None
        if self.app.data_version != self._version:  # the book changed while the screen was built
            self._data_changed(self.app.data_version)
        elif early is not None:
            self._show(early)
            if self._early_previous is not None:
                self._show_previous(self._early_previous)
        else:
            self._bar("computing…")

    def on_resize(self, event) -> None:  # noqa: ANN001
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        self.set_class(width >= WIDE, "wide")

    def _data_changed(self, version: int) -> None:
        if version != self._version:  # a real change, not the reactive settling in
            self._version = version
            self.reload()

    def reload(self) -> None:
        assert self.period is not None
        self._bar("computing…")
        self._compute()

    class Computed(Message):
        """This period's figures, posted from the worker that goes on to the previous period."""

        def __init__(self, result) -> None:  # noqa: ANN001
            super().__init__()
            self.result = result

    def _compute(self) -> None:
        """This period's figures, then (in the same worker, at once) the previous period's."""
        self._early_previous = None
        self.app.run_db(_compute_pair, self.app.services, self.period, self.segment, self.app.whose,
                        lambda current: self.post_message(self.Computed(current)),
                        then=self._show_previous, on_error=self._failed, group="metrics", exclusive=True)

    async def _failed(self, error: ReltuiError) -> None:
        """Said as a notification; the charts of what did come are drawn all the same."""
        self.app.report_error(error)
        self._bar()
        if self.result is not None:
            self._fill_cards(change="")  # no change to show, not "prev …" for ever
        await self._charts(self.result)

    @on(Computed)
    def _computed(self, event: Computed) -> None:
        self._show(event.result)

    def _bar(self, status: str = "") -> None:
        p = self.period
        if p is None:
            return
        months = p.whole_months
        span = f"{months} months" if months else f"{p.days} days"
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{p.start.isoformat()} – {p.end.isoformat()}", style="bold")
        text.append(f" ({span}) · {SEGMENT_LABEL[self.segment]} · {self.app.whose_label()}")
        previous = p.previous()
        text.append(f" · vs {previous.start.isoformat()} – {previous.end.isoformat()}", style="dim")
        if status:
            text.append(f" · {status}", style="italic")
        self.query_one("#bar", Static).update(text)

    def _show(self, current) -> None:  # noqa: ANN001
        """This period's figures, at once; the previous period's follow for the changes."""
        if not self._mounted:
            self._early = current
            return
        if current.period != self.period or current.segment != self.segment \
                or current.owner != self.app.whose:
            return  # an answer to an older question
        self.result, self.previous = current, None
        self._bar("comparing with the previous period…")
        self._fill_cards(change="prev …")  # the previous period is on its way (_compute_pair)

    def _show_previous(self, previous) -> None:  # noqa: ANN001
        """The previous period's figures: the changes on the cards, then the charts."""
        if not self._mounted:
            self._early_previous = previous
            return
        current = self.result
        if current is None or previous.period != current.period.previous() \
                or previous.segment != self.segment or current.period != self.period \
                or previous.owner != current.owner:
            return
        self.previous = previous
        self._bar()
        self._fill_cards()
        self.call_after_refresh(self._charts, current)

    async def _charts(self, current) -> None:  # noqa: ANN001
        if current is None or current is not self.result:
            return
        if not self._charts_mounted:
            self._charts_mounted = True
            await self.query_one("#charts", Grid).mount_all(self._chart_panels())
        self._draw_charts(current)

    def _fill_cards(self, *, change: str | None = None) -> None:
        current, previous = self.result, self.previous
        for card in self.query(FigureCard):
            card.show(card_figure(current, card.spec.key),
                      card_figure(previous, card.spec.key) if previous else None, change=change)
        lost = self.query_one("#card-defections", FigureCard)
        lost.lines = (*lost.lines[:2], f"lost {fm.money_text(current.lost_profit)}", lost.lines[3])
        lost.refresh()

    # -- charts -----------------------------------------------------------------------------

    def _draw_charts(self, m) -> None:  # noqa: ANN001
        if m is not self.result:
            return  # another period or segment came meanwhile
        rungs = [r.rung.value for r in m.ladder]
        starts, ends = [r.at_start for r in m.ladder][::-1], [r.at_end for r in m.ladder][::-1]
        self._chart("chart-ladder", lambda plt: (
            plt.multiple_bar(rungs[::-1], [starts, ends], labels=["start", "now"],
                             orientation="horizontal", color=["cyan", "green"]),
            plt.xticks(*axis_ticks(starts + ends, whole=True))))
        tiers = [f"{t.name} {fm.percent_text(t.share)}" if t.share is not None else t.name
                 for t in m.pyramid]
        counts = [t.count for t in m.pyramid][::-1]
        self._chart("chart-pyramid", lambda plt: (
            plt.bar(tiers[::-1], counts, orientation="horizontal"),
            plt.xticks(*axis_ticks(counts, whole=True))))
        months = [f"{p.month:%b}" for p in m.months]
        active = [p.active for p in m.months]
        low, high = min(active, default=0), max(active, default=0)
        ticks = sorted({round(low + k * (high - low) / 4) for k in range(5)})
        self._chart("chart-active", lambda plt: (
            plt.plot(list(range(len(months))), active, marker="braille"),
            plt.xticks(list(range(len(months))), months),
            plt.yticks(ticks, [f"{t:,}" for t in ticks])))
        # numeric x with explicit month ticks: plotext's own choice of labels is not stable
        every = max(1, len(months) // 6)
        revenue = [float(p.revenue) for p in m.months]
        self._chart("chart-revenue", lambda plt: (
            plt.bar(list(range(len(months))), revenue, width=0.6),
            plt.xticks(list(range(0, len(months), every)), months[::every]),
            plt.yticks(*axis_ticks(revenue))))
        reasons = [d.reason.value for d in m.defections][::-1]
        lost = [d.count for d in m.defections][::-1]
        lost_profit = [float(d.lost_profit) for d in m.defections][::-1]
        self._chart("chart-defections", lambda plt: (
            plt.bar(reasons, lost, orientation="horizontal"),
            plt.xticks(*axis_ticks(lost, whole=True))))
        self._chart("chart-lost", lambda plt: (
            plt.bar(reasons, lost_profit, orientation="horizontal"),
            plt.xticks(*axis_ticks(lost_profit))))

    def _chart(self, chart_id: str, draw) -> None:  # noqa: ANN001
        self.query_one(f"#{chart_id}", ChartPanel).plot.draw(draw)

    # -- actions ----------------------------------------------------------------------------

    def _set_period(self, period: Period) -> None:
        self.period = period
        self.reload()

    def action_shift(self, steps: int) -> None:
        if self.period:
            self._set_period(self.period.shifted(steps))

    def action_months(self, months: int) -> None:
        if self.period:
            self._set_period(Period.last_months(self.period.end, months))

    def action_year_to_date(self) -> None:
        if self.period:
            self._set_period(Period.year_to_date(self.period.end))

    def action_today(self) -> None:
        self._set_period(fm.default_period(self.app.services.today()))

    async def action_custom(self) -> None:
        if self.period is None:
            return
        order = os.environ.get("RELTUI_DATE_ORDER")
        await self.app.push_screen(PeriodDialog(self.period, self.app.services.today(), order),
                                   callback=lambda p: p and self._set_period(p))

    def action_segment(self) -> None:
        self.segment = SEGMENTS[(SEGMENTS.index(self.segment) + 1) % len(SEGMENTS)]
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def action_move(self, dx: int, dy: int) -> None:
        """Arrow keys move between cards and charts as they sit in their grids."""
        items = list(self.query(FigureCard)) + list(self.query(ChartPanel))
        focused = self.focused
        if focused not in items:
            self.set_focus(items[0])
            return
        cards = len(CARDS)
        index = items.index(focused)
        in_cards = index < cards
        columns = (6 if self.has_class("wide") else 4) if in_cards else (3 if self.has_class("wide") else 2)
        target = index + dx + dy * columns
        if in_cards and dy > 0 and target >= cards:
            target = cards  # down from the last row of cards: the first chart
        elif not in_cards and dy < 0 and target < cards:
            target = cards - 1
        target = max(0, min(len(items) - 1, target))
        self.set_focus(items[target])

    def action_detail(self) -> None:
        focused = self.focused
        if isinstance(focused, FigureCard):
            figure = focused.spec.key
        elif isinstance(focused, ChartPanel):
            figure = {"active": "active", "revenue": "revenue"}.get(focused.figure, focused.figure)
        else:
            return
        if self.period is None:
            return
        self.app.run_db(_drill, figure, self.app.services, self.period, self.segment, self.app.whose,
                        then=self._show_detail, group="metrics-detail", exclusive=True)

    def _show_detail(self, detail) -> None:  # noqa: ANN001
        self.app.push_screen(FigureDetail(detail), callback=self._open_party)

    def _open_party(self, party_id: int | None) -> None:
        if party_id is not None:
            self.app.open_party(party_id)


# -- worker functions (run in a thread) -------------------------------------------------------------

def _compute_pair(services, period: Period, segment: Segment, owner: str | None,  # noqa: ANN001, ANN202
                  deliver: Callable[[Any], object]):
    """The period's metrics, handed to `deliver` (thread-safe) as soon as they are in, then
    the previous period's cards' figures, returned (for the changes); over `owner`'s parties
    (None: everyone's)."""
    from reltui.services.metrics import compute_metrics

    deliver(compute_metrics(services, period.start, period.end, segment, owner=owner))
    before = period.previous()
    return compute_metrics(services, before.start, before.end, segment, owner=owner, charts=False)


def _drill(figure: str, services, period: Period, segment: Segment,  # noqa: ANN001, ANN202
           owner: str | None = None):
    from reltui.services.metrics import drill_down

    return drill_down(figure, services, period.start, period.end, segment, limit=500, owner=owner)

