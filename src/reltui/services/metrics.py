"""Computing the metrics of DOMAIN.md for a period and a segment: the use case.

`compute_metrics(services_or_store, start, end, segment)` runs the SQL
aggregates of `reltui.store.metric_queries` in one read transaction (one
consistent snapshot of the book), turns the counts into figures with the pure
formulas of `reltui.domain.metrics`, and returns frozen data: `Metrics`.
`metrics_to_json` gives the command line's --json shape; `drill_down` gives the
parties behind one figure, with the figure's definition.

Every figure is a `Figure(value, base)`: the value (None = n/a) and the count
it rests on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from reltui.domain import metrics as fm
from reltui.domain.enums import Reason, Rung, Segment
from reltui.domain.errors import InvalidInput
from reltui.domain.metrics import Figure, Period
from reltui.store import Store
from reltui.store import metric_queries as q


@dataclass(frozen=True)
class Tier:
    name: str  # platinum | gold | iron | lead
    count: int
    profit: Decimal
    share: float | None  # of the pyramid's total profit; None when that total is not positive


@dataclass(frozen=True)
class RungFigures:
    rung: Rung
    at_start: int
    at_end: int
    climbed: Figure  # share of those on the rung at the start who stood higher at the end


@dataclass(frozen=True)
class ReasonFigures:
    reason: Reason
    count: int
    lost_profit: Decimal


@dataclass(frozen=True)
class MonthPoint:
    month: date  # first day of the calendar month
    start: date  # the part of the month inside the period
    end: date
    active: int  # parties active on `end`
    revenue: Decimal
    profit: Decimal
    purchases: int
    defections: int

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"


@dataclass(frozen=True)
class Metrics:
    period: Period
    segment: Segment
    today: date
    discount_rate: float
    platinum_cutoff: float
    gold_cutoff: float
    # retention (Dawkins and Reichheld)
    retention: Figure
    churn: Figure
    active_start: int
    retained: int
    lost: int
    won: int
    active_end: int
    annual_retention: Figure
    lifetime: Figure  # years
    margin: Figure  # m: yearly profit per retained party (money)
    clv: Figure  # money
    # profit
    buyers: int
    revenue: Decimal
    profit: Decimal
    profit_per_party: Figure  # money
    pyramid: tuple[Tier, ...]
    pareto: Figure
    pareto_top: int
    # loyalty
    ror: Figure
    loyal: int
    repeat_purchase: Figure
    referrals: Figure  # value: referred parties added; base: parties added
    # satisfaction
    mean_feedback: Figure
    nps: Figure
    promoters: int
    detractors: int
    # ladder
    ladder: tuple[RungFigures, ...]
    climbs: int
    falls: int
    # keeping in touch
    overdue_follow_ups: Figure  # value: count; base: follow-ups open at the end
    on_time: Figure
    past_cadence: Figure  # value: count; base: active parties with a cadence
    # defection
    defections: tuple[ReasonFigures, ...]
    defections_total: int
    lost_profit: Decimal
    # month by month
    months: tuple[MonthPoint, ...]
    seconds: float  # how long the computation took
    owner: str | None = None  # whose parties: None = everyone's, "" = nobody's (unassigned)
    charted: bool = True  # False: the cards' figures alone (compute_metrics(charts=False))

    @property
    def pyramid_members(self) -> int:
        return sum(t.count for t in self.pyramid)

    def tier(self, name: str) -> Tier:
        return next(t for t in self.pyramid if t.name == name)

    def rung(self, rung: Rung | str) -> RungFigures:
        return next(r for r in self.ladder if r.rung == Rung.parse(rung))


@dataclass(frozen=True)
class DrillRow:
    party_id: int
    name: str
    value: Any  # Decimal money, int, date or a short word
    note: str = ""


@dataclass(frozen=True)
class DrillDown:
    figure: str
    title: str
    definition: str
    period: Period
    segment: Segment
    rows: tuple[DrillRow, ...]
    total: int
    value_label: str


def _source(source: Any) -> tuple[Store, date]:
    """A Services (its store and clock) or a bare Store (today from the system clock)."""
    if isinstance(source, Store):
        return source, date.today()
    store = getattr(source, "store", None)
    if isinstance(store, Store) and hasattr(source, "today"):
        return store, source.today()
    raise TypeError("compute_metrics needs a Services or a Store")


def resolve_period(today: date, start: date | None, end: date | None) -> Period:
    """Fill in the default: the 12 months ending `end` (or today)."""
    end = end or today
    if start is None:
        return fm.Period.last_months(end, 12)
    return Period(start, end)


@dataclass(frozen=True)
class _Settings:
    discount_rate: Fraction
    platinum: Fraction
    gold: Fraction


def _settings(conn, discount_rate, platinum, gold) -> _Settings:  # noqa: ANN001
    stored = q.read_settings(conn, [fm.SETTING_DISCOUNT_RATE, fm.SETTING_PLATINUM, fm.SETTING_GOLD])

    def pick(given, key: str, default: Fraction, what: str) -> Fraction:  # noqa: ANN001
        if given is not None:
            return fm.parse_share(given, what)
        if key in stored:
            try:
                return fm.parse_share(stored[key], what)
            except InvalidInput as exc:
                raise InvalidInput(f"The stored setting {key} is wrong: {exc.message}") from None
        return default

    result = _Settings(
        pick(discount_rate, fm.SETTING_DISCOUNT_RATE, fm.DEFAULT_DISCOUNT_RATE, "discount rate"),
        pick(platinum, fm.SETTING_PLATINUM, fm.DEFAULT_PLATINUM, "platinum cut-off"),
        pick(gold, fm.SETTING_GOLD, fm.DEFAULT_GOLD, "gold cut-off"),
    )
    fm.check_cutoffs(result.platinum, result.gold)
    return result


PARALLEL_READS = 2  # SQLite runs queries on separate connections in parallel (the GIL is released)


def _read_together(store: Store, segment: str,
                   queries: dict[str, Callable[[Any], Any]], owner: str | None = None) -> dict[str, Any]:
    """Run the queries (costliest first) on PARALLEL_READS connections at the same time:
    each connection takes the next query as soon as it is free, so the costly ones
    spread out.  Each connection reads its own snapshot; if anything was written
    meanwhile, read everything again in one transaction, so the figures always agree."""
    def run(keys: Callable[[], str | None]) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        with store.read() as conn, q.segment_scope(conn, segment, owner):
            while (key := keys()) is not None:
                answers[key] = queries[key](conn)
        return answers

    def one_by_one() -> Callable[[], str | None]:
        pending, lock = list(queries), threading.Lock()

        def next_key() -> str | None:
            with lock:
                return pending.pop(0) if pending else None
        return next_key

    before = store.change_counter()
    if PARALLEL_READS > 1 and (os.cpu_count() or 1) > 1:
        keys = one_by_one()
        with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
            parts = list(pool.map(run, [keys] * PARALLEL_READS))
        if store.change_counter() == before:
            return {key: value for part in parts for key, value in part.items()}
    return run(one_by_one())


def compute_metrics(source: Any, period_start: date | None = None, period_end: date | None = None,
                    segment: Segment | str = Segment.ALL, *,
                    discount_rate: str | float | Fraction | None = None,
                    platinum: str | float | Fraction | None = None,
                    gold: str | float | Fraction | None = None,
                    owner: str | None = None, charts: bool = True) -> Metrics:
    """Every metric of DOMAIN.md for one period (both ends included) and segment.

    `source` is a Services (whose clock gives today) or a Store.  The discount
    rate and pyramid cut-offs default to the book's settings (discount_rate,
    pyramid_platinum, pyramid_gold), else 10%, 10% and 20%.  `owner` narrows the
    parties to one owner's (None: everyone's; "": the parties nobody owns), as the
    segment does: every figure is then over those parties alone.

    `charts=False` leaves out what only the charts and the ladder show, for a comparison
    of the cards' figures (the Metrics screen's previous period): the result's `charted`
    is False and its pyramid, ladder and months are empty, its climbs and falls 0.
    """
    started = time.perf_counter()
    store, today = _source(source)
    period = resolve_period(today, period_start, period_end)
    seg = Segment.parse(segment)
    spans = period.months()
    points = [end for _start, end in spans]
    with store.read() as conn:
        cfg = _settings(conn, discount_rate, platinum, gold)
    s, e = period.start, period.end
    sv = q.scope_key(seg.value, owner)
    # costliest first (as measured at 100,000 parties), so that they spread over the connections
    queries = {
        "bf": lambda c: q.buyer_figures(c, s, e, sv, platinum=cfg.platinum, gold=cfg.gold,
                                        top=fm.PARETO_TOP, tiers=charts),
        "pf": lambda c: q.party_figures(c, s, e, sv, points),
        "lf": lambda c: q.ladder_figures(c, s, e, sv),
        "by_month": lambda c: q.money_by_month(c, s, e, sv),
        "steps": lambda c: q.step_figures(c, s, e, sv),
        "reasons": lambda c: q.defection_figures(c, s, e, sv),
        "fu": lambda c: q.follow_up_figures(c, s, e, sv, today),
        "fb": lambda c: q.feedback_figures(c, s, e, sv),
        "lost_by_month": lambda c: q.defections_by_month(c, s, e, sv),
    }
    if not charts:
        # the cards alone: the party counts are the longest of those, without the pyramid's sorts
        queries = {key: queries[key] for key in ("pf", "bf", "reasons", "fu", "fb")}
    got = _read_together(store, seg.value, queries, owner)
    pf, bf, fu, fb, reasons = got["pf"], got["bf"], got["fu"], got["fb"], got["reasons"]
    steps = got.get("steps", {"climbs": 0, "falls": 0})

    # retention, lifetime, CLV
    n0, n1 = pf["active_start"], pf["retained"]
    r = fm.ratio(n1, n0)
    r_year = fm.annualise(r, period)
    lifetime = fm.average_lifetime(r_year)
    m = fm.yearly_margin(bf["retained_profit"], n1, period)
    clv = fm.clv(m, r_year, cfg.discount_rate)

    pyramid: tuple[Tier, ...] = ()
    ladder: tuple[RungFigures, ...] = ()
    months: list[MonthPoint] = []
    if charts:
        tier_total = sum(bf[f"{t}_profit"] for t in fm.TIERS)
        pyramid = tuple(
            Tier(t, bf[f"{t}_count"], fm.money(bf[f"{t}_profit"]),
                 fm.as_float(fm.ratio(bf[f"{t}_profit"], tier_total)) if tier_total > 0 else None)
            for t in fm.TIERS)
        lf = got["lf"]
        ladder = tuple(
            RungFigures(rung, lf["start"][rung.value], lf["end"][rung.value],
                        Figure(None, lf["start"][rung.value]) if rung.up() is None
                        else fm.rate(lf["climbed"][rung.value], lf["start"][rung.value]))
            for rung in Rung)
        by_month, lost_by_month = got["by_month"], got["lost_by_month"]
        for k, (first, last) in enumerate(spans):
            key = f"{first:%Y-%m}"
            rev, profit, n = by_month.get(key, (0, 0, 0))
            months.append(MonthPoint(first.replace(day=1), first, last,
                                     pf["active_at"][k], fm.money(rev),
                                     fm.money(profit), n, lost_by_month.get(key, 0)))

    defections = tuple(ReasonFigures(reason, reasons.get(reason.value, (0, 0))[0],
                                     fm.money(reasons.get(reason.value, (0, 0))[1]))
                       for reason in Reason)
    mean = fm.ratio(fb["total"], fb["scores"])

    return Metrics(
        period=period, segment=seg, today=today,
        discount_rate=float(cfg.discount_rate), platinum_cutoff=float(cfg.platinum),
        gold_cutoff=float(cfg.gold),
        retention=Figure(fm.as_float(r), n0), churn=fm.rate(n0 - n1, n0),
        active_start=n0, retained=n1, lost=n0 - n1, won=pf["won"], active_end=pf["active_end"],
        annual_retention=Figure(fm.as_float(r_year), n0),
        lifetime=Figure(fm.as_float(lifetime), n0),
        margin=Figure(fm.money(m), n1), clv=Figure(fm.money(clv), n1),
        buyers=bf["buyers"], revenue=fm.money(bf["revenue"]), profit=fm.money(bf["profit"]),
        profit_per_party=Figure(fm.money(fm.ratio(bf["profit"], bf["buyers"])), bf["buyers"]),
        pyramid=pyramid,
        pareto=Figure(fm.as_float(fm.ratio(bf["top_revenue"], bf["positive_revenue"])), bf["buyers"]),
        pareto_top=bf["top_count"],
        ror=fm.rate(pf["loyal"], pf["helped"]), loyal=pf["loyal"],
        repeat_purchase=fm.rate(pf["repeat_buyers"], pf["bought"]),
        referrals=Figure(pf["referrals"], pf["added"]),
        mean_feedback=Figure(fm.as_float(mean), fb["scores"]),
        nps=Figure(fm.as_float(fm.nps(fb["promoters"], fb["detractors"], fb["scores"])), fb["scores"]),
        promoters=fb["promoters"], detractors=fb["detractors"],
        ladder=ladder, climbs=steps["climbs"], falls=steps["falls"],
        overdue_follow_ups=Figure(fu["overdue"], fu["open_at_end"]),
        on_time=fm.rate(fu["done_on_time"], fu["done"]),
        past_cadence=Figure(pf["past_cadence"], pf["cadence_base"]),
        defections=defections, defections_total=sum(d.count for d in defections),
        lost_profit=fm.money(sum(v[1] for v in reasons.values())),
        months=tuple(months),
        seconds=time.perf_counter() - started,
        owner=owner,
        charted=charts,
    )


# -- JSON -----------------------------------------------------------------------------------------

def _num(value: Decimal | float | int | None, places: int | None = None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int):
        return value
    return round(value, places) if places is not None else value


def metrics_to_json(result: Metrics) -> dict:
    """The --json shape: rates as fractions 0-1 (NPS -1..1), money as numbers, n/a as null.

    The keys named in the brief never change; more may be added.
    """
    rate = fm.json_rate
    return {
        "period": {"from": result.period.start.isoformat(), "to": result.period.end.isoformat()},
        "segment": result.segment.value,
        "owner": owner_json(result.owner),
        "retention_rate": rate(result.retention.value),
        "churn_rate": rate(result.churn.value),
        "average_lifetime_years": _num(result.lifetime.value, 4),
        "clv": _num(result.clv.value),
        "pareto_share": rate(result.pareto.value),
        "ror": rate(result.ror.value),
        "repeat_purchase_rate": rate(result.repeat_purchase.value),
        "referrals": result.referrals.value,
        "mean_feedback": _num(result.mean_feedback.value, 4),
        "nps": rate(result.nps.value),
        "pyramid": {t.name: t.count for t in result.pyramid},
        "ladder": {r.rung.value: r.at_end for r in result.ladder},
        "defections_by_reason": {d.reason.value: d.count for d in result.defections},
        "overdue_follow_ups": result.overdue_follow_ups.value,
        "past_cadence": result.past_cadence.value,
        "base": {
            "retention_rate": result.retention.base,
            "churn_rate": result.churn.base,
            "average_lifetime_years": result.lifetime.base,
            "annual_retention": result.annual_retention.base,
            "clv": result.clv.base,
            "profit_per_party": result.profit_per_party.base,
            "pareto_share": result.pareto.base,
            "pyramid": result.pyramid_members,
            "ror": result.ror.base,
            "repeat_purchase_rate": result.repeat_purchase.base,
            "referrals": result.referrals.base,
            "mean_feedback": result.mean_feedback.base,
            "nps": result.nps.base,
            "on_time_rate": result.on_time.base,
            "overdue_follow_ups": result.overdue_follow_ups.base,
            "past_cadence": result.past_cadence.base,
            "ladder_climbed_share": {r.rung.value: r.climbed.base for r in result.ladder},
        },
        # more figures (added keys; the ones above never change)
        "discount_rate": result.discount_rate,
        "pyramid_cutoffs": {"platinum": result.platinum_cutoff, "gold": result.gold_cutoff},
        "annual_retention": rate(result.annual_retention.value),
        "active_start": result.active_start,
        "retained": result.retained,
        "lost": result.lost,
        "won": result.won,
        "active_end": result.active_end,
        "margin": _num(result.margin.value),
        "buyers": result.buyers,
        "revenue": _num(result.revenue),
        "profit": _num(result.profit),
        "profit_per_party": _num(result.profit_per_party.value),
        "pareto_top": result.pareto_top,
        "pyramid_profit": {t.name: _num(t.profit) for t in result.pyramid},
        "pyramid_profit_share": {t.name: rate(t.share) for t in result.pyramid},
        "helped": result.ror.base,
        "loyal": result.loyal,
        "promoters": result.promoters,
        "detractors": result.detractors,
        "ladder_start": {r.rung.value: r.at_start for r in result.ladder},
        "ladder_climbed_share": {r.rung.value: rate(r.climbed.value) for r in result.ladder},
        "climbs": result.climbs,
        "falls": result.falls,
        "on_time_rate": rate(result.on_time.value),
        "defections": result.defections_total,
        "defections_lost_profit": {d.reason.value: _num(d.lost_profit) for d in result.defections},
        "lost_profit": _num(result.lost_profit),
        "months": [
            {"month": f"{p.month:%Y-%m}", "from": p.start.isoformat(), "to": p.end.isoformat(),
             "active": p.active, "revenue": _num(p.revenue), "profit": _num(p.profit),
             "purchases": p.purchases, "defections": p.defections}
            for p in result.months
        ],
    }


def owner_json(owner: str | None) -> str | None:
    """An owner filter in JSON: null for everyone's parties, "none" for nobody's, else the name."""
    return None if owner is None else (owner or "none")


# -- per owner: whose relationships climb ----------------------------------------------------------

@dataclass(frozen=True)
class OwnerFigures:
    """One owner's parties over a period (owner None: the parties nobody owns)."""

    owner: str | None
    parties: int  # the owner's parties in the segment now
    climbs: int  # rung steps up in the period
    falls: int
    climbed: Figure  # of their parties on the ladder (below the top) at the start, the share higher at the end
    revenue: Decimal  # in the period
    retention: Figure


