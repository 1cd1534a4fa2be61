"""Store set-up: pragmas, permissions, schema upgrades, refusal of foreign or damaged files."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from reltui.domain.errors import StoreRefused, StoreUnavailable
from reltui.store import APPLICATION_ID, open_store
from reltui.store import migrations
from reltui.services import Services
from reltui.store.models import TABLES, Meta


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.sqlite_only
def test_new_database_has_the_pragmas_we_rely_on(store, db_path):
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID
        assert migrations.current_version(conn) == migrations.LATEST


def test_database_wal_and_shm_are_private(tmp_path):
    old = os.umask(0o022)  # a permissive umask must not leak into our files
    try:
        path = tmp_path / "private.db"
        store = open_store(path)
        with store.write() as conn:
            conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('k', 'v')")
        files = [path, tmp_path / "private.db-wal", tmp_path / "private.db-shm"]
        for f in files:
            assert f.exists(), f
            assert mode(f) == 0o600, (f, oct(mode(f)))
        store.close()
    finally:
        os.umask(old)


def test_foreign_keys_are_enforced(store):
    with pytest.raises(Exception):
        with store.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO interaction (party_id, at, channel, direction, subject) "
                "VALUES (999, '2026-01-01 10:00:00', 'call', 'outbound', 'x')"
            )


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO party (name, kind, rung_since, created_on, updated_at) VALUES ('a', 'alien', '2026-01-01', '2026-01-01', '2026-01-01')",
        "INSERT INTO party (name, rung, rung_since, created_on, updated_at) VALUES ('a', 'king', '2026-01-01', '2026-01-01', '2026-01-01')",
        "INSERT INTO party (name, rung_since, created_on, updated_at) VALUES ('', '2026-01-01', '2026-01-01', '2026-01-01')",
        "INSERT INTO party (name, birthday_month, rung_since, created_on, updated_at) VALUES ('a', 13, '2026-01-01', '2026-01-01', '2026-01-01')",
        "INSERT INTO party (name, birthday_year, rung_since, created_on, updated_at) VALUES ('a', 1980, '2026-01-01', '2026-01-01', '2026-01-01')",
        "INSERT INTO feedback (party_id, on_date, score) VALUES (1, '2026-01-01', 11)",
        "INSERT INTO follow_up (party_id, due_on, text, status, created_on) VALUES (1, '2026-01-01', 'x', 'done', '2026-01-01')",
        "INSERT INTO defection (party_id, on_date, reason) VALUES (1, '2026-01-01', 'boredom')",
        "INSERT INTO interaction (party_id, at, channel, direction, subject) VALUES (1, '2026-01-01', 'pigeon', 'outbound', 'x')",
    ],
)
def test_check_constraints_refuse_nonsense(store, statement):
    with store.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO party (id, name, rung_since, created_on, updated_at) "
            "VALUES (1, 'Ann', '2026-01-01', '2026-01-01', '2026-01-01')"
        )
    with pytest.raises(Exception) as info:
        with store.write() as conn:
            conn.exec_driver_sql(statement)
    assert "constraint" in str(info.value).lower()


def test_models_match_the_migrated_schema(store):
    inspector = inspect(store.engine)
    for model in [Meta, *TABLES]:
        table = model.__table__
        in_db = {c["name"] for c in inspector.get_columns(table.name)}
        in_model = {c.name for c in table.columns}
        assert in_db == in_model, table.name


def _make_v1(path) -> None:
    """A database as version 1 of reltui wrote it, with a party in it."""
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for statement in migrations.STEPS[0]:
        conn.execute(statement)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(
        "INSERT INTO party (id, name, organisation, rung_since, created_on, updated_at) "
        "VALUES (1, 'Zelda Quist', 'Hyrule Ltd', '2025-01-01', '2025-01-01', '2025-01-01 00:00:00')"
    )
    conn.execute("INSERT INTO purchase (party_id, on_date, revenue_cents, cost_cents) VALUES (1, '2025-02-01', 12000, 5000)")
    conn.execute("COMMIT")
    conn.close()
    os.chmod(path, 0o600)


def test_older_schema_is_upgraded_after_a_backup(tmp_path):
    path = tmp_path / "old.db"
    _make_v1(path)
    store = open_store(path)
    with store.read() as conn:
        assert migrations.current_version(conn) == migrations.LATEST
        row = conn.execute(text("SELECT revenue_cents, purchase_count FROM party WHERE id = 1")).one()
        assert tuple(row) == (12000, 1)  # rollups filled from the old rows
        hits = conn.execute(text("SELECT rowid FROM party_search WHERE party_search MATCH 'hyru*'")).all()
        assert [h[0] for h in hits] == [1]  # and the search index covers them
        # version 5: nobody owns the old party, nobody knows who made the old purchase
        assert conn.execute(text("SELECT owner FROM party WHERE id = 1")).scalar() is None
        assert conn.execute(text("SELECT made_by FROM purchase")).all() == [(None,)]
    store.close()
    backups = list(tmp_path.glob("old.schema1-*.backup.db"))
    assert len(backups) == 1
    assert mode(backups[0]) == 0o600
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        assert conn.execute("SELECT name FROM party").fetchall() == [("Zelda Quist",)]


def _old_book(path, version: int, rows: list[tuple[str, tuple]]) -> None:  # noqa: ANN001
    """A book as schema `version` made it, holding `rows` (statement, parameters)."""
    conn = sqlite3.connect(path)
    conn.isolation_level = None
    conn.execute("BEGIN")
    for step in migrations.STEPS[:version]:
        for statement in step:
            conn.execute(statement)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement, parameters in rows:
        conn.execute(statement, parameters)
    conn.execute("COMMIT")
    conn.close()
    os.chmod(path, 0o600)


def test_version_4_is_upgraded_to_5_with_owner_and_made_by(tmp_path):
    path = tmp_path / "v4.db"
    _old_book(path, 4, [
        ("INSERT INTO party (id, name, rung_since, created_on, updated_at) "
         "VALUES (1, 'Old Friend', '2025-01-01', '2025-01-01', '2025-01-01 00:00:00')", ()),
        ("INSERT INTO interaction (party_id, at, channel, direction, subject) "
         "VALUES (1, '2025-02-01 10:00:00', 'call', 'outbound', 'Hi')", ()),
    ])
    store = open_store(path)
    with store.read() as c:
        assert migrations.current_version(c) == migrations.LATEST
        assert c.execute(text("SELECT owner FROM party")).all() == [(None,)]
        assert c.execute(text("SELECT made_by FROM interaction")).all() == [(None,)]
        for table in ("interaction", "follow_up", "purchase", "rung_step", "feedback", "defection"):
            assert "made_by" in [r[1] for r in c.exec_driver_sql(f"PRAGMA table_info({table})")]
        index = c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'ix_party_owner'").scalar()
        assert "owner, name COLLATE NOCASE, id" in index
    store.close()
    assert len(list(tmp_path.glob("v4.schema4-*.backup.db"))) == 1


def test_owner_and_made_by_are_bounded(store):
    with store.write() as conn:
        conn.exec_driver_sql("INSERT INTO party (name, rung_since, created_on, updated_at, owner) "
                             "VALUES ('A', '2026-01-01', '2026-01-01', '2026-01-01 00:00:00', 'Maya')")
    with pytest.raises(IntegrityError), store.write() as conn:
        conn.execute(text("UPDATE party SET owner = :o"), {"o": "x" * 101})
    with pytest.raises(IntegrityError), store.write() as conn:
        conn.execute(text("INSERT INTO feedback (party_id, on_date, score, made_by) "
                          "VALUES (1, '2026-01-01', 9, :o)"), {"o": "x" * 101})


def test_version_5_is_upgraded_to_6_with_each_partys_second_purchase(tmp_path):
    path = tmp_path / "v5.db"
    rows = []
    for pid, dates in ((1, ("2025-03-01", "2024-01-05", "2025-01-10")), (2, ("2025-02-02",)), (3, ())):
        rows.append(("INSERT INTO party (id, name, rung_since, created_on, updated_at, purchase_count) "
                     "VALUES (?, ?, '2024-01-01', '2024-01-01', '2024-01-01 00:00:00', ?)",
                     (pid, f"Party {pid}", len(dates))))
        rows += [("INSERT INTO purchase (party_id, on_date, revenue_cents) VALUES (?, ?, 100)", (pid, day))
                 for day in dates]  # not in date order
    _old_book(path, 5, rows)
    store = open_store(path)
    with store.read() as c:
        assert migrations.current_version(c) == migrations.LATEST
        rows = c.execute(text("SELECT id, second_purchase_on FROM party ORDER BY id")).all()
    assert [(pid, str(day) if day else None) for pid, day in rows] == [
        (1, "2025-01-10"), (2, None), (3, None)]  # the second by date, not by entry
    # and the rollup keeps up with new purchases
    Services(store).record_purchase(2, "10", on=date(2025, 1, 1))
    assert store.rows("SELECT second_purchase_on FROM party WHERE id = 2")[0][0] == "2025-02-02"
    store.close()


def test_version_6_is_upgraded_to_7_with_the_day_totals_of_what_is_there(tmp_path):
    path = tmp_path / "v6.db"
    party = ("INSERT INTO party (id, name, rung, rung_since, created_on, updated_at) VALUES "
             "(?, ?, 'client', '2025-01-01', '2025-01-01', '2025-01-01 00:00:00')")
    purchase = "INSERT INTO purchase (party_id, on_date, revenue_cents, cost_cents) VALUES (?, ?, ?, ?)"
    step = "INSERT INTO rung_step (party_id, from_rung, to_rung, on_date) VALUES (?, ?, ?, ?)"
    _old_book(path, 6, [
        (party, (1, "A")), (party, (2, "B")),
        (purchase, (1, "2025-03-01", 1000, 400)), (purchase, (2, "2025-03-01", 500, None)),
        (purchase, (2, "2025-03-02", -200, -50)),
        (step, (1, None, "prospect", "2025-01-01")),  # a first rung: no step
        (step, (1, "prospect", "client", "2025-03-01")), (step, (2, "client", "customer", "2025-03-01")),
    ])
    store = open_store(path)
    with store.read() as c:
        assert migrations.current_version(c) == migrations.LATEST
        indexes = {r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_party_second_purchase", "ix_party_referred_created", "ix_party_cadence"} <= indexes
    assert [tuple(r) for r in store.rows("SELECT on_date, revenue_cents, cost_cents, purchases, steps, climbs"
                                         " FROM day_total ORDER BY on_date")] == [
        ("2025-03-01", 1500, 400, 2, 2, 1), ("2025-03-02", -200, -50, 1, 0, 0)]
    store.close()


def test_upgrade_failure_leaves_the_old_version_intact(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    _make_v1(path)
    monkeypatch.setattr(migrations, "STEPS", [migrations.V1, [*migrations.V2, "SELECT nonsense FROM nowhere"],
                                              migrations.V3])
    with pytest.raises(Exception):
        open_store(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(party)")]
        assert "revenue_cents" not in columns  # the half-done step was rolled back


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    open_store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreRefused, match="newer reltui"):
        open_store(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"name,email\nAnn,ann@example.com\n", "not an SQLite file"),
        (os.urandom(4096), "not an SQLite file"),
        (b"\x00" * 8192, "not an SQLite file"),
        (b"SQLite format 3\x00" + b"\x10\x00", "cut short"),
    ],
    ids=["csv", "random", "zeroed", "truncated-header"],
)
def test_foreign_and_damaged_files_are_refused_untouched(tmp_path, content, message):
    path = tmp_path / "thing.db"
    path.write_bytes(content)
    with pytest.raises(StoreRefused, match=message):
        open_store(path)
    assert path.read_bytes() == content  # nothing overwritten
    assert not (tmp_path / "thing.db-wal").exists()


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE songs (title TEXT)")
    before = path.read_bytes()
    with pytest.raises(StoreRefused, match="another program"):
        open_store(path)
    assert path.read_bytes() == before


def test_truncated_database_is_refused(tmp_path):
    path = tmp_path / "cut.db"
    store = open_store(path)
    with store.write() as conn:
        for i in range(300):
            conn.exec_driver_sql(
                "INSERT INTO party (name, notes, rung_since, created_on, updated_at) "
                f"VALUES ('p{i}', '{'x' * 500}', '2026-01-01', '2026-01-01', '2026-01-01')"
            )
    store.close()  # checkpoints the WAL into the file
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreRefused, match="damaged"):
        open_store(path)


def test_missing_folder_gives_a_clear_message(tmp_path):
    with pytest.raises(StoreUnavailable, match="does not exist"):
        open_store(tmp_path / "nowhere" / "book.db")


def test_write_transactions_queue_instead_of_failing(store):
    """Two writers that read then write: BEGIN IMMEDIATE makes the second wait, not fail."""
    with store.write() as conn:
        conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('n', '0')")
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        try:
            for _ in range(times):
                with store.write() as conn:
                    n = int(conn.exec_driver_sql("SELECT value FROM setting WHERE key = 'n'").scalar())
                    time.sleep(0.001)
                    conn.exec_driver_sql(f"UPDATE setting SET value = '{n + 1}' WHERE key = 'n'")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(50,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.read() as conn:
        assert conn.exec_driver_sql("SELECT value FROM setting WHERE key = 'n'").scalar() == "200"


@pytest.mark.sqlite_only
def test_backup_is_a_private_consistent_copy(store, tmp_path):
    with store.write() as conn:
        conn.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('a', 'b')")
    dest = tmp_path / "copy.db"
    store.backup_to(dest)
    assert mode(dest) == 0o600
    copy = open_store(dest)
    with copy.read() as conn:
        assert conn.exec_driver_sql("SELECT value FROM setting WHERE key = 'a'").scalar() == "b"
    copy.close()


def test_ctrl_c_inside_a_bulk_write_comes_out_as_itself(store):
    # Ctrl-C inside a statement leaves SQLAlchemy's transaction to be rolled back; putting the
    # page cache back must not turn it into a PendingRollbackError (an "unexpected error")
    from sqlalchemy import event

    from reltui.store import queries

    fired = []

    def interrupt(*_args) -> None:  # noqa: ANN002
        if not fired:
            fired.append(1)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with store.write() as conn, queries.page_cache(conn, 4096):
            event.listen(conn, "before_cursor_execute", interrupt)
            conn.exec_driver_sql("SELECT 1")
    assert fired
    with store.write() as conn:  # and the store goes on
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
