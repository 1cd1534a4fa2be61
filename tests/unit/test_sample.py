"""The sample-data generator: reproducible, consistent, and rich enough for every metric."""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reltui.domain.errors import InvalidInput
from reltui.sample import SampleSummary, generate
from reltui.store.engine import open_store
from reltui.store.models import FollowUp, Interaction, Party, Purchase

TODAY = date(2026, 11, 22)
START = date(2025, 11, 23)  # the default period: the 12 months ending TODAY
TABLES = {  # summary field -> table
    "parties": "party", "interactions": "interaction", "purchases": "purchase",
    "follow_ups": "follow_up", "feedback": "feedback", "defections": "defection",
    "rung_steps": "rung_step",
}


def _generate(path: Path, **kwargs) -> tuple[SampleSummary, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    store = open_store(path)
    try:
        summary = generate(store, today=TODAY, progress=lambda d, t: calls.append((d, t)),
                           **kwargs)
    finally:
        store.close()
    return summary, calls


def _dump(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows (the search index and its shadow tables too), in a fixed order."""
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {name: sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
                for name in names}
    finally:
        db.close()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The default book (300 parties, seed 7) as of TODAY: (path, summary, progress calls)."""
    path = tmp_path_factory.mktemp("sample") / "book.db"
    summary, calls = _generate(path)
    return path, summary, calls


@pytest.fixture
def db(book):
    conn = sqlite3.connect(book[0])
    yield conn
    conn.close()


def one(db: sqlite3.Connection, sql: str, *args):
    return db.execute(sql, args).fetchone()[0]


def count(db: sqlite3.Connection, table: str, where: str, *args) -> int:
    return one(db, f"SELECT count(*) FROM {table} WHERE {where}", *args)


# -- reproducible --------------------------------------------------------------------------------


def test_same_seed_and_day_give_identical_books_and_another_seed_does_not(book, tmp_path):
    again, _ = _generate(tmp_path / "again.db")
    other, _ = _generate(tmp_path / "other.db", seed=8)
    first = _dump(book[0])
    assert again == book[1]
    assert _dump(tmp_path / "again.db") == first
    assert {"party", "interaction", "party_search", "meta"} <= set(first)
    assert other != book[1]
    second = _dump(tmp_path / "other.db")
    assert second["party"] != first["party"]
    assert second["interaction"] != first["interaction"]


def test_summary_counts_the_rows(book, db):
    _, summary, _ = book
    for field, table in TABLES.items():
        assert getattr(summary, field) == one(db, f"SELECT count(*) FROM {table}"), table


def test_counts_scale_with_the_number_of_parties(book, tmp_path):
    small = book[1]
    big, _ = _generate(tmp_path / "big.db", parties=1200, seed=11)
    assert small.parties == 300 and big.parties == 1200
    for field in TABLES:
        ratio = getattr(big, field) / getattr(small, field)
        assert 2.8 < ratio < 5.5, (field, asdict(small), asdict(big))
    # the per-party rates the benchmark relies on (100,000 parties ~ 1M interactions, ...)
    assert 8 < big.interactions / big.parties < 12.5
    assert 2.3 < big.purchases / big.parties < 3.8


def test_progress_is_reported_per_batch_and_ends_at_the_total(book):
    _, _, calls = book
    assert calls, "progress was never called"
    total = calls[-1][1]
    assert calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# -- refusals ------------------------------------------------------------------------------------


def test_refuses_a_book_that_has_parties(book):
    store = open_store(book[0])
    try:
        with pytest.raises(InvalidInput, match="already has parties"):
            generate(store, parties=5, today=TODAY)
    finally:
        store.close()


@pytest.mark.parametrize("count", [0, -3, 1_000_001, True, 2.5])
def test_refuses_a_party_count_out_of_range(tmp_path, count):
    store = open_store(tmp_path / "book.db")
    try:
        with pytest.raises(InvalidInput, match="number of parties"):
            generate(store, parties=count, today=TODAY)
        with store.read() as conn:
            assert conn.execute(select(Party.__table__.c.id)).first() is None
    finally:
        store.close()


def test_one_party_and_the_real_today_work(tmp_path):
    store = open_store(tmp_path / "book.db")
    try:
        summary = generate(store, parties=1)
    finally:
        store.close()
    assert summary.parties == 1 and summary.rung_steps >= 1


# -- consistent ----------------------------------------------------------------------------------


def test_every_constraint_and_foreign_key_holds(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.execute("INSERT INTO party_search (party_search) VALUES ('integrity-check')")
    assert count(db, "party", "referred_by_id >= id") == 0
    assert count(db, "follow_up", "(status = 'done') <> (done_on IS NOT NULL)") == 0


def test_nothing_is_dated_after_today_except_what_lies_ahead(db):
    today = TODAY.isoformat()
    for table, column in [("party", "created_on"), ("party", "rung_since"), ("rung_step", "on_date"),
                          ("purchase", "on_date"), ("feedback", "on_date"),
                          ("defection", "on_date"), ("defection", "won_back_on"),
                          ("follow_up", "created_on"), ("follow_up", "done_on"),
                          ("interaction", "date(at)"), ("party", "date(updated_at)")]:
        assert one(db, f"SELECT count(*) FROM {table} WHERE {column} > ?", today) == 0, column


def test_the_rung_is_the_last_step(db):
    assert one(db, """
        SELECT count(*) FROM party p
         WHERE p.rung <> (SELECT to_rung FROM rung_step s WHERE s.party_id = p.id
                           ORDER BY on_date DESC, id DESC LIMIT 1)
            OR p.rung_since <> (SELECT max(on_date) FROM rung_step s WHERE s.party_id = p.id)
    """) == 0
    # one opening step (from nothing) at creation, and each later step starts where the last ended
    assert count(db, "party p", """(SELECT count(*) FROM rung_step s WHERE s.party_id = p.id
                                    AND from_rung IS NULL AND on_date = p.created_on) <> 1""") == 0
    steps = db.execute("SELECT party_id, from_rung, to_rung, on_date FROM rung_step "
                       "ORDER BY party_id, on_date, id").fetchall()
    previous: dict[int, tuple[str, str]] = {}
    for party, from_rung, to_rung, on in steps:
        if party in previous:
            assert from_rung == previous[party][0] and on >= previous[party][1]
        previous[party] = (to_rung, on)


def test_rollups_match_a_recomputation(db):
    assert one(db, """
        SELECT count(*) FROM party p WHERE
            last_contact_at IS NOT (SELECT max(at) FROM interaction i WHERE i.party_id = p.id)
         OR next_follow_up_on IS NOT (SELECT min(due_on) FROM follow_up f
                                      WHERE f.party_id = p.id AND status = 'open')
         OR first_purchase_on IS NOT (SELECT min(on_date) FROM purchase b WHERE b.party_id = p.id)
         OR purchase_count <> (SELECT count(*) FROM purchase b WHERE b.party_id = p.id)
         OR revenue_cents <> (SELECT coalesce(sum(revenue_cents), 0) FROM purchase b
                              WHERE b.party_id = p.id)
         OR cost_cents <> (SELECT coalesce(sum(coalesce(cost_cents, 0)), 0) FROM purchase b
                           WHERE b.party_id = p.id)
    """) == 0
    assert count(db, "party", "purchase_count > 0") > 150


def test_the_search_index_matches_the_tables(db):
    assert one(db, "SELECT count(*) FROM party_search") == one(db, "SELECT count(*) FROM party")
    assert one(db, """
        SELECT count(*) FROM party p JOIN party_search s ON s.rowid = p.id
         WHERE s.name <> p.name OR s.organisation <> coalesce(p.organisation, '')
            OR s.notes <> p.notes
            OR s.contacts <> coalesce((SELECT group_concat(value || ' ' || norm, ' ')
                                         FROM contact_point c WHERE c.party_id = p.id), '')
            OR s.tags <> coalesce((SELECT group_concat(tag, ' ') FROM party_tag t
                                     WHERE t.party_id = p.id), '')
    """) == 0
    party, email = db.execute("SELECT party_id, norm FROM contact_point WHERE kind = 'email' "
                              "ORDER BY id LIMIT 1").fetchone()
    local = re.split(r"[.@_]", email)[0]
    hits = [r[0] for r in db.execute(
        "SELECT rowid FROM party_search WHERE party_search MATCH ?", (f'"{local}"*',))]
    assert party in hits
    assert count(db, "party_search", "party_search MATCH 'vip'") > 0


def test_stored_dates_and_times_read_back_through_sqlalchemy(book, db):
    """Rows written below SQLAlchemy carry exactly the text its types would have written."""
    store = open_store(book[0])
    try:
        with store.read() as conn:
            for table, column in [(Interaction, "at"), (FollowUp, "due_time"),
                                  (FollowUp, "due_on"), (Purchase, "on_date"), (Party, "updated_at")]:
                col = table.__table__.c[column]
                process = col.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
                rows = conn.execute(select(table.__table__.c.id, col)
                                    .where(col.is_not(None)).order_by(table.__table__.c.id)
                                    .limit(200)).all()
                assert rows, column
                for row_id, value in rows:
                    raw = one(db, f"SELECT {column} FROM {table.__tablename__} WHERE id = ?", row_id)
                    assert process(value) == raw, (column, raw)
    finally:
        store.close()


def test_contact_points_are_fictional_and_normalised(db):
    for kind, value, norm, position in db.execute(
            "SELECT kind, value, norm, position FROM contact_point"):
        if kind == "email":
            assert re.fullmatch(r"[a-z0-9._-]+@example\.(com|org|net)", norm), norm
            assert norm == value.lower()
        else:
            assert re.fullmatch(r"\+1 \d{3} 555-01\d\d|\+44 20 7946 0\d{3}", value), value
            assert norm == re.sub(r"\D", "", value)
        assert 0 <= position <= 3
    assert one(db, """SELECT count(*) FROM party p WHERE NOT EXISTS (SELECT 1 FROM contact_point c
                      WHERE c.party_id = p.id AND kind = 'email')""") == 0
    assert one(db, "SELECT count(DISTINCT norm) FROM contact_point WHERE kind = 'email'") == \
        count(db, "contact_point", "kind = 'email'")


# -- the life of a book --------------------------------------------------------------------------


def test_profile_fields(db):
    kinds = dict(db.execute("SELECT kind, count(*) FROM party GROUP BY kind").fetchall())
    assert 0.62 < kinds["customer"] / 300 < 0.78 and len(kinds) == 7
    assert count(db, "party", "kind = 'customer' AND party_type <> 'person'") == 0
    b2b_orgs = count(db, "party", "kind <> 'customer' AND party_type = 'organisation'")
    assert b2b_orgs > 0.6 * (300 - kinds["customer"])
    assert count(db, "party", "party_type = 'organisation' AND organisation IS NULL") == 0
    assert count(db, "party", "party_type = 'person' AND organisation IS NOT NULL") > 10
    referred = count(db, "party", "referred_by_id IS NOT NULL")
    assert 15 <= referred <= 45
    assert count(db, "party", "referred_by_id IS NOT NULL AND source <> 'referral'") == 0
    assert 0.5 < count(db, "party", "cadence_days IS NOT NULL") / 300 < 0.7
    assert count(db, "party", "kind = 'customer' AND payment_terms_days IS NOT NULL") == 0
    assert count(db, "party", "notes LIKE '## %- %'") > 30
    assert one(db, "SELECT count(DISTINCT tag) FROM party_tag") >= 6
    assert count(db, "party", "created_on < ?", str(TODAY - timedelta(days=730))) > 0


def test_birthdays_and_renewals_coming_up(db):
    assert count(db, "party", "birthday_month IS NOT NULL AND birthday_year IS NULL") > 5
    assert count(db, "party", "birthday_year IS NOT NULL") > 60
    soon = {((TODAY + timedelta(days=k)).month, (TODAY + timedelta(days=k)).day) for k in range(15)}
    birthdays = db.execute("SELECT birthday_month, birthday_day FROM party "
                           "WHERE birthday_month IS NOT NULL").fetchall()
    assert sum(b in soon for b in birthdays) >= 3
    assert count(db, "party", "renewal_on BETWEEN ? AND ?",
               str(TODAY), str(TODAY + timedelta(days=14))) >= 2
    assert one(db, "SELECT max(renewal_on) FROM party") <= str(TODAY + timedelta(days=366))


def test_purchases_pareto_margins_and_losses(db):
    assert one(db, "SELECT count(*) FROM purchase p JOIN party q ON q.id = p.party_id "
                   "WHERE p.on_date < q.created_on") == 0
    prospects = count(db, "party", "purchase_count = 0")
    assert 0.12 < prospects / 300 < 0.35
    assert count(db, "party", "purchase_count = 1") > 40
    assert count(db, "party", "purchase_count >= 5") > 20
    assert count(db, "party", "purchase_count > 0 AND cost_cents > revenue_cents") >= 3
    ratio = one(db, "SELECT sum(cost_cents) * 1.0 / sum(revenue_cents) FROM purchase "
                    "WHERE cost_cents IS NOT NULL")
    assert 0.5 < ratio < 0.9


def test_no_purchase_or_feedback_while_defected(db):
    for table in ("purchase", "feedback"):
        assert one(db, f"""
            SELECT count(*) FROM {table} x JOIN defection d ON d.party_id = x.party_id
             WHERE x.on_date >= d.on_date AND (d.won_back_on IS NULL OR x.on_date < d.won_back_on)
        """) == 0, table


def test_defections_and_win_backs(db):
    buyers = count(db, "party", "purchase_count > 0")
    defections = one(db, "SELECT count(*) FROM defection")
    assert 0.08 < defections / buyers < 0.18
    reasons = dict(db.execute("SELECT reason, count(*) FROM defection GROUP BY reason").fetchall())
    assert len(reasons) >= 4
    assert count(db, "defection", "won_back_on IS NOT NULL") >= 2
    # party.defected_on is set exactly for the parties lost and not won back
    assert one(db, """
        SELECT count(*) FROM party p LEFT JOIN defection d ON d.party_id = p.id
         WHERE p.defected_on IS NOT (CASE WHEN d.won_back_on IS NULL THEN d.on_date END)
    """) == 0
    assert count(db, "defection", "on_date < ?", str(TODAY - timedelta(days=730))) == 0
    assert one(db, "SELECT count(*) FROM defection d JOIN party p ON p.id = d.party_id "
                   "WHERE p.first_purchase_on IS NULL OR p.first_purchase_on >= d.on_date") == 0


def test_follow_ups_overdue_today_ahead_done_late_and_cancelled(db):
    today = str(TODAY)

    def due(where: str, *args) -> int:
        return count(db, "follow_up", where, *args)

    assert due("status = 'open' AND due_on < ?", today) > 10
    assert due("status = 'open' AND due_on = ?", today) >= 1
    assert due("status = 'open' AND due_on > ? AND due_on <= ?", today,
               str(TODAY + timedelta(days=7))) >= 3
    assert due("status = 'open' AND (due_on < ? OR due_on > ?)",
               str(TODAY - timedelta(days=20)), str(TODAY + timedelta(days=60))) == 0
    assert due("status = 'open' AND repeat IS NOT NULL") >= 3
    assert due("due_time IS NOT NULL") > 20
    assert len(dict(db.execute("SELECT priority, count(*) FROM follow_up GROUP BY 1").fetchall())) == 3
    late = due("status = 'done' AND done_on > due_on")
    on_time = due("status = 'done' AND done_on <= due_on")
    assert 0 < late < on_time
    assert due("status = 'cancelled'") > 5
    assert due("created_on > due_on") == 0
    assert due("status = 'open' AND party_id IN "
               "(SELECT id FROM party WHERE defected_on IS NOT NULL)") == 0


def test_interactions_vary_and_some_parties_go_cold(db):
    assert len(db.execute("SELECT DISTINCT channel FROM interaction").fetchall()) == 8
    assert len(db.execute("SELECT DISTINCT direction FROM interaction").fetchall()) == 2
    assert one(db, "SELECT count(DISTINCT subject) FROM interaction") > 30
    total = one(db, "SELECT count(*) FROM interaction")
    assert 0.15 < count(db, "interaction", "notes <> ''") / total < 0.45
    assert 0.1 < count(db, "interaction", "outcome IS NOT NULL") / total < 0.4
    recent = count(db, "interaction", "at >= ?", str(TODAY - timedelta(days=90)))
    assert recent / total > 0.3  # a quarter of the span, more than a quarter of the touches
    assert one(db, "SELECT count(*) FROM interaction i JOIN party p ON p.id = i.party_id "
                   "WHERE date(i.at) < p.created_on") == 0
    cold = one(db, """
        SELECT count(*) FROM party WHERE cadence_days IS NOT NULL AND defected_on IS NULL
           AND julianday(?) - julianday(date(coalesce(last_contact_at, created_on))) > cadence_days
    """, str(TODAY))
    assert 10 <= cold <= 80


# -- every metric has something to show (DOMAIN.md, default period, seed 7) ------------------------


def _active(db: sqlite3.Connection, day: date) -> set[int]:
    return {r[0] for r in db.execute("""
        SELECT id FROM party p WHERE first_purchase_on <= :d AND NOT EXISTS (
            SELECT 1 FROM defection d WHERE d.party_id = p.id AND d.on_date <= :d
               AND (d.won_back_on IS NULL OR d.won_back_on > :d))
    """, {"d": str(day)})}


def test_retention_clv_and_the_pyramid(db):
    at_start, at_end = _active(db, START), _active(db, TODAY)
    retained = at_start & at_end
    assert 40 <= len(at_start) <= 65
    assert 0.75 <= len(retained) / len(at_start) <= 0.9
    profit = dict(db.execute("""
        SELECT party_id, sum(revenue_cents - coalesce(cost_cents, 0)) FROM purchase
         WHERE on_date BETWEEN ? AND ? GROUP BY party_id""", (str(START), str(TODAY))).fetchall())
    assert sum(profit.get(p, 0) for p in retained) > 0  # so CLV is positive
    tiers = [p for p in profit if p in at_end]
    lead = [p for p in tiers if profit[p] <= 0]
    assert 1 <= len(lead) < len(tiers) / 5


def test_pareto_share(db):
    revenue = sorted((r[0] for r in db.execute(
        "SELECT sum(revenue_cents) FROM purchase WHERE on_date BETWEEN ? AND ? GROUP BY party_id",
        (str(START), str(TODAY)))), reverse=True)
    top = math.ceil(len(revenue) * 0.2)
    assert 0.6 <= sum(revenue[:top]) / sum(revenue) <= 0.8


def test_return_on_relationship_loyalty_and_satisfaction(db):
    helped = {r[0] for r in db.execute("SELECT DISTINCT party_id FROM interaction "
                                       "WHERE date(at) BETWEEN ? AND ?", (str(START), str(TODAY)))}
    loyal = {r[0] for r in db.execute(
        "SELECT id FROM party WHERE referred_by_id IS NOT NULL OR "
        "(SELECT count(*) FROM purchase b WHERE b.party_id = party.id AND on_date <= ?) >= 2",
        (str(TODAY),))}
    assert 0.25 < len(helped & loyal) / len(helped) < 0.7
    assert count(db, "party", "referred_by_id IS NOT NULL AND created_on >= ?",
               str(START)) > 5
    scores = [r[0] for r in db.execute("SELECT score FROM feedback WHERE on_date BETWEEN ? AND ?",
                                       (str(START), str(TODAY)))]
    assert len(scores) > 30
    nps = (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)
    assert 0.2 <= nps <= 0.4


def test_the_ladder_moves(db):
    rungs = dict(db.execute("SELECT rung, count(*) FROM party WHERE defected_on IS NULL "
                            "GROUP BY rung").fetchall())
    assert set(rungs) == {"prospect", "customer", "client", "supporter", "advocate", "partner"}
    assert 2 <= rungs["partner"] <= 20
    assert count(db, "party", "rung = 'partner' AND kind = 'customer'") == 0
    advocates = count(db, "party", "rung = 'advocate'")
    referring = count(db, "party", "rung = 'advocate' AND id IN "
                        "(SELECT referred_by_id FROM party)")
    assert referring > advocates / 2
    order = "CASE {} WHEN 'prospect' THEN 0 WHEN 'customer' THEN 1 WHEN 'client' THEN 2 " \
            "WHEN 'supporter' THEN 3 WHEN 'advocate' THEN 4 ELSE 5 END"
    moves = db.execute(f"SELECT {order.format('to_rung')} > {order.format('from_rung')}, count(*) "
                       "FROM rung_step WHERE from_rung IS NOT NULL AND on_date >= ? GROUP BY 1",
                       (str(START),)).fetchall()
    falls, climbs = dict(moves)[0], dict(moves)[1]
    assert climbs > 100 and 3 <= falls < climbs / 5
    assert count(db, "rung_step", "note <> '' AND from_rung IS NOT NULL") > 50
