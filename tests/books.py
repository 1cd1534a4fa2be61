"""Reading a test's book whatever engine it is on (a file, or the PostgreSQL test server)."""

from __future__ import annotations

from reltui.store import open_store


def count_rows(book, table: str) -> int:  # noqa: ANN001 - a path or a URL
    return rows(book, f"SELECT count(*) FROM {table}")[0][0]


def rows(book, sql: str) -> list[tuple]:  # noqa: ANN001 - a path or a URL
    """The rows of one SELECT on the book (dates as ISO text, as SQLite gives them)."""
    store = open_store(book)
    try:
        return store.rows(sql)
    finally:
        store.close()
