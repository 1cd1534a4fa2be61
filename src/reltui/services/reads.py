"""Read use cases written as plain SQL and run through `Store.rows`.

A command that needs only these (`reltui due`, `reltui list`) never imports
SQLAlchemy, and the TUI paints its first screens (Today, Parties) through them
before it loads (services.lazy): the store runs the text on SQLite's own driver,
and would run the same text through SQLAlchemy on another engine. `Services`
extends `Reads`, so each query here has one form for the TUI and the command
line alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from reltui.domain import text as txt
from reltui.domain.dates import Birthday
from reltui.domain.enums import Kind, Rung
from reltui.domain.errors import InvalidInput
from reltui.domain.money import from_cents
from reltui.domain.records import ColdParty, DatedParty, FollowUpRow, PartyRow, TodayView
from reltui.store import queries

if TYPE_CHECKING:
    from reltui.store import Store

DUE_LIMIT = 100_000
UPCOMING_DAYS = 14

# Open follow-ups with their party's name, in due order (time, then id, break ties):
# ix_follow_up_due. {where} is more WHERE terms, each starting with AND.
FOLLOW_UPS_SQL = """
SELECT f.id, f.party_id, p.name, f.due_on, f.due_time, f.text, f.priority, f.repeat,
       f.status, f.done_on
FROM follow_up AS f JOIN party AS p ON p.id = f.party_id
WHERE f.status = 'open'{where}
ORDER BY f.due_on, f.due_time, f.id
LIMIT :limit
"""

# The Parties list: its columns, and each sort's key (id breaks ties)
PARTY_SQL = """
SELECT id, name, organisation, kind, rung, last_contact_at, next_follow_up_on, revenue_cents,
       defected_on, owner
