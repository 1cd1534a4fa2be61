"""The SQL aggregates behind the metrics (DOMAIN.md "Metrics"); SQLite dialect.

Every figure is counted in SQL: Python only ever sees a handful of sums per
query (or one page of a drill-down), never a row per party or per purchase.
Engine-specific SQL lives here and nowhere else: date() arithmetic, unary `+`
to steer SQLite's index choice, window functions, `count(DISTINCT CASE ...)`.

The SQL is SQLite's. On PostgreSQL `_run` rewrites what is SQLite syntax alone
(`LIMIT -1`, unary `+`, `INDEXED BY`, the temporary tables) and the book's
schema supplies SQLite's scalar functions with SQLite's meaning (store.postgres:
substr and date() over dates, julianday, instr, two-argument max/min, sum of a
truth value, group_concat). Flags are 0/1 integers or truth values, never mixed:
a flag used as a condition is compared (`= 1`), which both engines read alike.

Conventions:
- dates are bound as ISO text ('2026-11-22'); DATETIME columns (interaction.at,
  party.last_contact_at) hold 'YYYY-MM-DD HH:MM:SS...' so `at < :e1` (the day
  after the period end) keeps every moment of the last day;
- "defected at d" = a defection row with on_date <= d not won back by d
  (won_back_on > d or null); "active at d" = first purchase on or before d and
  not defected at d;
- a party's rung at d is the `to_rung` of its last rung step on or before d.
  The store writes every step with from_rung = the rung it left, so this is
  the `from_rung` of its first step after d, or, with no step after d (its
  rung_since <= d), its current rung; only parties whose rung changed after d
  need a look at rung_step;
- profit = revenue - cost, an unknown cost counting as 0.

The segment fragments below are fixed strings chosen from SEGMENT_SQL, never
user text.  An owner narrows the party set too: `segment_scope` then puts the
segment's parties of that owner (a bound value) in the temporary table, and the
queries take the segment key SCOPED, which reads that table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, CursorResult, text

from reltui.domain.text import iso_value
from reltui.store.migrations import KINDS, rung_level

RUNGS = ("prospect", "customer", "client", "supporter", "advocate", "partner")
REASONS = ("price", "service", "quality", "competitor", "moved", "no-need", "other")

# B2B is every kind but customer, spelled out so that SQLite can seek an index on kind
_B2B_KINDS = ", ".join(k for k in KINDS.split(",") if k != "'customer'")
SEGMENT_KINDS = {"b2c": "kind = 'customer'", "b2b": f"kind IN ({_B2B_KINDS})"}
# The ids of a segment's parties, in a temporary table (one per connection) that
# `segment_scope` fills once per computation: every query over a table with a
# party_id column then probes it by rowid, instead of each building its own list.
SEGMENT_TABLE = "temp.metric_segment"
# the segment key of a party set narrowed to one owner: the parties in SEGMENT_TABLE
SCOPED = "scoped"
# party alias p
SEGMENT_SQL = {"all": "TRUE", **{k: f"p.{v}" for k, v in SEGMENT_KINDS.items()},
               SCOPED: f"p.id IN {SEGMENT_TABLE}"}


def scope_key(segment: str, owner: str | None = None) -> str:
    """The segment key the queries take for `segment` narrowed to `owner` (None: everyone's)."""
    return segment if owner is None else SCOPED


@contextmanager
def segment_scope(conn: Connection, segment: str, owner: str | None = None) -> Iterator[str]:
    """Make `_seg_in` usable for `segment` inside the caller's transaction; with `owner` ("" for
    the parties nobody owns) only that owner's parties count.  Yields `scope_key(...)`."""
    if segment == "all" and owner is None:
        yield segment
        return
    where = [] if segment == "all" else [SEGMENT_KINDS[segment]]
    params: dict[str, str] = {}
    if owner == "":
        where.append("owner IS NULL")
    elif owner is not None:
        where.append("owner = :owner")  # ix_party_owner
        params["owner"] = owner
    _run(conn, f"DROP TABLE IF EXISTS {SEGMENT_TABLE}")
    _run(conn, f"CREATE TABLE {SEGMENT_TABLE} (id INTEGER PRIMARY KEY)")
    try:
        _run(conn, f"INSERT INTO {SEGMENT_TABLE} SELECT id FROM party WHERE {' AND '.join(where)}",
             params)
        yield scope_key(segment, owner)
    finally:
        _run(conn, f"DROP TABLE IF EXISTS {SEGMENT_TABLE}")


def _seg_in(segment: str, alias: str) -> str:
    """The segment test for a row of a table with a party_id (inside `segment_scope`).

    The `+` keeps SQLite on the table's own date index, probing the segment's ids.
    """
    return "TRUE" if segment == "all" else f"+{alias}.party_id IN {SEGMENT_TABLE}"


# a rung's place on the ladder: its position in this string grows with the rung
_LADDER = "," + ",".join(RUNGS) + ","


def _level(expr: str) -> str:
    """The rung's place as a position in _LADDER (for ordering; `rung_level` is cheaper per row)."""
    return f"instr('{_LADDER}', ',' || {expr} || ',')"


def _year_before(col: str) -> str:
    """The same day a year earlier, 29 February -> 28 February (as Python's relativedelta)."""
    return (f"(CASE WHEN substr({col}, 6, 5) = '02-29' THEN date({col}, '-1 year', '-1 day')"
            f" ELSE date({col}, '-1 year') END)")


_PG_REWRITES = [
    (re.compile(r"\bLIMIT -1\b"), "OFFSET 0"),  # a subquery the planner must not flatten
    (re.compile(r"\bINDEXED BY \w+"), ""),
    (re.compile(r"(?<=[\s(])\+(?=[a-z_])"), ""),  # unary + (arithmetic is spaced: a + b)
    (re.compile(r"\bIN temp\.(\w+)"), r"IN (SELECT id FROM pg_temp.\1)"),
    (re.compile(r"\btemp\.(?=\w)"), "pg_temp."),
]


@lru_cache(maxsize=512)
def _for_postgres(sql: str) -> str:
    for pattern, replacement in _PG_REWRITES:
        sql = pattern.sub(replacement, sql)
    return sql


def _run(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> CursorResult:
    """Run one statement of this module's SQL on the connection's engine."""
    if conn.dialect.name == "postgresql":
        sql = _for_postgres(sql)
    return conn.execute(text(sql), params or {})


def _params(start: date, end: date, **more: Any) -> dict[str, Any]:
    return {"s": start.isoformat(), "e": end.isoformat(),
            "e1": (end + timedelta(days=1)).isoformat(), **more}


# -- settings -------------------------------------------------------------------------------------

def read_settings(conn: Connection, keys: Sequence[str]) -> dict[str, str]:
    if not keys:
        return {}
    marks = ", ".join(f":k{i}" for i in range(len(keys)))
    rows = _run(conn, f"SELECT key, value FROM setting WHERE key IN ({marks})",
                {f"k{i}": k for i, k in enumerate(keys)})
    return {r[0]: r[1] for r in rows}


# -- per-party expressions (party alias p, joined to the defection flags dd) ----------------------

# For every party with a defection on or before the end: defected at the start (d0)
# and at the end (d1).  Materialised once per statement; parties join it by id.
_DD = """dd AS MATERIALIZED (
        SELECT party_id,
               max(CASE WHEN +on_date <= :s AND (won_back_on IS NULL OR +won_back_on > :s)
                        THEN 1 ELSE 0 END) AS d0,
               max(CASE WHEN won_back_on IS NULL OR +won_back_on > :e THEN 1 ELSE 0 END) AS d1
          FROM defection WHERE on_date <= :e GROUP BY party_id)"""
_JOIN_DD = "LEFT JOIN dd ON dd.party_id = p.id"
D0 = "coalesce(dd.d0, 0)"
D1 = "coalesce(dd.d1, 0)"
FP = "p.first_purchase_on"
# Dates are TEXT in columns of NUMERIC affinity (DATE, DATETIME): SQLite compares such a column
# with a bound value by first trying to read the value as a number, on every row.  A unary `+`
# takes the column's affinity away (and its index: so only in tests made row by row), which
# roughly halves what a date comparison costs in a pass over every party.  Same result: the
# dates are text either way.
FP_ROW = f"+{FP}"
ADDED_ROW = "(+p.created_on BETWEEN :s AND :e)"
A0 = f"({FP} <= :s AND {D0} = 0)"
A1 = f"({FP} <= :e AND {D1} = 0)"
WON = f"({FP} > :s AND {FP} <= :e)"
BOUGHT = f"({FP} <= :e)"
ADDED = "(p.created_on BETWEEN :s AND :e)"
REFERRED = "(p.referred_by_id IS NOT NULL)"
# two or more purchases on or before the end: the second one's date (a rollup, version 6)
REP = "(CASE WHEN +p.second_purchase_on <= :e THEN 1 ELSE 0 END)"
# an interaction in the period; last_contact_at (the rollup) settles it unless the
# last contact came after the period
HELPED = ("(CASE WHEN p.last_contact_at IS NULL OR p.last_contact_at < :s THEN 0"
          " WHEN p.last_contact_at < :e1 THEN 1"
          " WHEN EXISTS (SELECT 1 FROM interaction i WHERE i.party_id = p.id"
          " AND i.at >= :s AND i.at < :e1) THEN 1 ELSE 0 END)")
_LAST_TOUCH = ("(CASE WHEN p.last_contact_at IS NULL OR +p.last_contact_at < :e1"
               " THEN p.last_contact_at ELSE (SELECT max(i.at) FROM interaction i"
               " WHERE i.party_id = p.id AND i.at < :e1) END)")
DAYS_PAST = (f"(CAST(julianday(:e) - julianday(substr(coalesce({_LAST_TOUCH}, p.created_on), 1, 10))"
             " AS INTEGER) - p.cadence_days)")
# DAYS_PAST > 0 without cutting the moment down to its day: the day numbers of two dates
# differ by whole days, so "last touch + cadence < end" holds for the moment exactly when
# it holds for its day (a time of day adds less than one)
IS_PAST = f"(julianday(coalesce({_LAST_TOUCH}, p.created_on)) + p.cadence_days < julianday(:e))"
PAST = f"(CASE WHEN p.cadence_days IS NULL THEN 0 WHEN {IS_PAST} THEN 1 ELSE 0 END)"
# REP = 1 and HELPED = 1 as conditions, for count(*) FILTER (WHERE ...): the cheap tests first
# (:all_in = 1 when no purchase is dated after the end, as for a period ending today: then
# purchase_count alone says it)
IS_REPEAT = "(p.purchase_count >= 2 AND (:all_in = 1 OR +p.second_purchase_on <= :e))"
# referred or a repeat buyer at some time: the parties in ix_party_loyal (schema 7)
LOYAL_KIND = "(p.referred_by_id IS NOT NULL OR p.second_purchase_on IS NOT NULL)"
IS_HELPED = ("(+p.last_contact_at >= :s AND (+p.last_contact_at < :e1 OR EXISTS (SELECT 1 FROM"
             " interaction i WHERE i.party_id = p.id AND i.at >= :s AND i.at < :e1)))")


def _all_in(conn: Connection, end: date) -> int:
    """1 when no purchase is dated after `end` (then purchase_count counts them all)."""
    last = _run(conn, "SELECT max(on_date) FROM purchase").scalar()
    return int(last is None or str(last) <= end.isoformat())


def _party_params(conn: Connection, start: date, end: date, **more: Any) -> dict[str, Any]:
    return _params(start, end, all_in=_all_in(conn, end), **more)


def parties_by_owner(conn: Connection, segment: str) -> list[tuple[str | None, int]]:
    """(owner, parties) for each owner of a party in the segment (None: nobody's)."""
    where = "" if segment == "all" else f" WHERE {SEGMENT_KINDS[segment]}"
    return [tuple(r) for r in _run(conn, f"SELECT owner, count(*) FROM party{where} GROUP BY owner")]


# -- the parties ---------------------------------------------------------------------------------
#
# Adding up per-party flags costs SQLite a few microseconds per party and flag, so the
# passes below are shaped to keep that small: no join in the big pass (the few parties
# with a defection are counted apart and subtracted), each costly test guarded by a
# CASE that settles most parties on their rollup columns, and groupings done on a
# handful of keys.

def _guarded(condition: str, value: str) -> str:
    """`value` for the parties meeting `condition` (cheap), NULL (not counted) for the rest."""
    return f"CASE WHEN {condition} THEN {value} END"


def party_figures(conn: Connection, start: date, end: date, segment: str,
                  points: Sequence[date] = ()) -> dict[str, Any]:
    """Counts over the parties: retention, new customers, loyalty, ROR, cadence, and
    `active_at`: the parties active on each of `points` (the period's month ends, the
    last one its end; ascending, one per month).

    Counts of active parties come as "parties that had bought" (from first purchases
    grouped by month) minus "those of them defected then" (from the few parties with
    a defection), so the pass over every party stays light.
    """
    seg = SEGMENT_SQL[segment]
    months = [f"{d:%Y-%m}" for d in points]
    if len(set(months)) != len(months) or list(points) != sorted(points) or (
            points and (points[0] < start or points[-1] > end)):
        raise ValueError("points: one per month, ascending, inside the period")
    params = _party_params(conn, start, end)
    # first purchases: '' = on or before the start, else by month up to the end
    # grouped by day first, in the order of ix_party_first_purchase (no sort), then by month
    firsts = dict(_run(conn, f"""
        SELECT CASE WHEN d <= :s THEN '' ELSE substr(d, 1, 7) END, sum(n) FROM (
            SELECT {FP} AS d, count(*) AS n FROM party p
             WHERE {seg} AND {FP} <= :e GROUP BY {FP}) AS days
         GROUP BY 1""", params).all())
    row: dict[str, Any] = {"bought_by_start": firsts.get("", 0), "bought": sum(firsts.values())}
    row["won"] = row["bought"] - row["bought_by_start"]
    past = _contacted_after(conn, end)
    if past:
        # A period in the past: most parties were contacted since, so their last contact
        # says nothing about the period. The period's interactions (a range of
        # ix_interaction_at) give who was helped, in a table of ids.
        fills = {HELPED_AT: "SELECT DISTINCT party_id FROM interaction WHERE at >= :s AND at < :e1"}
        is_helped = f"p.id IN {HELPED_AT}"
    else:
        # up to today: the last contact (a rollup column) settles every party
        fills, is_helped = {}, IS_HELPED
    if segment == "all":
        # Over every party, each count is a range of an index (schema 7) instead of a pass
        # over the parties: repeat buyers in ix_party_second_purchase (a second purchase
        # on or before the end implies a first one), referrals in ix_party_referred_created,
        # the cadenced buyers in ix_party_cadence, which also holds what "past its cadence"
        # reads. The helped: in ix_party_last_contact up to today, else the table of ids,
        # whose parties are then the only ones looked at for loyalty; up to today the loyal
        # are a range of the partial ix_party_loyal (its WHERE, LOYAL_KIND, said as is lets
        # SQLite use it).
        helped = (f"(SELECT count(*) FROM {HELPED_AT})" if past else
                  "((SELECT count(*) FROM party p WHERE p.last_contact_at >= :s AND p.last_contact_at < :e1)"
                  f" + (SELECT count(*) FROM party p WHERE p.last_contact_at >= :e1 AND {IS_HELPED}))")
        loyal_count = (f"(SELECT count(*) FROM {HELPED_AT} h CROSS JOIN party p"
                       f" WHERE p.id = h.id AND ({REFERRED} OR {IS_REPEAT}))" if past else
                       f"(SELECT count(*) FROM party p WHERE {LOYAL_KIND} AND {IS_HELPED}"
                       f" AND ({REFERRED} OR +p.second_purchase_on <= :e))")
        cadenced = "p.cadence_days IS NOT NULL AND p.first_purchase_on <= :e"
        sql = f"""
            SELECT (SELECT count(*) FROM party p WHERE p.second_purchase_on <= :e) AS repeat_buyers,
                   (SELECT count(*) FROM party p WHERE p.created_on BETWEEN :s AND :e) AS added,
                   (SELECT count(*) FROM party p WHERE {REFERRED} AND p.created_on BETWEEN :s AND :e)
                       AS referrals,
                   {helped} AS helped, {loyal_count} AS loyal,
                   (SELECT count(*) FROM party p WHERE {cadenced}) AS cadence_bought,
                   (SELECT count(*) FROM party p WHERE {cadenced} AND {IS_PAST}) AS past_bought"""
    else:
        # a segment's parties: one pass. count(*) FILTER steps the aggregate only for the
        # parties counted, each condition leading with a cheap test on the party's own
        # columns that settles most of them.
        loyal = f"({REFERRED} OR p.purchase_count >= 2) AND {is_helped} AND ({REFERRED} OR {IS_REPEAT})"
        sql = f"""
            SELECT count(*) FILTER (WHERE {IS_REPEAT} AND {FP_ROW} <= :e) AS repeat_buyers,
                   count(*) FILTER (WHERE {ADDED_ROW}) AS added,
                   count(*) FILTER (WHERE {REFERRED} AND {ADDED_ROW}) AS referrals,
                   count(*) FILTER (WHERE {is_helped}) AS helped,
                   count(*) FILTER (WHERE {loyal}) AS loyal,
                   count(*) FILTER (WHERE p.cadence_days IS NOT NULL AND {FP_ROW} <= :e) AS cadence_bought,
                   count(*) FILTER (WHERE p.cadence_days IS NOT NULL AND {FP_ROW} <= :e AND {IS_PAST})
                       AS past_bought
              FROM party p
             WHERE {seg}"""
    with _id_tables(conn, fills, params):
        row.update(_run(conn, sql, params).mappings().one())
    d = _defected_counts(conn, seg, start, end, len(points))
    row["active_start"] = row["bought_by_start"] - d["start"]
    row["retained"] = row["active_start"] - d["lost"]
    row["active_end"] = row["bought"] - d["end"]
    row["cadence_base"] = row["cadence_bought"] - d["cadence"]
    row["past_cadence"] = row["past_bought"] - d["past"]
    active, running = [], row["bought_by_start"]
    for k, month in enumerate(months):
        running += firsts.get(month, 0)  # each point is its month's last day, or the end
        active.append(running - d["by_month"][k])
    row["active_at"] = active
    return row


def _month_index(col: str) -> str:
    """Months from the period's first month to the month of `col` (0 for that month)."""
    return f"((CAST(substr({col}, 1, 4) AS INTEGER) - :y0) * 12 + CAST(substr({col}, 6, 2) AS INTEGER) - :m0)"


def _defected_counts(conn: Connection, seg: str, start: date, end: date, months: int) -> dict[str, Any]:
    """What the defections take away from the counts of parties that had bought:

    - start / end: parties defected at the start / at the end (that had bought by then);
    - lost: parties active at the start and defected at the end;
    - cadence / past: of those defected at the end, the ones with a cadence / past it;
    - by_month: for each of the period's month ends (the last: its end), the parties
      defected on it that had bought by then.

    One pass over the defections (few next to the parties): the flags are summed per
    (lo, hi) pair, a handful of groups.
    A party's defections never overlap (one can't defect while defected), so "rows
    that cover a date" counts parties.  A defection covers the month ends from the
    month it began (or of the first purchase, if later) up to the one before its
    win-back: a range [lo, hi) of month indexes, spread over the months here.
    """
    covers_s = "(+x.on_date <= :s AND (x.won_back_on IS NULL OR +x.won_back_on > :s))"
    covers_e = "(x.won_back_on IS NULL OR +x.won_back_on > :e)"  # on_date <= :e below
    other_covers_s = ("EXISTS (SELECT 1 FROM defection y WHERE y.party_id = x.party_id AND y.id <> x.id"
                      " AND y.on_date <= :s AND (y.won_back_on IS NULL OR y.won_back_on > :s))")
    lo = f"max(0, {_month_index('x.on_date')}, {_month_index(FP)})"
    hi = f"CASE WHEN {covers_e} THEN {months} ELSE {_month_index('x.won_back_on')} END"
    sql = f"""
        SELECT lo, hi, count(*), sum(cs), sum(ce), sum(lost), sum(cad), sum(past) FROM (
            SELECT {FP_ROW} <= :s AND {covers_s} AS cs,
                   {covers_e} AS ce,
                   {_guarded(f"{covers_e} AND {FP_ROW} <= :s AND +x.on_date > :s", f"NOT {other_covers_s}")}
                       AS lost,
                   {covers_e} AND p.cadence_days IS NOT NULL AS cad,
                   {_guarded(f"{covers_e} AND p.cadence_days IS NOT NULL", PAST)} AS past,
                   {lo} AS lo, {hi} AS hi
              FROM defection x JOIN party p ON p.id = x.party_id
             WHERE {seg} AND x.on_date <= :e AND {FP_ROW} <= :e
               AND (x.won_back_on IS NULL OR +x.won_back_on > :s)
             LIMIT -1) AS flags
         GROUP BY lo, hi
    """
    params = _params(start, end, y0=start.year, m0=start.month)
    totals = dict.fromkeys(("start", "end", "lost", "cadence", "past"), 0)
    steps = [0] * (months + 1)
    for lo_k, hi_k, n, *flags in _run(conn, sql, params):
        for key, count in zip(("start", "end", "lost", "cadence", "past"), flags, strict=True):
            totals[key] += count or 0  # each flag is 0 or 1 (or NULL: not counted)
        if lo_k < hi_k:
            steps[min(lo_k, months)] += n
            steps[min(hi_k, months)] -= n
    by_month, running = [], 0
    for k in range(months):
        running += steps[k]
        by_month.append(running)
    return {**totals, "by_month": by_month}


def _rung_at(at: str) -> str:
    return (f"(CASE WHEN +p.created_on > {at} THEN NULL WHEN +p.rung_since <= {at} THEN p.rung"
            f" ELSE (SELECT st.from_rung FROM rung_step st WHERE st.party_id = p.id"
            f" AND st.on_date > {at} ORDER BY st.on_date, st.id LIMIT 1) END)")


RS_ANY = _rung_at(":s")
RE_ANY = _rung_at(":e")
RS = f"(CASE WHEN {D0} = 1 THEN NULL ELSE {RS_ANY} END)"  # on the ladder at the start
RE = f"(CASE WHEN {D1} = 1 THEN NULL ELSE {RE_ANY} END)"  # on the ladder at the end


def _contacted_after(conn: Connection, end: date) -> bool:
    """True when an interaction is dated after `end` (the top of ix_interaction_at)."""
    last = _run(conn, "SELECT max(at) FROM interaction").scalar()
    return last is not None and str(last)[:10] > end.isoformat()


def _nothing_after(conn: Connection, end: date) -> bool:
    """True when no party was added and no rung moved after `end` (a period ending
    today): then every party's rung at the end is its current rung."""
    last_step = _run(conn, "SELECT max(on_date) FROM rung_step").scalar()
    last_added = _run(conn, "SELECT max(created_on) FROM party").scalar()
    return all(v is None or str(v) <= end.isoformat() for v in (last_step, last_added))


def ladder_figures(conn: Connection, start: date, end: date, segment: str) -> dict[str, dict[str, int]]:
    """Per rung: parties on it at the start and at the end (not defected then), and how
    many of those on it at the start stood on a higher rung at the end.

    Every query returns one row per rung or per (rung at start, rung at end) pair;
    the last one counts the parties defected at the start or the end, to take away.
    """
    seg = SEGMENT_SQL[segment]
    params = _params(start, end)
    start_n = dict.fromkeys(RUNGS, 0)
    end_n = dict.fromkeys(RUNGS, 0)
    climbed = dict.fromkeys(RUNGS, 0)
    current = _nothing_after(conn, end)
    re_any = "p.rung" if current else RE_ANY
    # A party on its rung since the start (or earlier) stood on it at the start and at the
    # end: those are counted per rung (count(*) FILTER: no sort); only the parties whose
    # rung moved after the start need their rung at the start looked up.
    # LIMIT -1: a co-routine, so each rung is worked out once per party, not again for the sort
    stayed = _run(conn, "SELECT " + ", ".join(f"count(*) FILTER (WHERE p.rung = '{r}')" for r in RUNGS)
                  + f" FROM party p WHERE {seg} AND p.created_on <= :s AND +p.rung_since <= :s",
                  params).one()
    moved = (f"SELECT rs, re, count(*) FROM (SELECT {RS_ANY} AS rs, {re_any} AS re FROM party p"
             f" WHERE {seg} AND p.created_on <= :s AND +p.rung_since > :s LIMIT -1) AS pairs GROUP BY 1, 2")
    for rs, re_, n in [*((r, r, n) for r, n in zip(RUNGS, stayed, strict=True)),
                       *_run(conn, moved, params)]:
        if rs in start_n:
            start_n[rs] += n
            if re_ in RUNGS and RUNGS.index(re_) > RUNGS.index(rs):
                climbed[rs] += n
    if current:
        # over every party: a count per rung in ix_party_rung (a range each, no grouping)
        ends = (f"SELECT p.rung, count(*) FROM party p WHERE {seg} GROUP BY 1" if segment != "all"
                else " UNION ALL ".join(f"SELECT '{r}', (SELECT count(*) FROM party p WHERE p.rung = '{r}')"
                                        for r in RUNGS))
    else:
        ends = (f"SELECT re, count(*) FROM (SELECT {RE_ANY} AS re FROM party p"
                f" WHERE {seg} AND p.created_on <= :e LIMIT -1) AS ends GROUP BY 1")
    for re_, n in _run(conn, ends, params):
        if re_ in end_n:
            end_n[re_] += n
    defected = f"""
        WITH {_DD}
        SELECT rs, re, sum(d0), sum(d1) FROM (
            SELECT {RS_ANY} AS rs, {re_any} AS re, dd.d0, dd.d1
              FROM dd JOIN party p ON p.id = dd.party_id
             WHERE {seg} AND (dd.d0 = 1 OR dd.d1 = 1) LIMIT -1) AS gone
         GROUP BY 1, 2
    """
    # d0, d1: 0 or 1 each, so their sums count the parties defected at the start / the end
    for rs, re_, n0, n1 in _run(conn, defected, params):
        if rs in start_n:
            start_n[rs] -= n0
            if re_ in RUNGS and RUNGS.index(re_) > RUNGS.index(rs):
                climbed[rs] -= n0
        if re_ in end_n:
            end_n[re_] -= n1
    return {"start": start_n, "end": end_n, "climbed": climbed}


# -- the buyers of the period: profit, pyramid, Pareto ---------------------------------------------

# a defection row covering the day {d}: begun by then, not won back by then
_COVERING = "+on_date <= {d} AND (won_back_on IS NULL OR +won_back_on > {d})"
# the parties defected at the start / at the end, by id, filled by `_defected_tables`
GONE_AT_START, GONE_AT_END = "temp.metric_gone_s", "temp.metric_gone_e"
HELPED_AT = "temp.metric_helped"  # the parties with an interaction in the period


@contextmanager
def _id_tables(conn: Connection, fills: dict[str, str], params: dict[str, Any]) -> Iterator[None]:
    """Fill temporary tables of party ids (this connection's), `table: SELECT of ids`, for
    the statements run inside: SQLite tests `id IN` such a table by rowid, several times
    cheaper a probe than one into an IN list or a correlated subquery."""
    try:
        for table, select in fills.items():
            _run(conn, f"DROP TABLE IF EXISTS {table}")
            _run(conn, f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
            _run(conn, f"INSERT INTO {table} {select}", params)
        yield
    finally:
        for table in fills:
            _run(conn, f"DROP TABLE IF EXISTS {table}")


def _defected_tables(conn: Connection, params: dict[str, Any]):  # noqa: ANN202 - a context
    """GONE_AT_START and GONE_AT_END filled, for the buyers (one or two probes each)."""
    return _id_tables(conn, {table: f"SELECT DISTINCT party_id FROM defection WHERE {_COVERING.format(d=at)}"
                             for table, at in ((GONE_AT_START, ":s"), (GONE_AT_END, ":e"))}, params)


def _buyers_cte(segment: str, all_in: bool = False) -> str:
    """`x`: one row per party of the segment that bought in the period: its revenue and
    profit over the period, and whether it was active at the start (a0) and end (a1).
    A buyer has bought by the end, so a1 is just "not defected".  Run inside
    `_defected_tables`.

    In general the period's purchases are summed per party: the `+` on on_date sends
    SQLite along the party-ordered purchase index (no sort for the GROUP BY).

    With `all_in` (no purchase dated after the end: a period ending today) a party whose
    first purchase falls in the period made every one of its purchases in it, so its
    rollup columns (party.revenue_cents, cost_cents: the sums of all its purchases) are
    its period's figures, read from ix_party_first_purchase alone (schema 7); only the
    parties that first bought before the start need their purchases summed, each a seek
    in the party-ordered index (CROSS JOIN: party first), those parties found in
    ix_party_first_purchase and grouped in its order, no sort (its money columns come
    before the id there; each is one value per party, so the groups stay one per party).
    A party of the first kind is active at the start only if it first bought on the start day.
    """
    seg = SEGMENT_SQL[segment]
    gone_s, gone_e = GONE_AT_START, GONE_AT_END  # filled by _defected_tables
    if all_in:
        return f"""x AS MATERIALIZED (
            SELECT p.id, p.revenue_cents AS rev, p.revenue_cents - p.cost_cents AS profit,
                   CASE WHEN +p.first_purchase_on = :s THEN p.id NOT IN {gone_s} ELSE FALSE END AS a0,
                   p.id NOT IN {gone_e} AS a1
              FROM party p
             WHERE {seg} AND p.first_purchase_on BETWEEN :s AND :e
            UNION ALL
            SELECT p.id, sum(b.revenue_cents), sum(b.revenue_cents - coalesce(b.cost_cents, 0)),
                   p.id NOT IN {gone_s}, p.id NOT IN {gone_e}
              FROM party p CROSS JOIN purchase b
             WHERE b.party_id = p.id AND {seg} AND p.first_purchase_on < :s
               AND b.on_date BETWEEN :s AND :e
             GROUP BY p.first_purchase_on, p.revenue_cents, p.cost_cents, p.id)"""
    return f"""x AS MATERIALIZED (
            SELECT party_id AS id, sum(revenue_cents) AS rev,
                   sum(revenue_cents - coalesce(cost_cents, 0)) AS profit,
                   (party_id IN (SELECT id FROM party WHERE first_purchase_on <= :s)
                    AND party_id NOT IN {gone_s}) AS a0,
                   party_id NOT IN {gone_e} AS a1
              FROM purchase
             WHERE +on_date BETWEEN :s AND :e AND {_seg_in(segment, 'purchase')}
             GROUP BY party_id)"""


# ceil(n * share) in integer arithmetic, as domain.metrics.ceil_share does it
def _ceil(count: str, share: str) -> str:
    return f"(({count}) * :{share}_n + :{share}_d - 1) / :{share}_d"


_TIERS = """
        -- the profits of the best platinum + gold (a sort that keeps only that many), and
        -- the best platinum of those (a second, small sort): the tiers' profits
        best AS MATERIALIZED (
            SELECT profit FROM x WHERE a1 AND profit > 0 ORDER BY profit DESC
             LIMIT (SELECT platinum_count + gold_count FROM g)),
        top_platinum AS (
            SELECT coalesce(sum(profit), 0) AS v FROM (
                SELECT profit FROM best ORDER BY profit DESC
                 LIMIT (SELECT platinum_count FROM g)) AS b),
        tiers AS (
            SELECT top_platinum.v AS platinum_profit, top_gold.v - top_platinum.v AS gold_profit,
                   g.positive_profit - top_gold.v AS iron_profit
              FROM top_platinum, (SELECT coalesce(sum(profit), 0) AS v FROM best) AS top_gold, g),
"""


def buyer_figures(conn: Connection, start: date, end: date, segment: str, *,
                  platinum: Fraction, gold: Fraction, top: Fraction, tiers: bool = True) -> dict[str, Any]:
    """Revenue and profit of the period's buyers; the pyramid's tiers (counts split as
    domain.metrics.pyramid_split does; profits as sums of the best so many), unless
    `tiers` is False; the revenue of the top ceil(20%) by revenue.  Ties don't change
    a sum of the best k.

    For the Pareto share a party whose refunds outweigh its purchases in the period
    counts as bringing 0 (positive_revenue, top_revenue), so the share stays in 0..1.
    """
    all_in = _all_in(conn, end) == 1
    # the tiers' profits: two sorts, left out when only the cards' figures are asked for
    tier_sql, tier_columns, tier_from = (
        (_TIERS, "tiers.platinum_profit, tiers.gold_profit, tiers.iron_profit,", "tiers,") if tiers
        else ("", "", ""))
    sql = f"""
        WITH {_buyers_cte(segment, all_in)},
        -- the sums over every buyer, and over the few buyers gone at the end or without a
        -- profit (count(*) FILTER steps only for the rows counted); the rest by difference
        u AS MATERIALIZED (
            SELECT count(*) AS buyers, coalesce(sum(profit), 0) AS profit,
                   coalesce(sum(rev) FILTER (WHERE rev > 0), 0) AS positive_revenue,
                   coalesce(sum(rev) FILTER (WHERE rev <= 0), 0) AS other_revenue,
                   coalesce(sum(profit) FILTER (WHERE a0 AND a1), 0) AS retained_profit,
                   count(*) FILTER (WHERE NOT a1) AS gone,
                   coalesce(sum(profit) FILTER (WHERE NOT a1), 0) AS gone_profit,
                   count(*) FILTER (WHERE a1 AND profit <= 0) AS lead_count,
                   coalesce(sum(profit) FILTER (WHERE a1 AND profit <= 0), 0) AS lead_profit
              FROM x),
        t AS MATERIALIZED (
            SELECT buyers, positive_revenue + other_revenue AS revenue, positive_revenue, profit,
                   retained_profit, buyers - gone - lead_count AS positive,
                   profit - gone_profit - lead_profit AS positive_profit, lead_count, lead_profit
              FROM u),
        k AS MATERIALIZED (
            SELECT t.*, {_ceil('buyers', 'top')} AS top_count,
                   min(positive, {_ceil('positive', 'pl')}) AS platinum_count
              FROM t),
        g AS MATERIALIZED (
            SELECT k.*, min(positive - platinum_count, {_ceil('positive', 'go')}) AS gold_count
              FROM k),
{tier_sql}        pareto AS (
            SELECT coalesce(sum(rev) FILTER (WHERE rev > 0), 0) AS top_revenue
              FROM (SELECT rev FROM x ORDER BY rev DESC LIMIT (SELECT top_count FROM g)) AS best)
        SELECT g.*, {tier_columns} pareto.top_revenue
          FROM g, {tier_from} pareto
    """
    params = _params(start, end, **_share_params(platinum, gold, top))
    with _defected_tables(conn, params):
        row = dict(_run(conn, sql, params).mappings().one())
    row["iron_count"] = row["positive"] - row["platinum_count"] - row["gold_count"]
    return row


def _buyers_ranked(segment: str) -> str:
    """The buyers ranked, for drill-downs: by revenue (rev_rank) and, among those active
    at the end with a profit, by profit (ties by name, then id), with their tier."""
    return f"""
        WITH {_buyers_cte(segment)},
        r AS (
            SELECT x.*, p.name, (a1 AND profit > 0) AS pos,
                   row_number() OVER (ORDER BY rev DESC, p.name COLLATE NOCASE, x.id) AS rev_rank,
                   count(*) OVER () AS buyers
              FROM x JOIN party p ON p.id = x.id),
        t AS (
            SELECT r.*,
                   row_number() OVER (PARTITION BY pos ORDER BY profit DESC,
                                      name COLLATE NOCASE, id) AS profit_rank,
                   sum(pos) OVER () AS positive
              FROM r),
        k AS (
            SELECT t.*, {_ceil('buyers', 'top')} AS top_count,
                   min(positive, {_ceil('positive', 'pl')}) AS platinum_count
              FROM t)
        SELECT k.*,
               CASE WHEN NOT a1 THEN NULL
                    WHEN NOT pos THEN 'lead'
                    WHEN profit_rank <= platinum_count THEN 'platinum'
                    WHEN profit_rank <= platinum_count + min(positive - platinum_count,
                                                            {_ceil('positive', 'go')})
                         THEN 'gold'
                    ELSE 'iron' END AS tier
          FROM k
    """


def _share_params(platinum: Fraction, gold: Fraction, top: Fraction) -> dict[str, int]:
    return {"pl_n": platinum.numerator, "pl_d": platinum.denominator,
            "go_n": gold.numerator, "go_d": gold.denominator,
            "top_n": top.numerator, "top_d": top.denominator}


# -- month by month -------------------------------------------------------------------------------

def money_by_month(conn: Connection, start: date, end: date, segment: str) -> dict[str, tuple[int, int, int]]:
    """'YYYY-MM' -> (revenue cents, profit cents, purchases) over the period's days; over the
    whole book from the day totals (schema 7), a few hundred rows."""
    sql = """
        SELECT substr(on_date, 1, 7) AS month, sum(revenue_cents), sum(cost_cents), sum(purchases)
          FROM day_total WHERE on_date BETWEEN :s AND :e AND purchases <> 0 GROUP BY month
    """ if segment == "all" else f"""
        SELECT substr(d, 1, 7) AS month, sum(rev), sum(cost), sum(n) FROM (
            SELECT on_date AS d, sum(revenue_cents) AS rev, coalesce(sum(cost_cents), 0) AS cost,
                   count(*) AS n
              FROM purchase
             WHERE on_date BETWEEN :s AND :e AND {_seg_in(segment, 'purchase')}
             GROUP BY on_date
        ) AS days GROUP BY month
    """
    # profit = revenue - cost (an unknown cost counting as 0: sum() skips it)
    return {r[0]: (r[1], r[1] - r[2], r[3]) for r in _run(conn, sql, _params(start, end))}


def defections_by_month(conn: Connection, start: date, end: date, segment: str) -> dict[str, int]:
    sql = f"""
        SELECT substr(x.on_date, 1, 7), count(*) FROM defection x
         WHERE x.on_date BETWEEN :s AND :e AND {_seg_in(segment, 'x')}
         GROUP BY 1
    """
    return {r[0]: r[1] for r in _run(conn, sql, _params(start, end))}


# -- feedback, steps, follow-ups, defections --------------------------------------------------------

def feedback_figures(conn: Connection, start: date, end: date, segment: str) -> dict[str, int]:
    sql = f"""
        SELECT count(*) AS scores, coalesce(sum(score), 0) AS total,
               count(*) FILTER (WHERE score >= 9) AS promoters,
               count(*) FILTER (WHERE score <= 6) AS detractors
          FROM feedback f
         WHERE f.on_date BETWEEN :s AND :e AND {_seg_in(segment, 'f')}
    """
    return dict(_run(conn, sql, _params(start, end)).mappings().one())


def step_figures(conn: Connection, start: date, end: date, segment: str) -> dict[str, int]:
    """Rung steps in the period: up the ladder (climbs) and down it (falls); over the whole
    book from the day totals (schema 7)."""
    sql = """
        SELECT coalesce(sum(steps), 0) AS steps, coalesce(sum(climbs), 0) AS climbs
          FROM day_total WHERE on_date BETWEEN :s AND :e
    """ if segment == "all" else f"""
        SELECT count(*) AS steps,
               count(*) FILTER (WHERE {rung_level('st.from_rung')} < {rung_level('st.to_rung')})
                   AS climbs
          FROM rung_step st
         WHERE st.on_date BETWEEN :s AND :e AND st.from_rung IS NOT NULL
           AND {_seg_in(segment, 'st')}
    """
    row = dict(_run(conn, sql, _params(start, end)).mappings().one())
    row["falls"] = row["steps"] - row["climbs"]
    return row


# open at the end: created by then and not done by then (a cancelled one has no date: left out)
_OPEN_AT_END = "(f.created_on <= :e AND (f.status = 'open' OR f.done_on > :e))"


def follow_up_figures(conn: Connection, start: date, end: date, segment: str,
                      today: date) -> dict[str, int]:
    """Follow-ups open at the end, those of them past due, and the period's done ones.

    For a period ending today or later every open follow-up was created by the end
    (follow-ups are created today or earlier), so the created_on test, which would
    need the table rows, is left to past periods.
    """
    seg = _seg_in(segment, "f")
    created = "TRUE" if end >= today else "f.created_on <= :e"
    # three index scans, each counting two figures: ix_follow_up_open has the party and
    # the creation day of every open one (ix_follow_up_due has neither), ix_follow_up_done
    # the due day, party and creation day of every done one
    sql = f"""
        SELECT o.n + d.n AS open_at_end, o.overdue + d.overdue AS overdue,
               p.n AS done, p.on_time AS done_on_time
          FROM (SELECT count(*) AS n, count(*) FILTER (WHERE +f.due_on < :e) AS overdue
                  FROM follow_up f INDEXED BY ix_follow_up_open
                 WHERE f.status = 'open' AND {created} AND {seg}) o,
               (SELECT count(*) AS n, count(*) FILTER (WHERE +f.due_on < :e) AS overdue FROM follow_up f
                 WHERE f.done_on > :e AND {created} AND {seg}) d,
               (SELECT count(*) AS n, count(*) FILTER (WHERE +f.done_on <= +f.due_on) AS on_time
                  FROM follow_up f WHERE f.done_on BETWEEN :s AND :e AND {seg}) p
    """
    return dict(_run(conn, sql, _params(start, end)).mappings().one())


def _lost_profit(defection: str = "x") -> str:
    return (f"coalesce((SELECT sum(b.revenue_cents - coalesce(b.cost_cents, 0)) FROM purchase b"
            f" WHERE b.party_id = {defection}.party_id AND b.on_date >= {_year_before(f'{defection}.on_date')}"
            f" AND b.on_date < {defection}.on_date), 0)")


def defection_figures(conn: Connection, start: date, end: date, segment: str) -> dict[str, tuple[int, int]]:
    """reason -> (defections in the period, lost profit cents)."""
    sql = f"""
        SELECT x.reason, count(*), sum({_lost_profit()})
          FROM defection x
         WHERE x.on_date BETWEEN :s AND :e AND {_seg_in(segment, 'x')}
         GROUP BY x.reason
    """
    return {r[0]: (r[1], r[2]) for r in _run(conn, sql, _params(start, end))}


# -- drill-downs: the parties behind a figure -----------------------------------------------------

def _page(conn: Connection, sql: str, params: dict, limit: int) -> tuple[list[tuple], int]:
    """Rows (id, name, value, note) of a drill-down, its first `limit`, and the total.
    Dates come as ISO text, as SQLite keeps them, from either engine."""
    rows = _run(conn, f"{sql} LIMIT :limit", {**params, "limit": limit}).all()
    total = _run(conn, f"SELECT count(*) FROM ({sql}) AS rows", params).scalar_one()
    return [tuple(iso_value(v) for v in r) for r in rows], total


def drill_parties(conn: Connection, figure: str, sub: str | None, start: date, end: date,
                  segment: str, *, platinum: Fraction, gold: Fraction, top: Fraction,
                  limit: int) -> tuple[list[tuple], int]:
    """(rows, total) for a figure; each row (party id, name, value, note).

    The conditions are the same expressions the figures count, so a drill-down
    lists exactly the parties behind its figure.
    """
    params = _party_params(conn, start, end)
    seg = SEGMENT_SQL[segment]
    by_name = "p.name COLLATE NOCASE, p.id"

    def parties(value: str, note: str, where: str, order: str) -> str:
        return (f"WITH {_DD} SELECT p.id, p.name, {value}, {note} FROM party p {_JOIN_DD}"
                f" WHERE {seg} AND {where} ORDER BY {order}")

    if figure in ("retention", "churn", "annual_retention", "lifetime"):
        status = f"CASE WHEN {D1} = 0 THEN 'retained' ELSE 'lost' END"
        where = f"{A0} AND {D1} = 1" if figure == "churn" else A0
        sql = parties(status, "''", where, f"{D1} = 0, {by_name}")
    elif figure == "won":
        sql = parties(FP, "''", WON, f"{FP}, {by_name}")
    elif figure == "active":
        sql = parties(FP, "''", A1, by_name)
    elif figure == "repeat_purchase":
        sql = parties(f"CASE WHEN {REP} = 1 THEN 'repeat' ELSE 'once' END", "''", BOUGHT,
                      f"{REP} DESC, {by_name}")
    elif figure == "referrals":
        sql = parties("coalesce((SELECT r.name FROM party r WHERE r.id = p.referred_by_id), '')",
                      "p.created_on", f"{ADDED} AND {REFERRED}", f"p.created_on, {by_name}")
    elif figure == "ror":
        loyal = f"({REFERRED} OR {REP} = 1)"
        sql = parties(f"CASE WHEN {loyal} THEN 'loyal' ELSE 'not yet loyal' END",
                      f"CASE WHEN {REP} = 1 THEN 'repeat buyer' WHEN {REFERRED} THEN 'came by referral'"
                      " ELSE '' END", f"{HELPED} = 1", f"{loyal} DESC, {by_name}")
    elif figure == "past_cadence":
        sql = parties(DAYS_PAST, "'every ' || p.cadence_days || ' days'", f"{A1} AND {PAST} = 1",
                      f"{DAYS_PAST} DESC, {by_name}")
    elif figure == "ladder":
        if sub is not None and sub not in RUNGS:
            raise ValueError(sub)
        where = f"{RE} = '{sub}'" if sub else f"{RE} IS NOT NULL"
        note = (f"CASE WHEN {RS} IS NULL THEN 'not on the ladder at the start'"
                f" WHEN {RS} = {RE} THEN 'unchanged' ELSE 'was ' || {RS} END")
        sql = parties(RE, note, where, f"{_level(RE)} DESC, {by_name}")
    elif figure == "climbs":
        sql = f"""
            SELECT st.party_id, p.name, st.from_rung || ' -> ' || st.to_rung, st.on_date
              FROM rung_step st JOIN party p ON p.id = st.party_id
             WHERE st.on_date BETWEEN :s AND :e AND st.from_rung IS NOT NULL AND {seg}
             ORDER BY st.on_date DESC, st.id DESC"""
    elif figure == "clv":  # the retained parties, with their profit in the period (0: no purchase)
        profit = ("coalesce((SELECT sum(b.revenue_cents - coalesce(b.cost_cents, 0)) FROM purchase b"
                  " WHERE b.party_id = p.id AND b.on_date BETWEEN :s AND :e), 0)")
        sql = parties(profit, "''", f"{A0} AND {D1} = 0", f"{profit} DESC, {by_name}")
    elif figure in ("profit_per_party", "pareto", "pyramid", "revenue"):
        params.update(_share_params(platinum, gold, top))
        ranked = _buyers_ranked(segment)
        order = "name COLLATE NOCASE, id"
        if figure == "profit_per_party":
            sql = f"SELECT id, name, profit, '' FROM ({ranked}) AS r ORDER BY profit DESC, {order}"
        elif figure in ("pareto", "revenue"):
            cond = "WHERE rev_rank <= top_count" if figure == "pareto" else ""
            sql = f"SELECT id, name, rev, '' FROM ({ranked}) AS r {cond} ORDER BY rev_rank"
        else:
            if sub is not None and sub not in ("platinum", "gold", "iron", "lead"):
                raise ValueError(sub)
            where = f"tier = '{sub}'" if sub else "tier IS NOT NULL"
            sql = (f"SELECT id, name, profit, tier FROM ({ranked}) AS r WHERE {where}"
                   f" ORDER BY profit DESC, {order}")
    elif figure in ("mean_feedback", "nps"):
        sql = f"""
            SELECT p.id, p.name, round(avg(f.score), 1), group_concat(CAST(f.score AS TEXT), ', ')
              FROM feedback f JOIN party p ON p.id = f.party_id
             WHERE f.on_date BETWEEN :s AND :e AND {seg}
             GROUP BY p.id ORDER BY avg(f.score), {by_name}"""
    elif figure in ("overdue_follow_ups", "on_time"):
        if figure == "overdue_follow_ups":
            where, value, order = f"{_OPEN_AT_END} AND f.due_on < :e", "f.due_on", "f.due_on, f.id"
        else:
            where = "f.done_on BETWEEN :s AND :e"
            value = "CASE WHEN f.done_on <= f.due_on THEN 'on time' ELSE 'late' END"
            order = "f.done_on <= f.due_on, f.done_on DESC, f.id"
        sql = f"""
            SELECT p.id, p.name, {value}, f.text
              FROM follow_up f JOIN party p ON p.id = f.party_id
             WHERE {where} AND {seg}
             ORDER BY {order}"""
    elif figure == "defections":
        if sub is not None and sub not in REASONS:
            raise ValueError(sub)
        where = f"AND x.reason = '{sub}'" if sub else ""
        sql = f"""
            SELECT p.id, p.name, {_lost_profit()}, x.reason || ' on ' || x.on_date
              FROM defection x JOIN party p ON p.id = x.party_id
             WHERE x.on_date BETWEEN :s AND :e AND {seg} {where}
             ORDER BY 3 DESC, x.on_date, x.id"""
    else:
        raise ValueError(figure)
    if figure in ("profit_per_party", "pareto", "pyramid", "revenue"):  # _buyers_ranked
        with _defected_tables(conn, params):
            return _page(conn, sql, params, limit)
    return _page(conn, sql, params, limit)
