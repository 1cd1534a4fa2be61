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
    """Use cases over one Store that read through plain SQL. `clock` gives 'now' (tests freeze it)."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = datetime.now) -> None:
        self.store = store
        self.clock = clock

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.clock().date()

    # -- follow-ups -------------------------------------------------------------------------

    def due(self, days: int = 7) -> list[FollowUpRow]:
        """Open follow-ups overdue or due within the next `days` days."""
        if days < 0 or days > 3650:
            raise InvalidInput("Days must be between 0 and 3650.")
        before = self.today() + timedelta(days=days + 1)
        rows = self.store.rows(DUE_SQL, {"before": before.isoformat(), "limit": DUE_LIMIT})
        day = _memo(date.fromisoformat)  # thousands of rows share a few hundred days
        clock = _memo(time.fromisoformat)
        return [FollowUpRow(fid, party_id, name, day(due_on), clock(due_time) if due_time else None,
                            text, priority, repeat, status, day(done_on) if done_on else None)
                for fid, party_id, name, due_on, due_time, text, priority, repeat, status, done_on
                in rows]


def _memo(parse: Callable[[str], object]) -> Callable[[str], object]:
    seen: dict[str, object] = {}

    def cached(value: str) -> object:
        found = seen.get(value)
        if found is None:
            found = seen[value] = parse(value)
        return found

    return cached