def owner_figures(source: Any, period_start: date | None = None, period_end: date | None = None,
                  segment: Segment | str = Segment.ALL) -> tuple[Period, Segment, tuple[OwnerFigures, ...]]:
    """The figures per owner, "whose relationships climb": one entry per owner of a party in
    the segment (by name), then the unassigned parties if there are any.  Each is counted by
    the same queries as the metrics with that owner's filter, so the two always agree."""
    store, today = _source(source)
    period = resolve_period(today, period_start, period_end)
    seg = Segment.parse(segment)
    s, e = period.start, period.end
    out = []
    with store.read() as conn:
        counts = q.parties_by_owner(conn, seg.value)
        owners = sorted(((o, n) for o, n in counts if o is not None), key=lambda x: x[0].lower())
        owners += [(None, n) for o, n in counts if o is None]
        for owner, parties in owners:
            with q.segment_scope(conn, seg.value, "" if owner is None else owner) as key:
                pf = q.party_figures(conn, s, e, key, [e])
                lf = q.ladder_figures(conn, s, e, key)
                steps = q.step_figures(conn, s, e, key)
                money = q.money_by_month(conn, s, e, key)
            below_top = [r.value for r in Rung if r.up() is not None]
            out.append(OwnerFigures(
                owner=owner, parties=parties, climbs=steps["climbs"], falls=steps["falls"],
                climbed=fm.rate(sum(lf["climbed"][r] for r in below_top),
                                sum(lf["start"][r] for r in below_top)),
                revenue=fm.money(sum(v[0] for v in money.values())),
                retention=fm.rate(pf["retained"], pf["active_start"]),
            ))
    return period, seg, tuple(out)


