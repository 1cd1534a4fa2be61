"""Shared by every test: no test touches the real home directory or a real book.

With RELTUI_TEST_PG set to a PostgreSQL database URL (`.ci/postgres` starts a throwaway
server and sets it), the books that tests make through the `book_target` and
`book_factory` fixtures live on that server instead, each in a schema of its own,
dropped after the test. Only those tests run then: the others never touch the engine
(or make SQLite files of their own), and tests marked `sqlite_only` (SQLite's files:
pragmas, query plans, the backup API) are skipped.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

PG = os.environ.get("RELTUI_TEST_PG", "")


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("RELTUI_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about SQLite's files; skipped on PostgreSQL")
    config.addinivalue_line("markers", "postgres_only: needs the PostgreSQL test server")


def pytest_collection_modifyitems(config, items):
    if not PG:
        no_server = pytest.mark.skip(reason="needs RELTUI_TEST_PG (bash .ci/postgres make test)")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(no_server)
        return
    sqlite_only = pytest.mark.skip(reason="about SQLite's own files (RELTUI_TEST_PG is set)")
    no_book = pytest.mark.skip(reason="keeps no book on the server: the SQLite pass covers it")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(sqlite_only)
        elif not {"book_factory", "module_book_factory"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(no_book)


def _libpq(url: str) -> str:
    """The URL as libpq (psycopg) takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://")


class _Books:
    """Makes new, empty books: files in a folder, or fresh schemas on the test server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schemas: list[str] = []

    def new(self, name: str = "book"):  # noqa: ANN201 - a Path, or a URL on the server
        if not PG:
            return self.folder / f"{name}.db"
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(_libpq(PG)) as conn:  # one transaction; test workers take turns
            conn.execute("SELECT pg_advisory_xact_lock(7)")
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            conn.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        joiner = "&" if "?" in PG else "?"
        return f"{PG}{joiner}options={quote(f'-csearch_path={schema},public')}"

    def drop(self) -> None:
        if self.schemas:
            import psycopg

            with psycopg.connect(_libpq(PG), autocommit=True) as conn:
                for schema in self.schemas:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def book_factory(tmp_path):
    """new_book(name) -> where a new, empty book lives: a file in tmp_path, or a fresh schema
    on the test server (dropped after the test)."""
    books = _Books(tmp_path)
    yield books.new
    books.drop()


@pytest.fixture(scope="module")
def module_book_factory(tmp_path_factory):
    """As book_factory, for books a whole module shares."""
    books = _Books(tmp_path_factory.mktemp("books"))
    yield books.new
    books.drop()


@pytest.fixture
def book_target(book_factory):
    """Where a test's book lives (see book_factory)."""
    return book_factory("book")