FROM party WHERE {where}
ORDER BY {order}
LIMIT :limit OFFSET :offset
"""
SORTS = {
    "name": "party.name COLLATE NOCASE",  # ix_party_name's order: no sort at 100,000 parties
    "rung": "party.rung_level",
    "last_contact": "party.last_contact_at",
    "next_follow_up": "party.next_follow_up_on",
    "revenue": "party.revenue_cents",
}
# the sorts an index gives in order (rung_level's index continues by name, not id)
WALKABLE_SORTS = frozenset({"name", "last_contact", "next_follow_up", "revenue"})
# A search matching at least this many parties pages by walking an index; one matching at
# least this share of the book asks the search index row by row as it walks
DENSE_MATCHES = 1_000
PROBE_SHARE = 4  # a quarter
WALK_ROWS = 2_000  # ... for pages within this many rows of either end (they are read from the nearer)


class Reads:
    """Use cases over one Store that read through plain SQL. `clock` gives 'now' (tests freeze it);
    `user` is who "I" am: every record written is made by them, a new party is theirs, and the
    owner filter "mine" means them."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = datetime.now,
                 user: str = "me") -> None:
        self.store = store
        self.clock = clock
        self.user = clean_name(user, "user")

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.clock().date()

    def owner_filter(self, choice: str | None) -> str | None:
        """What a person types for an owner filter -> the filter: None (everyone) for "all" or
        "everyone", UNASSIGNED for "none", "-" or "unassigned", me for "mine", else the name."""
        if choice is None:
            return None
        word = choice.strip()
        if word.lower() in ("all", "everyone", "*"):
            return None
        if word.lower() in ("none", "-", "unassigned", "nobody"):
            return UNASSIGNED
        if word.lower() in ("mine", "me"):
            return self.user
        return clean_name(word)

    # -- follow-ups -------------------------------------------------------------------------

    def due(self, days: int = 7, *, owner: str | None = None) -> list[FollowUpRow]:
        """Open follow-ups overdue or due within the next `days` days; with `owner`, only those
        on the parties that person owns (UNASSIGNED: on parties nobody owns)."""
        if days < 0 or days > 3650:
            raise InvalidInput("Days must be between 0 and 3650.")
        before = self.today() + timedelta(days=days + 1)
        return self._follow_ups(" AND f.due_on < :before", {"before": before.isoformat()},
                                DUE_LIMIT, owner)

    def _follow_ups(self, where: str, params: dict[str, Any], limit: int,
                    owner: str | None) -> list[FollowUpRow]:
        term, whose = _owner_term(owner, "p.owner")
        rows = self.store.rows(FOLLOW_UPS_SQL.format(where=term + where),
                               params | whose | {"limit": limit})
        day = _memo(date.fromisoformat)  # thousands of rows share a few hundred days
        clock = _memo(time.fromisoformat)
        return [FollowUpRow(fid, party_id, name, day(due_on), clock(due_time) if due_time else None,
                            text, priority, repeat, status, day(done_on) if done_on else None)
                for fid, party_id, name, due_on, due_time, text, priority, repeat, status, done_on
                in rows]

    # -- the Parties list -------------------------------------------------------------------

    def party_filter(self, *, search: str | None = None, rung: str | None = None,
                     kind: str | None = None, tag: str | None = None,
                     status: str | None = None, segment: str | None = None,
                     ids: Sequence[int] | None = None, walk: str = "",
                     owner: str | None = None) -> tuple[str, dict[str, Any]]:
        """The WHERE clause (SQL over `party`) and its parameters for these filters. `walk`:
        match the search while walking the sort's index, not by reading every match and
        sorting them (see `list_parties`). `owner`: None for everyone's parties, a name for
        that person's, UNASSIGNED for nobody's."""
        dialect = self.store.dialect_name
        # an equality on owner first: ix_party_owner (owner, name, id) walks the name order
        where, params = _owner_term(owner, "party.owner")
        if ids is not None:
            where += f" AND party.id IN ({queries.ids_sql(dialect)})"
            params["ids"] = json.dumps([int(i) for i in ids])
        fts = queries.fts_query(search, dialect) if search else None
        if fts is not None:
            where += f" AND {queries.search_filter_sql(walk=walk, dialect=dialect)}"
            params["fts"] = fts
        if rung:
            where += " AND party.rung = :rung"
            params["rung"] = Rung.parse(rung).value
        if kind:
            where += " AND party.kind = :kind"
            params["kind"] = Kind.parse(kind).value
        if segment and segment != "all":
            where += " AND party.kind = 'customer'" if segment == "b2c" else " AND party.kind != 'customer'"
        if tag:
            where += " AND party.id IN (SELECT party_id FROM party_tag WHERE tag = :tag)"
            params["tag"] = tag.strip().lower()
        if status == "active":
            where += f" AND {queries.active_sql(dialect)}"
        elif status == "defected":
            where += " AND party.defected_on IS NOT NULL"
        elif status not in (None, "", "all"):
            raise InvalidInput("Status must be active, defected or all.")
        return "TRUE" + where, params

    def list_parties(self, *, search: str | None = None, rung: str | None = None,
                     kind: str | None = None, tag: str | None = None, status: str | None = None,
                     segment: str | None = None, ids: Sequence[int] | None = None,
                     sort: str = "name", descending: bool = False,
                     offset: int = 0, limit: int = 100,
                     after: tuple[str, int] | None = None,
                     owner: str | None = None) -> list[PartyRow]:
        """One page of the Parties list, filtered and sorted (id breaks ties).

        `after` (by name only): the (name, id) of a row; the page starts just past it in this
        order, found through the name index however deep it is (an OFFSET walks every row it
        skips)."""
        if sort not in SORTS:
            raise InvalidInput(f"Sort by one of: {', '.join(SORTS)}.")
        if after is not None and sort != "name":
            raise InvalidInput("Paging after a row works in name order only.")
        way = "DESC" if descending else "ASC"
        order = f"{SORTS[sort]} {way}, party.id {way}"
        offset, limit = max(0, offset), max(0, min(limit, 10_000))
        dialect = self.store.dialect_name
        fts = queries.fts_query(search, dialect) if search else None
        walk = ""
        if fts is not None and sort in WALKABLE_SORTS and offset + limit <= WALK_ROWS:
            walk = self._walk(fts, dialect)
        where, params = self.party_filter(search=search, rung=rung, kind=kind, tag=tag,
                                          status=status, segment=segment, ids=ids, walk=walk,
                                          owner=owner)
        if after is not None:
            where += f" AND {queries.after_name_sql(descending=descending)}"
            params |= {"after_name": after[0], "after_id": int(after[1])}
        rows = self.store.rows(PARTY_SQL.format(where=where, order=order),
                               params | {"offset": offset, "limit": limit})
        day = _memo(date.fromisoformat)
        return [PartyRow(pid, name, organisation, Kind(kind), Rung(rung),
                         datetime.fromisoformat(last) if last else None,
                         day(next_on) if next_on else None, from_cents(revenue),
                         day(defected) if defected else None, owner)
                for pid, name, organisation, kind, rung, last, next_on, revenue, defected, owner
                in rows]

    def _walk(self, fts: str, dialect: str) -> str:
        """How to page a search: a search that matches much of the book ('n' finds half of it)
        is cheaper to page by walking the sort's index and keeping the matches (a page is
        found within a few hundred rows) than by reading every match and sorting them all; a
        narrow one the other way round. A capped count of the matches tells them apart."""
        book = self.store.rows("SELECT coalesce(max(id), 0) FROM party")[0][0]  # about its size
        most = max(DENSE_MATCHES, book // PROBE_SHARE)
        found = self.store.rows(queries.count_matches_sql(dialect), {"fts": fts, "cap": most})[0][0]
        if found >= most and most > DENSE_MATCHES:
            return "probe"
        return "set" if found >= DENSE_MATCHES else ""

    def count_parties(self, **filters: Any) -> int:
        search, status = filters.get("search"), filters.get("status")
        dialect = self.store.dialect_name
        fts = queries.fts_query(search, dialect) if search else None
        others = [k for k, v in filters.items() if k not in ("search", "status") and v not in (None, "")
                  and not (k == "segment" and v == "all")]
        if fts is not None and not others and status in (None, "", "all", "active"):
            # a search alone: count in the search index, less the defected parties among the
            # matches, rather than looking up every matching party (half the book for 'n')
            sql = queries.count_search_sql(active_only=status == "active", dialect=dialect)
            return self.store.rows(sql, {"fts": fts})[0][0]
        where, params = self.party_filter(**filters)
        return self.store.rows(f"SELECT count(*) FROM party WHERE {where}", params)[0][0]

    def party_ids(self, **filters: Any) -> list[int]:
        """Every id the filters select (what an export of the current list takes), by name."""
        where, params = self.party_filter(**filters)
        return [pid for (pid,) in self.store.rows(
            f"SELECT id FROM party WHERE {where} ORDER BY {SORTS['name']}, party.id", params)]

    # -- Today ------------------------------------------------------------------------------

    def today_view(self, *, days: int = UPCOMING_DAYS, limit: int = 200,
                   owner: str | None = None) -> TodayView:
        """What is due, ahead and going cold; with `owner`, for the parties that person owns."""
        today = self.today()
        horizon = today + timedelta(days=days)
        on = {"today": today.isoformat()}
        overdue = self._follow_ups(" AND f.due_on < :today", on, limit, owner)
        due_today = self._follow_ups(" AND f.due_on = :today", on, limit, owner)
        birthdays = self._birthdays(today, horizon, owner)[:limit]  # the soonest, like the rest
        term, whose = _owner_term(owner, "owner")
        renewals = [DatedParty(pid, name, date.fromisoformat(renewal), "contract renewal")
                    for pid, name, renewal in self.store.rows(
                        f"""SELECT id, name, renewal_on FROM party
                             WHERE renewal_on >= :today AND renewal_on <= :horizon
                               AND defected_on IS NULL{term}
                             ORDER BY renewal_on, id LIMIT :limit""",
                        on | whose | {"horizon": horizon.isoformat(), "limit": limit})]
        dialect = self.store.dialect_name
        cold = [ColdParty(pid, name, datetime.fromisoformat(last) if last else None, cadence, past)
                for pid, name, last, cadence, past in self.store.rows(
                    queries.going_cold_sql(term, dialect), on | whose | {"limit": limit, "offset": 0})]
        cold_total = self.store.rows(queries.count_going_cold_sql(term, dialect), on | whose)[0][0]
        return TodayView(today, overdue, due_today, birthdays, renewals, cold, cold_total)

    def _birthdays(self, today: date, horizon: date, owner: str | None) -> list[DatedParty]:
        days = [today + timedelta(d) for d in range((horizon - today).days + 1)]
        keys = sorted({d.month * 100 + d.day for d in days} | {229})  # 29 Feb: kept on 28 Feb/1 Mar
        term, whose = _owner_term(owner, "owner")
        rows = self.store.rows(
            f"""SELECT id, name, birthday_month, birthday_day, birthday_year FROM party
                 WHERE birthday_month IS NOT NULL AND defected_on IS NULL{term}
                   AND birthday_month * 100 + birthday_day IN ({", ".join(map(str, keys))})""",
            whose)
        found = []
        for pid, name, month, day, year in rows:
            birthday = Birthday(month, day, year)
            on = birthday.next_on_or_after(today)
            if on <= horizon:
                age = birthday.age_on(on)
                found.append(DatedParty(pid, name, on, f"turns {age}" if age else "birthday"))
        found.sort(key=lambda d: (d.on, d.party_name.lower()))
        return found


UNASSIGNED = ""  # the owner filter for the parties nobody owns (no name is empty)


def _owner_term(owner: str | None, column: str) -> tuple[str, dict[str, Any]]:
    """A WHERE term (' AND ...') keeping the parties of `owner` (see Reads.owner_filter), with
    its parameters: nothing for everyone (None)."""
    if owner is None:
        return "", {}
    if owner == UNASSIGNED:
        return f" AND {column} IS NULL", {}
    return f" AND {column} = :owner", {"owner": clean_name(owner)}


def clean_name(name: str | None, what: str = "owner") -> str:
    """A person's name as the owner of a party or the maker of a record: short text, cleaned
    like every other (no control characters, spaces folded), 1 to 100 characters."""
    value = txt.clean(name, "owner", required=False)
    if not value:
        raise InvalidInput(f"The {what}'s name can't be empty.")
    return value


def _memo(parse: Callable[[str], object]) -> Callable[[str], object]:
    seen: dict[str, object] = {}

    def cached(value: str) -> object:
        found = seen.get(value)
        if found is None:
            found = seen[value] = parse(value)
        return found

    return cached
