"""Queries whose SQL differs between engines: search, id lists and date arithmetic.

Services call these instead of writing engine-specific SQL themselves. Those given a
connection read its engine from it; the others take `dialect` (Store.dialect_name,
passed through untouched), so nothing above the store branches on the engine.
SQLite searches an FTS5 table; PostgreSQL a tsvector per party (store.postgres).
The SQL builders need no SQLAlchemy: the plain-SQL reads (services.reads) load without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

_WORD = re.compile(r"\w+", re.UNICODE)
SQLITE, POSTGRES = "sqlite", "postgresql"


def fts_query(query: str, dialect: str = SQLITE) -> str | None:
    """User text -> a search (:fts) in which every word must match as a prefix: for FTS5
    'ann exa' -> "ann"* "exa"*; PostgreSQL's reltui_query() takes the words as they are."""
    words = _WORD.findall(query.lower())[:12]
    if not words:
        return None
    if dialect == POSTGRES:
        return " ".join(words)
    return " ".join(f'"{w}"*' for w in words)


def search_ids_sql(dialect: str = SQLITE) -> str:
    """SQL (a subquery) giving the ids of parties matching :fts."""
    if dialect == POSTGRES:
        return "SELECT party_id FROM party_search WHERE doc @@ reltui_query(:fts)"
    return "SELECT rowid FROM party_search WHERE party_search MATCH :fts"


def search_filter_sql(*, walk: str = "", dialect: str = SQLITE) -> str:
    """SQL (a WHERE term) keeping the parties that match :fts. SQLite reads the matches and
    looks each party up. With `walk` it walks the index of the ORDER BY instead, keeping the
    rows that match (best when many rows match): "set" reads the matches into a set first
    and checks each row against it (the '+' stops it from looking the parties up), "probe"
    asks the search index about each row as it comes (best when most rows match: no set of
    tens of thousands to build). PostgreSQL's planner weighs the ways itself."""
    if dialect == POSTGRES:
        return f"party.id IN ({search_ids_sql(dialect)})"
    if walk == "probe":
        return ("EXISTS (SELECT 1 FROM party_search WHERE party_search MATCH :fts"
                " AND party_search.rowid = party.id)")
    return f"{'+' if walk else ''}party.id IN ({search_ids_sql(dialect)})"


def active_sql(dialect: str = SQLITE) -> str:
    """SQL (a WHERE term): parties not defected. On SQLite the '+' keeps it off
    ix_party_defected, which would force a sort of every row."""
    return "party.defected_on IS NULL" if dialect == POSTGRES else "+party.defected_on IS NULL"


def after_name_sql(*, descending: bool = False) -> str:
    """SQL (a WHERE term): the parties past (:after_name, :after_id) in name order. Written
    as a row value with the collation on the right, SQLite seeks ix_party_name to the spot
    (PostgreSQL has a collation of the same name: store.postgres)."""
    return f"(party.name, party.id) {'<' if descending else '>'} (:after_name COLLATE NOCASE, :after_id)"


def count_search_sql(*, active_only: bool, dialect: str = SQLITE) -> str:
    """SQL: how many parties match :fts (only those not defected, if asked), counted in the
    search index: every party has one row there, under its id."""
    sql = f"SELECT count(*) FROM ({search_ids_sql(dialect)}) AS m"
    if active_only:
        key = "party_id" if dialect == POSTGRES else "rowid"
        sql += f" WHERE {key} NOT IN (SELECT id FROM party WHERE defected_on IS NOT NULL)"
    return sql


def count_matches_sql(dialect: str = SQLITE) -> str:
    """SQL: how many parties match :fts, counting no further than :cap (so it is cheap)."""
    return f"SELECT count(*) FROM ({search_ids_sql(dialect)} LIMIT :cap) AS m"


def defer_foreign_keys(conn: Connection) -> None:
    """Check foreign keys at commit from here on (a bulk load writes children first)."""
    if conn.dialect.name == POSTGRES:
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
    else:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


@contextmanager
def page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """A larger page cache for one bulk write on SQLite (PostgreSQL's is the server's)."""
    if conn.dialect.name == POSTGRES:
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = {kib}")
    restore = f"PRAGMA cache_size = {int(cache)}"
    try:
        yield
    except BaseException:
        # An error or a Ctrl-C inside a statement leaves the transaction to be rolled back,
        # and SQLAlchemy then refuses any statement: that refusal must not replace the error
        # on its way out (Ctrl-C reported as an unexpected PendingRollbackError).
        with suppress(Exception):
            conn.exec_driver_sql(restore)
        raise
    conn.exec_driver_sql(restore)


def ids_written(conn: Connection) -> None:
    """After rows were written with explicit ids: PostgreSQL's id sequences move past them
    (SQLite takes the largest id + 1 anyway)."""
    if conn.dialect.name == POSTGRES:
        from reltui.store import postgres

        postgres.reset_ids(conn)


def ids_sql(dialect: str = SQLITE) -> str:
    """SQL (a subquery) giving the ids in the JSON array :ids, as column `value`: one bound
    value however many ids there are (an IN list of bound values stops at SQLite's variable
    limit)."""
    if dialect == POSTGRES:
        return "SELECT CAST(value AS BIGINT) AS value FROM json_array_elements_text(CAST(:ids AS json))"
    return "SELECT value FROM json_each(:ids)"


def _days_since_touch(dialect: str) -> str:
    """SQL: whole days from a party's last contact (or its creation) to :today."""
    if dialect == POSTGRES:
        return "(CAST(:today AS date) - CAST(coalesce(last_contact_at, created_on) AS date))"
    return ("CAST(julianday(:today) - julianday(date(coalesce(last_contact_at, created_on)))"
            " AS INTEGER)")


def going_cold_sql(owner_term: str = "", dialect: str = SQLITE) -> str:
    """SQL: active parties past their contact cadence, longest overdue first, from :offset,
    at most :limit: (id, name, last_contact_at, cadence_days, days_past). `owner_term`: an
    extra WHERE term (' AND owner = :owner') or nothing."""
    return f"""
        SELECT id, name, last_contact_at, cadence_days, days_past FROM (
            SELECT id, name, last_contact_at, cadence_days,
                   {_days_since_touch(dialect)} - cadence_days AS days_past
              FROM party
             WHERE cadence_days IS NOT NULL AND defected_on IS NULL{owner_term}
        ) AS cold WHERE days_past > 0
        ORDER BY days_past DESC, id
        LIMIT :limit OFFSET :offset
        """


def count_going_cold_sql(owner_term: str = "", dialect: str = SQLITE) -> str:
    """SQL: how many parties going_cold_sql would list without a limit."""
    return f"""
        SELECT count(*) FROM party
         WHERE cadence_days IS NOT NULL AND defected_on IS NULL{owner_term}
           AND {_days_since_touch(dialect)} > cadence_days
        """
