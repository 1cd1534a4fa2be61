"""`reltui metrics`: every figure of DOMAIN.md "Metrics" for a period and a segment.

A readable table by default ("80% of 50"; n/a where a figure has nothing to
rest on), or --json with stable keys (rates as fractions 0-1, NPS -1..1,
money as numbers, n/a as null).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

EXIT_OK = 0


def add_commands(command: Callable[..., argparse.ArgumentParser]) -> None:
    p = command("metrics", "retention, lifetime value, pyramid, ladder and the other metrics",
                cmd_metrics)
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help="first day of the period (default: 12 months before --to, plus a day)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day of the period (default: today)")
    p.add_argument("--segment", default="all", help="b2c, b2b or all (default: all)")
    p.add_argument("--discount-rate", metavar="R",
                   help="for CLV, e.g. 0.10 or 10%% (default: the discount_rate setting, else 10%%)")
    p.add_argument("--platinum", metavar="SHARE", help="pyramid cut-off, e.g. 10%% (default: setting, else 10%%)")
    p.add_argument("--gold", metavar="SHARE", help="pyramid cut-off, e.g. 20%% (default: setting, else 20%%)")
    p.add_argument("--owner", default="all", metavar="NAME",
                   help="whose parties: a name, mine, none (nobody's) or all (default: all)")
    p.add_argument("--by-owner", action="store_true",
                   help="add one line per owner: parties, climbs and falls, share that climbed, "
                        "revenue, retention")
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_metrics(svc, args) -> int:  # noqa: ANN001
    from reltui.cli import _date, _out, _print_json
    from reltui.services.metrics import compute_metrics, metrics_to_json, owner_figures, owners_to_json

    owner = svc.owner_filter(args.owner)
    start, end = _date(svc, args.date_from), _date(svc, args.date_to)
    result = compute_metrics(svc, start, end, args.segment, owner=owner,
                             discount_rate=args.discount_rate, platinum=args.platinum, gold=args.gold)
    owners = owner_figures(svc, start, end, args.segment)[2] if args.by_owner else None
    if args.json:
        data = metrics_to_json(result)
        if owners is not None:
            data["owners"] = owners_to_json(owners)
        _print_json(data)
    else:
        for line in metrics_lines(result):
            _out(line)
        if owners is not None:
            for line in owner_lines(owners):
                _out(line)
    return EXIT_OK


def owner_lines(owners) -> list[str]:  # noqa: ANN001
    """Per owner, whose relationships climb: one line each (names pass through for_terminal)."""
    from reltui.domain import metrics as fm
    from reltui.domain.text import for_terminal

    lines = ["", f"{'By owner':<22} {'parties':>8} {'climbs':>7} {'falls':>6}  {'climbed':<16} "
                 f"{'revenue':>14}  retention"]
    for f in owners:
        name = "(unassigned)" if f.owner is None else for_terminal(f.owner)
        lines.append(f"  {name[:20]:<20} {f.parties:>8,} {f.climbs:>7,} {f.falls:>6,}  "
                     f"{fm.rate_text(f.climbed):<16} {fm.money_text(f.revenue):>14}  "
                     f"{fm.rate_text(f.retention)}")
    if len(lines) == 1:
        lines.append("  no parties in this segment")
    return lines


def _whose(owner: str | None) -> str:
    from reltui.domain.text import for_terminal

    if owner is None:
        return ""
    return ", parties nobody owns" if owner == "" else f", {for_terminal(owner)}'s parties"


def metrics_lines(m) -> list[str]:  # noqa: ANN001
    """The readable report, one line per figure (pure text: no data from the book but numbers)."""
    from reltui.domain import metrics as fm

    def count(figure, noun: str) -> str:  # noqa: ANN001
        return f"{figure.value:,} of {figure.base:,} {noun}"

    def money_of(figure, noun: str) -> str:  # noqa: ANN001
        if figure.value is None:
            return f"n/a ({figure.base:,} {noun})"
        return f"{fm.money_text(figure.value)} ({figure.base:,} {noun})"

    period = m.period
    lines = [
        f"Metrics for {period.start:%d %b %Y} to {period.end:%d %b %Y} ({period.days} days), "
        f"segment {m.segment.value}" + _whose(m.owner),
        "",
        "Retention",
        f"  retention rate        {fm.rate_text(m.retention)} active at the start",
        f"  churn                 {fm.rate_text(m.churn)}",
        f"  annual retention      {fm.percent_text(m.annual_retention.value)}",
        f"  average lifetime      {fm.years_text(m.lifetime.value)}",
        f"  new customers         {m.won:,} (not in the retention base)",
        f"  active at the end     {m.active_end:,}",
        "",
        "Value",
        f"  CLV                   {money_of(m.clv, 'retained parties')}, "
        f"m {fm.money_text(m.margin.value)} a year, i {fm.percent_text(m.discount_rate)}",
        f"  revenue               {fm.money_text(m.revenue)} from {m.buyers:,} buyers",
        f"  profit                {fm.money_text(m.profit)}",
        f"  profit per party      {money_of(m.profit_per_party, 'buyers')}",
        f"  Pareto share          {fm.rate_text(m.pareto)} buyers (top {m.pareto_top:,})",
        "  pyramid               " + ", ".join(
            f"{t.name} {t.count:,}" + (f" ({fm.percent_text(t.share)} of profit)" if t.share is not None else "")
            for t in m.pyramid),
        "",
        "Loyalty and satisfaction",
        f"  return on relationship {fm.rate_text(m.ror)} helped",
        f"  repeat-purchase rate  {fm.rate_text(m.repeat_purchase)} buyers",
        f"  referrals             {count(m.referrals, 'parties added')}",
        "  mean feedback         "
        + ("n/a (no scores)" if m.mean_feedback.value is None
           else f"{m.mean_feedback.value:.1f} of 10 from {m.mean_feedback.base:,} scores"),
        f"  NPS                   {fm.nps_text(m.nps.value)}"
        + (f" from {m.nps.base:,} scores" if m.nps.base else ""),
        "",
        "Ladder (not defected)   at start    at end   climbed",
    ]
    for r in m.ladder:
        climbed = "n/a (top)" if r.rung.up() is None else fm.rate_text(r.climbed)
        lines.append(f"  {r.rung.value:<20} {r.at_start:>9,} {r.at_end:>9,}   {climbed}")
    lines += [
        f"  steps in the period   {m.climbs:,} climbs, {m.falls:,} falls",
        "",
        "Keeping in touch",
        f"  overdue follow-ups    {count(m.overdue_follow_ups, 'open at the end')}",
        f"  done on time          {fm.rate_text(m.on_time)} done in the period",
        f"  past cadence          {count(m.past_cadence, 'active with a cadence')}",
        "",
        f"Defections: {m.defections_total:,}, lost profit {fm.money_text(m.lost_profit)}",
    ]
    for d in m.defections:
        if d.count:
            lines.append(f"  {d.reason.value:<20} {d.count:>6,}   lost profit {fm.money_text(d.lost_profit)}")
    return lines
