"""Queries whose SQL differs between engines: search and date arithmetic.

Services call these instead of writing engine-specific SQL themselves, so a
PostgreSQL implementation can slot in here without touching anything above.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Connection, DateTime, Integer, String, text

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(query: str) -> str | None:
    """User text -> an FTS5 query: every word must match as a prefix ('ann exa' -> ann* AND exa*)."""
    words = _WORD.findall(query.lower())[:12]
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


def search_ids_sql() -> str:
    """SQL (a subquery) giving the ids of parties matching :fts."""
    return "SELECT rowid FROM party_search WHERE party_search MATCH :fts"


def search_filter_sql(*, walk: bool = False) -> str:
    """SQL (a WHERE term) keeping the parties that match :fts. SQLite reads the matches and
    looks each party up; with `walk` the '+' stops it from doing so, and it walks the index
    of the ORDER BY instead, keeping the rows that match (best when most rows match)."""
    return f"{'+' if walk else ''}party.id IN ({search_ids_sql()})"


def after_name_sql(*, descending: bool = False) -> str:
    """SQL (a WHERE term): the parties past (:after_name, :after_id) in name order. Written
    as a row value with the collation on the right, SQLite seeks ix_party_name to the spot."""
    return f"(party.name, party.id) {'<' if descending else '>'} (:after_name COLLATE NOCASE, :after_id)"


def count_search(conn: Connection, fts: str, *, active_only: bool) -> int:
    """How many parties match :fts (only those not defected, if asked), counted in the search
    index: every party has one row there, under its id."""
    sql = f"SELECT count(*) FROM ({search_ids_sql()})"
    if active_only:
        sql += " WHERE rowid NOT IN (SELECT id FROM party WHERE defected_on IS NOT NULL)"
    return conn.execute(text(sql), {"fts": fts}).scalar_one()


def count_matches(conn: Connection, fts: str, *, cap: int) -> int:
    """How many parties match :fts, counting no further than `cap` (so it is cheap)."""
    sql = text(f"SELECT count(*) FROM ({search_ids_sql()} LIMIT :cap)")
    return conn.execute(sql, {"fts": fts, "cap": cap}).scalar_one()


def ids_sql() -> str:
    """SQL (a subquery) giving the ids in the JSON array :ids: one bound value however many
    ids there are (an IN list of bound values stops at SQLite's variable limit)."""
    return "SELECT value FROM json_each(:ids)"


def going_cold(conn: Connection, today: date, *, limit: int, offset: int = 0) -> list[tuple]:
    """Active parties past their contact cadence, longest overdue first:
    (id, name, last_contact_at, cadence_days, days_past)."""
    sql = text(
        """
        SELECT id, name, last_contact_at, cadence_days, days_past FROM (
            SELECT id, name, last_contact_at, cadence_days,
                   CAST(julianday(:today) - julianday(date(coalesce(last_contact_at, created_on)))
                        AS INTEGER) - cadence_days AS days_past
              FROM party
             WHERE cadence_days IS NOT NULL AND defected_on IS NULL
        ) WHERE days_past > 0
        ORDER BY days_past DESC, id
        LIMIT :limit OFFSET :offset
        """
    ).columns(id=Integer, name=String, last_contact_at=DateTime, cadence_days=Integer,
              days_past=Integer)  # typed, so last_contact_at comes back as a datetime
    return list(conn.execute(sql, {"today": today.isoformat(), "limit": limit, "offset": offset}))


def count_going_cold(conn: Connection, today: date) -> int:
    sql = text(
        """
        SELECT count(*) FROM party
         WHERE cadence_days IS NOT NULL AND defected_on IS NULL
           AND CAST(julianday(:today) - julianday(date(coalesce(last_contact_at, created_on)))
                    AS INTEGER) > cadence_days
        """
    )
    return conn.execute(sql, {"today": today.isoformat()}).scalar_one()