def owners_to_json(figures: tuple[OwnerFigures, ...]) -> list[dict]:
    """The --by-owner list: rates as fractions 0-1 (null: n/a), each with the count it rests on;
    owner null = the parties nobody owns."""
    rate = fm.json_rate
    return [{
        "owner": f.owner, "parties": f.parties, "climbs": f.climbs, "falls": f.falls,
        "climbed_share": rate(f.climbed.value), "climbed_base": f.climbed.base,
        "revenue": _num(f.revenue),
        "retention_rate": rate(f.retention.value), "retention_base": f.retention.base,
    } for f in figures]


# -- drill-down -----------------------------------------------------------------------------------

# figure -> what the value column of its parties holds
DRILL_VALUES = {
    "retention": "status at the end", "churn": "status at the end",
    "annual_retention": "status at the end", "lifetime": "status at the end",
    "won": "first purchase", "active": "first purchase",
    "clv": "profit in the period", "profit_per_party": "profit in the period",
    "pyramid": "profit in the period", "pareto": "revenue in the period",
    "revenue": "revenue in the period",
    "ror": "loyal?", "repeat_purchase": "buyer", "referrals": "referred by",
    "mean_feedback": "mean score", "nps": "mean score",
    "ladder": "rung at the end", "climbs": "step",
    "overdue_follow_ups": "due", "on_time": "done",
    "past_cadence": "days past cadence", "defections": "lost profit",
}
_MONEY_FIGURES = {"clv", "profit_per_party", "pyramid", "pareto", "revenue", "defections"}


