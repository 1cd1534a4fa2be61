"""Schema versions, one upgrade step per version.

Each step is frozen SQL: once released it never changes, so a database made by
any earlier version upgrades through the same statements.  `upgrade()` runs
every missing step in one transaction, after a backup copy of the file (the
engine module makes the copy), and records the new version in `meta`.

Version 1: the domain tables, their constraints and indexes.
Version 2: rollup columns on `party` (last contact, next follow-up, revenue)
           and the FTS5 search index, kept in step by triggers, so the
           Parties list can sort, page and search without scanning a million rows.
Version 3: the purchase indexes carry the money.
Version 4: indexes that carry what the metrics count (follow-ups, rung steps,
           defections), so each metric reads an index alone; a new party's search
           row takes the contact points and tags already written.
Version 5: who: each party's owner (its point of contact) with an index for the
           Parties list filtered by owner in name order, and `made_by` on every
           history row (interaction, follow-up, purchase, rung step, feedback,
           defection); NULL where nobody knows (rows written before version 5).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection


def text(sql: str) -> Any:
    """SQLAlchemy's text(), imported when a migration runs: opening a book needs only LATEST."""
    from sqlalchemy import text as sa_text

    return sa_text(sql)


KINDS = "'customer','business','vendor','supplier','distributor','partner','other'"
RUNGS = "'prospect','customer','client','supporter','advocate','partner'"
CHANNELS = "'call','email','meeting','message','social','visit','letter','note'"
REASONS = "'price','service','quality','competitor','moved','no-need','other'"
MAX_CENTS = 10**14  # a hundred thousand billion units of money: far past any real figure

