"""The per-party rollup columns (schema version 2), refreshed in the writer's transaction.

Every write that changes a party's interactions, follow-ups or purchases calls
`refresh(conn, [party_id])` before it commits; bulk loaders call it once with
no ids.  The Parties list sorts and pages on these columns with indexes
instead of aggregating a million rows per screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, text

from reltui.store import migrations

_SET = """
    last_contact_at = (SELECT max(at) FROM interaction i WHERE i.party_id = party.id),
    next_follow_up_on = (SELECT min(due_on) FROM follow_up f
                         WHERE f.party_id = party.id AND f.status = 'open'),
    first_purchase_on = (SELECT min(on_date) FROM purchase p WHERE p.party_id = party.id),
    purchase_count = (SELECT count(*) FROM purchase p WHERE p.party_id = party.id),
    second_purchase_on = (SELECT on_date FROM purchase p WHERE p.party_id = party.id
                          ORDER BY on_date LIMIT 1 OFFSET 1),
    revenue_cents = coalesce((SELECT sum(revenue_cents) FROM purchase p
                              WHERE p.party_id = party.id), 0),
    cost_cents = coalesce((SELECT sum(coalesce(cost_cents, 0)) FROM purchase p
                           WHERE p.party_id = party.id), 0)
"""

_ONE = text(f"UPDATE party SET {_SET} WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_ALL = text(f"UPDATE party SET {_SET}")


def refresh(conn: Connection, party_ids: Iterable[int] | None = None) -> None:
    """Recompute the rollups of the given parties (all parties when None)."""
    if party_ids is None:
        conn.execute(_ALL)
        return
    ids = sorted(set(party_ids))
    for start in range(0, len(ids), 500):
        conn.execute(_ONE, {"ids": ids[start:start + 500]})


@contextmanager
def day_totals_at_the_end(conn: Connection) -> Iterator[None]:
    """For a bulk load inside one write transaction: the day totals' triggers (schema 7) are
    set aside while it runs, and the totals are counted once at the end from the rows. At
    100,000 parties a firing per purchase and per rung step cost more than the inserts.

    Setting them aside is part of the same transaction: on SQLite the triggers are dropped
    and created again (DDL is transactional there, and no other writer runs meanwhile: the
    transaction holds the write lock); on PostgreSQL a setting local to the transaction
    (`reltui.bulk_load`) tells the trigger functions to pass. A load that fails rolls it back
    with the rest."""
    postgres = conn.dialect.name == "postgresql"
    triggers = {} if postgres else migrations.day_total_triggers()
    if postgres:
        conn.exec_driver_sql("SET LOCAL reltui.bulk_load = 'on'")
    for name in triggers:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    conn.exec_driver_sql("DELETE FROM day_total")
    for table in migrations.DAY_TOTAL_SOURCES:
        conn.exec_driver_sql(migrations.day_total_add_all(table))
    if postgres:
        conn.exec_driver_sql("SET LOCAL reltui.bulk_load = 'off'")
    for create in triggers.values():
        conn.exec_driver_sql(create)