def drill_down(figure: str, source: Any, period_start: date | None = None,
               period_end: date | None = None, segment: Segment | str = Segment.ALL, *,
               limit: int = 500, platinum: str | float | Fraction | None = None,
               gold: str | float | Fraction | None = None, owner: str | None = None) -> DrillDown:
    """The parties behind a figure (id, name, value), and the figure's definition.

    `figure` is a key of DRILL_VALUES, optionally with a part: 'pyramid:gold',
    'ladder:client', 'defections:price'.
    """
    key, _, sub = figure.partition(":")
    if key not in DRILL_VALUES:
        raise InvalidInput(f"There is no figure {figure!r} to open; known: "
                           f"{', '.join(sorted(DRILL_VALUES))}.")
    if sub and key == "ladder":
        sub = Rung.parse(sub).value
    elif sub and key == "defections":
        sub = Reason.parse(sub).value
    elif sub and key == "pyramid" and sub not in fm.TIERS:
        raise InvalidInput(f"The pyramid's tiers are {', '.join(fm.TIERS)} (got {sub!r}).")
    elif sub and key not in ("ladder", "defections", "pyramid"):
        raise InvalidInput(f"The figure {key} has no parts (got {figure!r}).")
    store, today = _source(source)
    period = resolve_period(today, period_start, period_end)
    seg = Segment.parse(segment)
    with store.read() as conn, q.segment_scope(conn, seg.value, owner) as scope:
        cfg = _settings(conn, None, platinum, gold)
        rows, total = q.drill_parties(conn, key, sub or None, period.start, period.end, scope,
                                      platinum=cfg.platinum, gold=cfg.gold, top=fm.PARETO_TOP,
                                      limit=max(0, limit))
    title, text_ = fm.definition(key)
    if sub:
        title = f"{title}: {sub}"
    money_values = key in _MONEY_FIGURES
    drilled = tuple(
        DrillRow(r[0], r[1], fm.money(int(r[2])) if money_values and r[2] is not None else
                 (date.fromisoformat(r[2]) if key in ("won", "active", "overdue_follow_ups") and r[2]
                  else r[2]),
                 "" if r[3] is None else str(r[3]))
        for r in rows)
    return DrillDown(figure, title, text_, period, seg, drilled, total, DRILL_VALUES[key])