V1 = [
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """
    CREATE TABLE setting (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    f"""
    CREATE TABLE party (
        id                 INTEGER PRIMARY KEY,
        name               TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
        party_type         TEXT NOT NULL DEFAULT 'person'
                           CHECK (party_type IN ('person','organisation')),
        kind               TEXT NOT NULL DEFAULT 'customer' CHECK (kind IN ({KINDS})),
        organisation       TEXT CHECK (length(organisation) <= 300),
        address            TEXT CHECK (length(address) <= 2000),
        birthday_month     INTEGER CHECK (birthday_month BETWEEN 1 AND 12),
        birthday_day       INTEGER CHECK (birthday_day BETWEEN 1 AND 31),
        birthday_year      INTEGER CHECK (birthday_year BETWEEN 1800 AND 2200),
        notes              TEXT NOT NULL DEFAULT '',
        source             TEXT CHECK (length(source) <= 100),
        referred_by_id     INTEGER REFERENCES party(id) ON DELETE SET NULL,
        cadence_days       INTEGER CHECK (cadence_days BETWEEN 1 AND 3650),
        payment_terms_days INTEGER CHECK (payment_terms_days BETWEEN 0 AND 3650),
        renewal_on         DATE,
        rung               TEXT NOT NULL DEFAULT 'prospect' CHECK (rung IN ({RUNGS})),
        rung_since         DATE NOT NULL,
        defected_on        DATE,
        created_on         DATE NOT NULL,
        updated_at         DATETIME NOT NULL,
        CHECK ((birthday_month IS NULL) = (birthday_day IS NULL)),
        CHECK (birthday_year IS NULL OR birthday_month IS NOT NULL),
        CHECK (referred_by_id IS NULL OR referred_by_id <> id)
    )""",
    "CREATE INDEX ix_party_name ON party (name COLLATE NOCASE, id)",
    "CREATE INDEX ix_party_rung ON party (rung, name COLLATE NOCASE, id)",
    "CREATE INDEX ix_party_kind ON party (kind)",
    "CREATE INDEX ix_party_referred_by ON party (referred_by_id)",
    "CREATE INDEX ix_party_birthday ON party (birthday_month, birthday_day)",
    "CREATE INDEX ix_party_renewal ON party (renewal_on)",
    "CREATE INDEX ix_party_created ON party (created_on)",
    "CREATE INDEX ix_party_defected ON party (defected_on)",
    """
    CREATE TABLE contact_point (
        id       INTEGER PRIMARY KEY,
        party_id INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        kind     TEXT NOT NULL CHECK (kind IN ('email','phone')),
        value    TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 320),
        label    TEXT CHECK (length(label) <= 60),
        norm     TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX ix_contact_point_party ON contact_point (party_id, kind, position)",
    "CREATE INDEX ix_contact_point_norm ON contact_point (kind, norm)",
    """
    CREATE TABLE party_tag (
        party_id INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        tag      TEXT NOT NULL CHECK (length(tag) BETWEEN 1 AND 60),
        PRIMARY KEY (party_id, tag)
    )""",
    "CREATE INDEX ix_party_tag_tag ON party_tag (tag, party_id)",
    f"""
    CREATE TABLE rung_step (
        id        INTEGER PRIMARY KEY,
        party_id  INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        from_rung TEXT CHECK (from_rung IN ({RUNGS})),
        to_rung   TEXT NOT NULL CHECK (to_rung IN ({RUNGS})),
        on_date   DATE NOT NULL,
        note      TEXT NOT NULL DEFAULT '',
        CHECK (from_rung IS NULL OR from_rung <> to_rung)
    )""",
    "CREATE INDEX ix_rung_step_party ON rung_step (party_id, on_date, id)",
    "CREATE INDEX ix_rung_step_date ON rung_step (on_date)",
    f"""
    CREATE TABLE interaction (
        id        INTEGER PRIMARY KEY,
        party_id  INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        at        DATETIME NOT NULL,
        channel   TEXT NOT NULL CHECK (channel IN ({CHANNELS})),
        direction TEXT NOT NULL CHECK (direction IN ('inbound','outbound')),
        subject   TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
        notes     TEXT NOT NULL DEFAULT '',
        outcome   TEXT CHECK (length(outcome) <= 300)
    )""",
    "CREATE INDEX ix_interaction_party ON interaction (party_id, at)",
    "CREATE INDEX ix_interaction_at ON interaction (at, party_id)",
    """
    CREATE TABLE follow_up (
        id         INTEGER PRIMARY KEY,
        party_id   INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        due_on     DATE NOT NULL,
        due_time   TIME,
        text       TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
        priority   TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high')),
        repeat     TEXT CHECK (repeat IN ('weekly','monthly','quarterly','yearly')),
        status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','cancelled')),
        done_on    DATE,
        created_on DATE NOT NULL,
        CHECK ((status = 'done') = (done_on IS NOT NULL))
    )""",
    "CREATE INDEX ix_follow_up_due ON follow_up (status, due_on, due_time)",
    "CREATE INDEX ix_follow_up_party ON follow_up (party_id, status, due_on)",
    "CREATE INDEX ix_follow_up_done ON follow_up (done_on) WHERE done_on IS NOT NULL",
    f"""
    CREATE TABLE purchase (
        id            INTEGER PRIMARY KEY,
        party_id      INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        on_date       DATE NOT NULL,
        what          TEXT NOT NULL DEFAULT '' CHECK (length(what) <= 300),
        revenue_cents INTEGER NOT NULL CHECK (revenue_cents BETWEEN -{MAX_CENTS} AND {MAX_CENTS}),
        cost_cents    INTEGER CHECK (cost_cents BETWEEN -{MAX_CENTS} AND {MAX_CENTS})
    )""",
    "CREATE INDEX ix_purchase_party ON purchase (party_id, on_date)",
    "CREATE INDEX ix_purchase_date ON purchase (on_date, party_id)",
    """
    CREATE TABLE feedback (
        id       INTEGER PRIMARY KEY,
        party_id INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        on_date  DATE NOT NULL,
        score    INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        comment  TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX ix_feedback_party ON feedback (party_id, on_date)",
    "CREATE INDEX ix_feedback_date ON feedback (on_date)",
    f"""
    CREATE TABLE defection (
        id          INTEGER PRIMARY KEY,
        party_id    INTEGER NOT NULL REFERENCES party(id) ON DELETE CASCADE,
        on_date     DATE NOT NULL,
        reason      TEXT NOT NULL CHECK (reason IN ({REASONS})),
        note        TEXT NOT NULL DEFAULT '',
        won_back_on DATE,
        CHECK (won_back_on IS NULL OR won_back_on >= on_date)
    )""",
    "CREATE INDEX ix_defection_party ON defection (party_id, on_date)",
    "CREATE INDEX ix_defection_date ON defection (on_date)",
]

# Version 2: rollups and search.  The rollups are plain columns that the store
# refreshes inside the same transaction as the write that changes them
# (store.rollups); the search index follows party, contact_point and party_tag
# through triggers, so no writer can forget it.
V2 = [
    "ALTER TABLE party ADD COLUMN last_contact_at DATETIME",
    "ALTER TABLE party ADD COLUMN next_follow_up_on DATE",
    "ALTER TABLE party ADD COLUMN first_purchase_on DATE",
    "ALTER TABLE party ADD COLUMN purchase_count INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE party ADD COLUMN revenue_cents INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE party ADD COLUMN cost_cents INTEGER NOT NULL DEFAULT 0",
    """ALTER TABLE party ADD COLUMN rung_level INTEGER GENERATED ALWAYS AS (
        CASE rung WHEN 'prospect' THEN 0 WHEN 'customer' THEN 1 WHEN 'client' THEN 2
                  WHEN 'supporter' THEN 3 WHEN 'advocate' THEN 4 ELSE 5 END) VIRTUAL""",
    "CREATE INDEX ix_party_last_contact ON party (last_contact_at, id)",
    "CREATE INDEX ix_party_next_follow_up ON party (next_follow_up_on, id)",
    "CREATE INDEX ix_party_revenue ON party (revenue_cents, id)",
    "CREATE INDEX ix_party_rung_level ON party (rung_level, name COLLATE NOCASE, id)",
    "CREATE INDEX ix_party_first_purchase ON party (first_purchase_on)",
    """
    UPDATE party SET
        last_contact_at = (SELECT max(at) FROM interaction i WHERE i.party_id = party.id),
        next_follow_up_on = (SELECT min(due_on) FROM follow_up f
                             WHERE f.party_id = party.id AND f.status = 'open'),
        first_purchase_on = (SELECT min(on_date) FROM purchase p WHERE p.party_id = party.id),
        purchase_count = (SELECT count(*) FROM purchase p WHERE p.party_id = party.id),
        revenue_cents = coalesce((SELECT sum(revenue_cents) FROM purchase p
                                  WHERE p.party_id = party.id), 0),
        cost_cents = coalesce((SELECT sum(coalesce(cost_cents, 0)) FROM purchase p
                               WHERE p.party_id = party.id), 0)
    """,
    """
    CREATE VIRTUAL TABLE party_search USING fts5(
        name, organisation, contacts, tags, notes,
        tokenize = "unicode61 remove_diacritics 2",
        prefix = '1 2 3'
    )""",
    """
    CREATE TRIGGER party_search_ai AFTER INSERT ON party BEGIN
        INSERT INTO party_search (rowid, name, organisation, contacts, tags, notes)
        VALUES (new.id, new.name, coalesce(new.organisation, ''), '', '', new.notes);
    END""",
    """
    CREATE TRIGGER party_search_au AFTER UPDATE OF name, organisation, notes ON party BEGIN
        UPDATE party_search SET name = new.name, organisation = coalesce(new.organisation, ''),
               notes = new.notes
         WHERE rowid = new.id;
    END""",
    """
    CREATE TRIGGER party_search_ad AFTER DELETE ON party BEGIN
        DELETE FROM party_search WHERE rowid = old.id;
    END""",
    *[
        f"""
    CREATE TRIGGER party_search_cp_{suffix} AFTER {event} ON contact_point BEGIN
        UPDATE party_search SET contacts = coalesce((
            SELECT group_concat(value || ' ' || norm, ' ') FROM contact_point
             WHERE party_id = {row}.party_id), '')
         WHERE rowid = {row}.party_id;
    END"""
        for suffix, event, row in (
            ("ai", "INSERT", "new"),
            ("au", "UPDATE", "new"),
            ("ad", "DELETE", "old"),
        )
    ],
    *[
        f"""
    CREATE TRIGGER party_search_tag_{suffix} AFTER {event} ON party_tag BEGIN
        UPDATE party_search SET tags = coalesce((
            SELECT group_concat(tag, ' ') FROM party_tag WHERE party_id = {row}.party_id), '')
         WHERE rowid = {row}.party_id;
    END"""
        for suffix, event, row in (("ai", "INSERT", "new"), ("ad", "DELETE", "old"))
    ],
    """
    INSERT INTO party_search (rowid, name, organisation, contacts, tags, notes)
    SELECT p.id, p.name, coalesce(p.organisation, ''),
           coalesce((SELECT group_concat(value || ' ' || norm, ' ') FROM contact_point c
                     WHERE c.party_id = p.id), ''),
           coalesce((SELECT group_concat(tag, ' ') FROM party_tag t WHERE t.party_id = p.id), ''),
           p.notes
      FROM party p
    """,
]

# Version 3: the purchase indexes carry the money, so the metrics' month-by-month and
# per-buyer sums read the index alone instead of fetching 300,000 rows from the table
# (money by month at 100,000 parties: 0.46 s -> 0.07 s).
V3 = [
    "DROP INDEX ix_purchase_date",
    "CREATE INDEX ix_purchase_date ON purchase (on_date, party_id, revenue_cents, cost_cents)",
    "DROP INDEX ix_purchase_party",
    "CREATE INDEX ix_purchase_party ON purchase (party_id, on_date, revenue_cents, cost_cents)",
]

# Version 4: indexes that hold every column the metrics read from follow-ups, rung steps
# and defections, so each count reads an index alone instead of fetching a table row per
# entry (at 100,000 parties: follow-up figures 0.17 s -> 0.02 s, rung steps 0.13 s -> 0.03 s).
# Each keeps the order of the index it replaces (the added columns come after a unique
# prefix or only break ties the queries don't rely on), so no other query loses its order.
V4 = [
    # done follow-ups of a period: on time or late, whose, created when
    "DROP INDEX ix_follow_up_done",
    "CREATE INDEX ix_follow_up_done ON follow_up (done_on, due_on, party_id, created_on)"
    " WHERE done_on IS NOT NULL",
    # the open ones: whose, due and created when; status is there for SQLite to see
    # that the index covers `status = 'open'`
    "CREATE INDEX ix_follow_up_open ON follow_up (party_id, due_on, created_on, status)"
    " WHERE status = 'open'",
    # the steps of a period, up or down, whose; ix_rung_step_date stays for the newest-first list
    "CREATE INDEX ix_rung_step_move ON rung_step (on_date, from_rung, to_rung, party_id)",
    # a party's rung at a date: the from_rung of its first step after it
    "DROP INDEX ix_rung_step_party",
    "CREATE INDEX ix_rung_step_party ON rung_step (party_id, on_date, id, from_rung)",
    # defected at a date: began on or before it, not won back by it
    "DROP INDEX ix_defection_party",
    "CREATE INDEX ix_defection_party ON defection (party_id, on_date, won_back_on)",
    # A new party's search row takes the contact points and tags already there: an import
    # writes those before their parties, so each search row is written once, whole, instead
    # of written empty and rewritten (an FTS5 update tokenises the old row and the new).
    "DROP TRIGGER party_search_ai",
    """
    CREATE TRIGGER party_search_ai AFTER INSERT ON party BEGIN
        INSERT INTO party_search (rowid, name, organisation, contacts, tags, notes)
        VALUES (new.id, new.name, coalesce(new.organisation, ''),
                coalesce((SELECT group_concat(value || ' ' || norm, ' ') FROM contact_point
                           WHERE party_id = new.id), ''),
                coalesce((SELECT group_concat(tag, ' ') FROM party_tag
                           WHERE party_id = new.id), ''),
                new.notes);
    END""",
]

# Version 5: who.  A party's owner is its point of contact (NULL: unassigned); each history
# row records who made it (NULL: unknown, for rows written before this version).  The
# owner index gives the Parties list filtered by owner its name order, as ix_party_name
# gives the unfiltered one.
V5 = [
    "ALTER TABLE party ADD COLUMN owner TEXT CHECK (length(owner) <= 100)",
    "CREATE INDEX ix_party_owner ON party (owner, name COLLATE NOCASE, id)",
    *[f"ALTER TABLE {table} ADD COLUMN made_by TEXT CHECK (length(made_by) <= 100)"
      for table in ("interaction", "follow_up", "purchase", "rung_step", "feedback", "defection")],
]

# Version 6: each party's second purchase date, a rollup kept with the others: a party was a
# repeat buyer at a date when it is on or before it. The metrics of a past period (the
# previous period the Metrics screen compares with) read it instead of seeking every party's
# second purchase (at 100,000 parties: 129 -> 106 ms for such a period).
V6 = [
    "ALTER TABLE party ADD COLUMN second_purchase_on DATE",
    """UPDATE party SET second_purchase_on = (SELECT b.on_date FROM purchase b WHERE b.party_id = party.id
                                              ORDER BY b.on_date LIMIT 1 OFFSET 1)
        WHERE purchase_count >= 2""",
]

# Version 7 also keeps a total per day of the purchases and of the rung steps (up the ladder
# or down it): a period's money month by month and its climbs and falls read a few hundred
# rows instead of every purchase and step of the period (at 100,000 parties, 31 ms and 16
# ms for the 12 months ending today). Triggers keep it: each row's values are added when it
# is written and taken away when it is deleted or changed, in the writer's transaction.
# Over the whole book only; a segment's figures still read the rows.
DAY_TOTAL = """
    CREATE TABLE day_total (
        on_date       DATE PRIMARY KEY,
        revenue_cents BIGINT NOT NULL DEFAULT 0,
        cost_cents    BIGINT NOT NULL DEFAULT 0,  -- an unknown cost counting as 0
        purchases     BIGINT NOT NULL DEFAULT 0,
        steps         BIGINT NOT NULL DEFAULT 0,  -- rung steps from one rung to another
        climbs        BIGINT NOT NULL DEFAULT 0   -- those of them up the ladder
    )"""
DAY_TOTAL_SOURCES = {"purchase": ("on_date", "revenue_cents", "cost_cents"),
                     "rung_step": ("on_date", "from_rung", "to_rung")}
_DAY_COLUMNS = "on_date, revenue_cents, cost_cents, purchases, steps, climbs"
_DAY_SUMS = ", ".join(f"{c} = day_total.{c} + excluded.{c}" for c in _DAY_COLUMNS.split(", ")[1:])


def rung_level(rung: str) -> str:
    """SQL for the place of the rung `rung` (an expression) on the ladder, 0 for prospect."""
    return "(CASE " + rung + " " + " ".join(
        f"WHEN {r} THEN {i}" for i, r in enumerate(RUNGS.split(","))) + " END)"


def _climb(from_rung: str, to_rung: str) -> str:
    return f"(CASE WHEN {rung_level(from_rung)} < {rung_level(to_rung)} THEN 1 ELSE 0 END)"


def _day_upsert(select: str) -> str:
    # INSERT ... SELECT needs its WHERE for SQLite to read ON CONFLICT as the upsert
    return (f"INSERT INTO day_total ({_DAY_COLUMNS}) {select}"
            f" ON CONFLICT (on_date) DO UPDATE SET {_DAY_SUMS}")


DAY_TOTAL_ADD = {
    # a row's part of its day's totals, times `sign` (1: added, -1: taken away)
    "purchase": lambda row, sign: _day_upsert(
        f"SELECT {row}.on_date, {sign} * {row}.revenue_cents, {sign} * coalesce({row}.cost_cents, 0),"
        f" {sign}, 0, 0 WHERE TRUE"),
    # a party's first rung (no from_rung) is no step
    "rung_step": lambda row, sign: _day_upsert(
        f"SELECT {row}.on_date, 0, 0, 0, {sign}, {sign} * {_climb(f'{row}.from_rung', f'{row}.to_rung')}"
        f" WHERE {row}.from_rung IS NOT NULL"),
}


def day_total_changes(table: str, event: str) -> str:
    """What a write does to the day totals: the old row's part taken away, the new one's added."""
    add = DAY_TOTAL_ADD[table]
    parts = {"INSERT": [add("new", 1)], "DELETE": [add("old", -1)],
             "UPDATE": [add("old", -1), add("new", 1)]}[event]
    return " ".join(f"{part};" for part in parts)


def day_total_triggers() -> dict[str, str]:
    """SQLite's triggers that keep day_total, by name: one per source table and write (an
    update: of the columns the totals read)."""
    triggers = {}
    for table, columns in DAY_TOTAL_SOURCES.items():
        for event in ("INSERT", "DELETE", "UPDATE"):
            on = f"UPDATE OF {', '.join(columns)}" if event == "UPDATE" else event
            name = f"day_total_{table}_{event.lower()}"
            triggers[name] = f"""
    CREATE TRIGGER {name} AFTER {on} ON {table} BEGIN
        {day_total_changes(table, event)}
    END"""
    return triggers


def day_total_add_all(table: str) -> str:
    """Every row of `table` added to the totals (an upgrade: the triggers only see writes)."""
    if table == "purchase":
        select = ("SELECT on_date, sum(revenue_cents), coalesce(sum(cost_cents), 0), count(*), 0, 0"
                  " FROM purchase WHERE TRUE GROUP BY on_date")
    else:
        select = (f"SELECT on_date, 0, 0, 0, count(*), sum({_climb('from_rung', 'to_rung')})"
                  " FROM rung_step WHERE from_rung IS NOT NULL GROUP BY on_date")
    return _day_upsert(select)


# Version 7: indexes that count the metrics' parties over the whole book without a pass over
# every party (at 100,000 parties, CPU: the party counts of the 12 months ending today
# 112 -> 57 ms, of the year before 105 -> 67 ms), one that gives a period's first-time
# buyers their rollup money without reading the party rows, and ones that hold the scores
# and the defections' dates, party and reason.
V7_INDEXES = [
    # repeat buyers at a date: a second purchase on or before it
    "CREATE INDEX ix_party_second_purchase ON party (second_purchase_on)",
    # the parties added in a period that came by referral
    "CREATE INDEX ix_party_referred_created ON party (created_on) WHERE referred_by_id IS NOT NULL",
    # the buyers with a cadence, and what says whether they are past it
    "CREATE INDEX ix_party_cadence ON party (first_purchase_on, cadence_days, last_contact_at, created_on)"
    " WHERE cadence_days IS NOT NULL",
    # first purchases in order (as before), with each party's revenue and cost
    "DROP INDEX ix_party_first_purchase",
    "CREATE INDEX ix_party_first_purchase ON party (first_purchase_on, revenue_cents, cost_cents)",
    # a period's scores, in day order (as before), without a table row per score
    "DROP INDEX ix_feedback_date",
    "CREATE INDEX ix_feedback_date ON feedback (on_date, score, party_id)",
    # a period ending today: the loyal ones (referred or repeat buyers) by their last contact
    "CREATE INDEX ix_party_loyal ON party (last_contact_at, second_purchase_on, referred_by_id)"
    " WHERE referred_by_id IS NOT NULL OR second_purchase_on IS NOT NULL",
    # the defections up to a date, in day order (as before), with what the counts read
    "DROP INDEX ix_defection_date",
    "CREATE INDEX ix_defection_date ON defection (on_date, won_back_on, party_id, reason)",
]
V7 = [
    *V7_INDEXES,
    DAY_TOTAL,
    *day_total_triggers().values(),
    *[day_total_add_all(table) for table in DAY_TOTAL_SOURCES],
]

STEPS: list[list[str]] = [V1, V2, V3, V4, V5, V6, V7]
LATEST = len(STEPS)


def current_version(conn: Connection) -> int:
    """The schema version recorded in the database; 0 for an empty database."""
    if conn.dialect.name == "postgresql":
        from reltui.store import postgres

        return postgres.current_version(conn)
    has_meta = conn.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    ).scalar_one()
    if not has_meta:
        return 0
    value = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    return int(value) if value is not None else 0


def apply_steps(conn: Connection, start: int, stop: int = LATEST) -> None:
    """Run steps start+1 .. stop inside the caller's transaction and record the version."""
    for version in range(start + 1, stop + 1):
        for statement in STEPS[version - 1]:
            conn.exec_driver_sql(statement)
    conn.execute(
        text("INSERT INTO meta (key, value) VALUES ('schema_version', :v) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        {"v": str(stop)},
    )
