"""Read use cases written as plain SQL and run through `Store.rows`.

A command that needs only these (`reltui due`) never imports SQLAlchemy: the
store runs the text on SQLite's own driver, and would run the same text
through SQLAlchemy on another engine. `Services` extends `Reads`, so each
query here has one form for the TUI and the command line alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from reltui.domain import text as txt
from reltui.domain.errors import InvalidInput
from reltui.domain.records import FollowUpRow

if TYPE_CHECKING:
    from reltui.store import Store

DUE_LIMIT = 100_000

# Open follow-ups due before a day, in due order (time, then id, break ties): ix_follow_up_due.
DUE_SQL = """
SELECT f.id, f.party_id, p.name, f.due_on, f.due_time, f.text, f.priority, f.repeat,
       f.status, f.done_on
FROM follow_up AS f JOIN party AS p ON p.id = f.party_id
WHERE f.status = 'open' AND f.due_on < :before
ORDER BY f.due_on, f.due_time, f.id
LIMIT :limit
"""


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
        params = {"before": before.isoformat(), "limit": DUE_LIMIT}
        sql = DUE_SQL
        if owner == UNASSIGNED:
            sql = DUE_SQL.replace("WHERE f.status", "WHERE p.owner IS NULL AND f.status")
        elif owner is not None:
            sql = DUE_SQL.replace("WHERE f.status", "WHERE p.owner = :owner AND f.status")
            params["owner"] = clean_name(owner, "owner")
        rows = self.store.rows(sql, params)
        day = _memo(date.fromisoformat)  # thousands of rows share a few hundred days
        clock = _memo(time.fromisoformat)
        return [FollowUpRow(fid, party_id, name, day(due_on), clock(due_time) if due_time else None,
                            text, priority, repeat, status, day(done_on) if done_on else None)
                for fid, party_id, name, due_on, due_time, text, priority, repeat, status, done_on
                in rows]


UNASSIGNED = ""  # the owner filter for the parties nobody owns (no name is empty)


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
