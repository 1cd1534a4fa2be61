"""What the PostgreSQL store adds to make one reltui run on both engines (store.postgres).

These need the test server: `bash .ci/postgres make test` (or RELTUI_TEST_PG set).
"""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import unquote

import psycopg
import pytest

from reltui.domain.errors import InvalidInput, StoreRefused
from reltui.domain.records import PartyIn
from reltui.services import Services
from reltui.store import open_store

pytestmark = pytest.mark.postgres_only

DAYS = ["2024-02-29", "2023-01-31", "2026-12-31", "2025-03-31", "2000-02-29"]
MODIFIERS = [("-1 year",), ("+1 year",), ("-1 year", "-1 day"), ("+1 month",), ("-1 month",),
             ("-13 months",), ("+3 days",), ("-400 days",)]


def _sqlite(sql: str):  # noqa: ANN202
    with sqlite3.connect(":memory:") as db:
        return db.execute(sql).fetchone()[0]


def test_sqlite_functions_mean_the_same_on_postgres(store):
    """The metrics' SQL is SQLite's; the book's schema gives PostgreSQL the same functions."""
    pairs = []
    for day in DAYS:
        for mods in MODIFIERS:
            args = ", ".join(f"'{m}'" for m in mods)
            pairs.append((f"SELECT date('{day}', {args})", f"SELECT date(DATE '{day}', {args})"))
        pairs.append((f"SELECT substr('{day}', 6, 5)", f"SELECT substr(DATE '{day}', 6, 5)"))
        pairs.append((f"SELECT substr('{day} 09:30:00', 1, 10)",
                      f"SELECT substr(TIMESTAMP '{day} 09:30:00', 1, 10)"))
        pairs.append((f"SELECT CAST(julianday('2026-11-22') - julianday('{day}') AS INTEGER)",) * 2)
    pairs += [
        ("SELECT instr(',prospect,customer,client,', ',client,')",) * 2,
        ("SELECT max(1, 5)",) * 2, ("SELECT min(2, 3, 1)",) * 2, ("SELECT max(0, -2, 7)",) * 2,
        ("SELECT sum(column1 > 1) FROM (VALUES (1), (2), (3), (NULL)) AS v",) * 2,
        ("SELECT sum(column1 > 5) FROM (VALUES (1), (2)) AS v",) * 2,
        ("SELECT group_concat(CAST(column1 AS TEXT), ', ') FROM (VALUES (7)) AS v",) * 2,
    ]
    for sqlite_sql, pg_sql in pairs:
        assert store.rows(pg_sql)[0][0] == _sqlite(sqlite_sql), pg_sql


def test_someone_elses_tables_are_left_alone(book_factory):
    target = book_factory("theirs")
    schema = unquote(target).split("search_path=")[1].split(",")[0]
    server = target.split("&options=")[0].split("?options=")[0]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.invoices (id integer)")
    with pytest.raises(StoreRefused, match="another program"):
        open_store(target)
    with psycopg.connect(server, autocommit=True) as conn:
        left = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
                            (schema,)).fetchone()[0]
    assert left == 1


def test_search_ignores_case_and_accents_and_matches_word_starts(svc):
    zoe = svc.add_party(PartyIn(name="Zoë Ångström", emails=("zoe.a@example.com",), tags=("vip",)))
    svc.add_party(PartyIn(name="Bob Stone", organisation="Northwind"))
    found = {q: [p.id for p in svc.list_parties(search=q)] for q in
             ("zoe", "ZOË ang", "angstr", "example", "vip", "zoe bob")}
    assert found == {"zoe": [zoe], "ZOË ang": [zoe], "angstr": [zoe], "example": [zoe],
                     "vip": [zoe], "zoe bob": []}
    assert svc.count_parties(search="north") == 1


def test_names_sort_without_regard_to_case(svc):
    for name in ("bob", "Alice", "carol", "Ánne"):
        svc.add_party(PartyIn(name=name))
    assert [p.name for p in svc.list_parties()] == ["Alice", "Ánne", "bob", "carol"]


def test_every_committed_write_moves_the_change_counter(svc):
    before = svc.store.change_counter()
    svc.add_party(PartyIn(name="Ann"))
    after = svc.store.change_counter()
    assert after > before
    with pytest.raises(InvalidInput):
        svc.add_party(PartyIn(name=""))
    assert svc.store.change_counter() == after  # a refused write changed nothing


def test_writers_from_two_terminals_queue_instead_of_failing(book_target, svc):
    svc.add_party(PartyIn(name="Ann"))
    errors: list[Exception] = []

    def log_many() -> None:
        store = open_store(book_target)
        try:
            other = Services(store, user="colleague")
            for i in range(20):
                other.log_interaction(1, f"ping {i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=log_many) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store_count(svc, "interaction") == 60
    assert svc.get_party(1).last_contact_at is not None  # the rollup saw them too


def store_count(svc, table: str) -> int:  # noqa: ANN001
    return svc.store.rows(f"SELECT count(*) FROM {table}")[0][0]


def test_a_book_made_by_an_earlier_version_is_upgraded_in_place(book_target):
    """A book at the first version that ran on PostgreSQL gets the later steps when opened."""
    from sqlalchemy import create_engine, text

    from reltui.store import postgres

    engine = create_engine(book_target.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        for statement in postgres.SCHEMA:
            conn.exec_driver_sql(statement)
        conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
                     {"v": str(postgres.BASELINE)})
        conn.execute(text("INSERT INTO party (name, rung_since, created_on, updated_at)"
                          " VALUES ('Old Friend', '2020-01-01', '2020-01-01', '2020-01-01 00:00')"))
    engine.dispose()
    store = open_store(book_target)
    try:
        assert store.rows("SELECT value FROM meta WHERE key = 'schema_version'")[0][0] == \
            str(postgres.latest())
        svc = Services(store, user="Maya")
        old = svc.list_parties(search="friend")[0]
        assert old.owner is None  # made before anyone owned parties
        svc.assign_owner(old.id, "Maya")
        assert svc.list_parties(owner="Maya")[0].name == "Old Friend"
    finally:
        store.close()


def test_the_light_reads_never_write_and_a_lost_server_is_a_message(svc):
    from reltui.domain.errors import StoreUnavailable

    svc.add_party(PartyIn(name="Ann"))
    with pytest.raises(StoreUnavailable, match="read-only"):
        svc.store.rows("DELETE FROM party")
    assert store_count(svc, "party") == 1
    with pytest.raises(StoreUnavailable, match="Can't reach .*refused"):
        open_store("postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
