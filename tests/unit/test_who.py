"""Who (issue 8): who made each record, each party's owner, the owner filters, metrics per owner."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from reltui.domain.errors import InvalidInput, NotFound
from reltui.domain.records import PartyIn
from reltui.interop import backup_json
from reltui.services import Services
from reltui.services.interop import export_parties, import_file
from reltui.services.metrics import compute_metrics, metrics_to_json, owner_figures, owners_to_json
from reltui.services.reads import UNASSIGNED, Reads
from reltui.store import open_store

NOW = datetime(2026, 11, 22, 10, 30)
HISTORY = ("interaction", "follow_up", "purchase", "rung_step", "feedback", "defection")


class Clock:
    """A clock the test moves: 'now' for every Services made with it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def as_(store, user: str, clock=lambda: NOW) -> Services:  # noqa: ANN001
    return Services(store, clock=clock, user=user)


def made_by(store, table: str) -> list:  # noqa: ANN001
    with store.read() as conn:
        return [r[0] for r in conn.execute(text(f"SELECT made_by FROM {table} ORDER BY id"))]


# -- made_by and owner on every write --------------------------------------------------------------

def test_every_record_is_made_by_the_user_and_a_new_party_is_theirs(store):
    maya, tom = as_(store, "Maya"), as_(store, "Tom")
    ann = maya.add_party(PartyIn(name="Ann"))
    assert maya.get_party(ann).owner == "Maya"
    bob = maya.add_party(PartyIn(name="Bob", owner="Tom"))
    assert maya.get_party(bob).owner == "Tom"
    tom.log_interaction(ann, "Call")
    fu = tom.schedule_follow_up(ann, date(2026, 11, 20), "Ring back", repeat="weekly")
    maya.complete_follow_up(fu)  # the next occurrence is Maya's doing
    tom.record_purchase(ann, "10")
    maya.record_feedback(ann, 9)
    tom.climb(ann)
    maya.defect(bob, "price")
    assert made_by(store, "interaction") == ["Tom"]
    assert made_by(store, "follow_up") == ["Tom", "Maya"]
    assert made_by(store, "purchase") == ["Tom"]
    assert made_by(store, "feedback") == ["Maya"]
    assert made_by(store, "rung_step") == ["Maya", "Maya", "Tom"]  # added, added, climbed
    assert made_by(store, "defection") == ["Maya"]
    # the timeline says who, when it was someone else
    details = {e.kind: e.detail for e in maya.timeline(ann)}
    assert "by Tom" in details["interaction"] and "by Tom" in details["purchase"]
    assert "by" not in details["feedback"]
    assert "by Maya" in {e.kind: e.detail for e in tom.timeline(ann)}["feedback"]


def test_names_are_cleaned_and_bounded(store):
    svc = as_(store, "  Maya \x1b[31m  Lee ")
    assert svc.user == "Maya [31m Lee"
    with pytest.raises(InvalidInput):
        as_(store, "x" * 101)
    with pytest.raises(InvalidInput):
        as_(store, "   ")
    party = svc.add_party(PartyIn(name="Ann"))
    with pytest.raises(InvalidInput):
        svc.assign_owner(party, "y" * 101)
    assert Reads(store).user == "me"  # the default when nobody says who


def test_assign_owner_is_one_change_seen_in_the_profile(store):
    svc = as_(store, "Maya")
    ann = svc.add_party(PartyIn(name="Ann"))
    before = svc.get_party(ann).updated_at
    assert svc.assign_owner(ann, " Tom ") == "Tom"
    assert svc.get_party(ann).owner == "Tom"
    assert svc.get_party(ann).updated_at >= before
    with pytest.raises(InvalidInput, match="already owned by Tom"):
        svc.assign_owner(ann, "Tom")
    assert svc.assign_owner(ann, None) is None
    assert svc.get_party(ann).owner is None
    with pytest.raises(InvalidInput, match="already has no owner"):
        svc.assign_owner(ann, None)
    with pytest.raises(NotFound):
        svc.assign_owner(999, "Tom")


def test_known_people_are_owners_and_makers_and_me_first(store):
    as_(store, "Tom").add_party(PartyIn(name="Ann"))
    ann = as_(store, "Tom").resolve_party("Ann").id
    as_(store, "priya").log_interaction(ann, "Hello")
    as_(store, "Tom").assign_owner(ann, "Zoe")
    assert as_(store, "Maya").known_people() == ["Maya", "priya", "Tom", "Zoe"]
    assert as_(store, "Tom").known_people() == ["Tom", "priya", "Zoe"]
    assert as_(store, "Maya").known_people(makers=False) == ["Maya", "Zoe"]  # owners only


# -- filters by owner -----------------------------------------------------------------------------

@pytest.fixture
def team(store):
    """Ann and Cy are Maya's, Bob is Tom's, Dee is nobody's; follow-ups on each."""
    maya, tom = as_(store, "Maya"), as_(store, "Tom")
    ids = {"ann": maya.add_party(PartyIn(name="Ann", cadence_days=7)),
           "bob": tom.add_party(PartyIn(name="Bob", cadence_days=7)),
           "cy": maya.add_party(PartyIn(name="Cy")),
           "dee": maya.add_party(PartyIn(name="Dee", cadence_days=7))}
    maya.assign_owner(ids["dee"], None)
    for key, due in (("ann", date(2026, 11, 20)), ("bob", date(2026, 11, 20)),
                     ("cy", date(2026, 11, 22)), ("dee", date(2026, 11, 25))):
        tom.schedule_follow_up(ids[key], due, f"Call {key}")  # Tom schedules, the owner is whoever
    return ids


def test_parties_list_and_count_by_owner(store, team):
    svc = as_(store, "Maya")
    names = lambda **f: [r.name for r in svc.list_parties(**f)]  # noqa: E731
    assert names() == ["Ann", "Bob", "Cy", "Dee"]
    assert names(owner="Maya") == ["Ann", "Cy"]
    assert names(owner="Maya", descending=True) == ["Cy", "Ann"]
    assert names(owner="Maya", after=("Ann", team["ann"])) == ["Cy"]
    assert names(owner="Tom") == ["Bob"]
    assert names(owner=UNASSIGNED) == ["Dee"]
    assert names(owner="Nobody") == []
    assert svc.count_parties(owner="Maya") == 2 and svc.count_parties(owner=UNASSIGNED) == 1
    assert svc.count_parties(owner="Tom", search="bob") == 1
    assert svc.list_parties(owner="Tom")[0].owner == "Tom"
    assert svc.party_ids(owner="Maya") == [team["ann"], team["cy"]]


def test_owner_filter_words(store):
    svc = as_(store, "Maya")
    assert svc.owner_filter("all") is None and svc.owner_filter("everyone") is None
    assert svc.owner_filter("mine") == "Maya"
    assert svc.owner_filter("none") == UNASSIGNED and svc.owner_filter("-") == UNASSIGNED
    assert svc.owner_filter(" Tom ") == "Tom"


def test_agenda_today_and_due_by_owner(store, team):
    svc = as_(store, "Maya")
    texts = lambda rows: [r.text for r in rows]  # noqa: E731
    assert texts(svc.follow_ups()) == ["Call ann", "Call bob", "Call cy", "Call dee"]
    assert texts(svc.follow_ups(owner="Maya")) == ["Call ann", "Call cy"]
    assert texts(svc.follow_ups(owner=UNASSIGNED)) == ["Call dee"]
    assert svc.count_follow_ups(owner="Tom") == 1
    assert svc.count_follow_ups(owner="Maya", due_before=date(2026, 11, 22)) == 1
    assert texts(svc.due(7, owner="Maya")) == ["Call ann", "Call cy"]
    assert texts(Reads(store, clock=lambda: NOW, user="Tom").due(7, owner="Tom")) == ["Call bob"]
    everyone, mine = svc.today_view(), svc.today_view(owner="Maya")
    assert texts(everyone.overdue) == ["Call ann", "Call bob"] and texts(mine.overdue) == ["Call ann"]
    assert texts(mine.due_today) == ["Call cy"]
    # going cold: cadence 7 days, created today, never contacted -> not yet; a week on, yes
    later = Services(store, clock=lambda: datetime(2026, 12, 10, 9, 0), user="Maya")
    assert [c.party_name for c in later.today_view().going_cold] == ["Ann", "Bob", "Dee"]
    cold = later.today_view(owner="Maya")
    assert [c.party_name for c in cold.going_cold] == ["Ann"] and cold.going_cold_total == 1
    assert later.today_view(owner=UNASSIGNED).going_cold_total == 1


# -- metrics per owner: a hand-worked example -------------------------------------------------------

def test_metrics_per_owner_by_hand(store):
    """Period 1 Jan - 22 Nov 2026. Maya owns A and B, Tom owns C, D is nobody's.
    All four bought on 5 Dec 2025 (active at the start, on the prospect rung).
    Maya: A climbs to customer (1 climb), B defects -> retention 1/2, climbed 1/2, revenue 300.
    Tom: C climbs and falls back (1 climb, 1 fall) -> climbed 0/1, retention 1/1, revenue 40.
    Nobody's: D -> nothing moves, retention 1/1, revenue 0."""
    clock = Clock(datetime(2025, 12, 1, 9, 0))
    maya, tom = as_(store, "Maya", clock), as_(store, "Tom", clock)
    a, b = maya.add_party(PartyIn(name="A")), maya.add_party(PartyIn(name="B"))
    c, d = tom.add_party(PartyIn(name="C")), maya.add_party(PartyIn(name="D", owner="Tom"))
    tom.assign_owner(d, None)
    clock.now = datetime(2025, 12, 5, 9, 0)
    for party, amount in ((a, "100"), (b, "50"), (c, "200"), (d, "10")):
        maya.record_purchase(party, amount)
    clock.now = datetime(2026, 6, 1, 9, 0)
    tom.move_rung(a, "customer", on=date(2026, 3, 1))  # Tom moved Maya's party: Maya's figure
    tom.move_rung(c, "customer", on=date(2026, 3, 1))
    tom.move_rung(c, "prospect", on=date(2026, 4, 1))
    maya.defect(b, "price", on=date(2026, 5, 1))
    maya.record_purchase(a, "300")
    tom.record_purchase(c, "40")
    clock.now = NOW
    start, end = date(2026, 1, 1), date(2026, 11, 22)

    _, _, rows = owner_figures(maya, start, end)
    got = {r.owner: (r.parties, r.climbs, r.falls, r.climbed.value, r.climbed.base, r.revenue,
                     r.retention.value, r.retention.base) for r in rows}
    assert [r.owner for r in rows] == ["Maya", "Tom", None]
    assert got["Maya"] == (2, 1, 0, 0.5, 2, Decimal("300.00"), 0.5, 2)
    assert got["Tom"] == (1, 1, 1, 0.0, 1, Decimal("40.00"), 1.0, 1)
    assert got[None] == (1, 0, 0, 0.0, 1, Decimal("0.00"), 1.0, 1)

    # the metrics with an owner's filter say the same
    m = compute_metrics(maya, start, end, owner="Maya")
    assert (m.climbs, m.falls, m.revenue, m.retention.value, m.active_start) == (1, 0, Decimal("300.00"), 0.5, 2)
    assert compute_metrics(maya, start, end, owner=UNASSIGNED).active_start == 1
    everyone = compute_metrics(maya, start, end)
    assert (everyone.climbs, everyone.falls, everyone.active_start) == (2, 1, 4)
    assert compute_metrics(maya, start, end, "b2b", owner="Maya").active_start == 0
    data = metrics_to_json(m)
    assert data["owner"] == "Maya" and metrics_to_json(everyone)["owner"] is None
    assert metrics_to_json(compute_metrics(maya, start, end, owner=UNASSIGNED))["owner"] == "none"
    listed = owners_to_json(rows)
    assert listed[0]["owner"] == "Maya" and listed[0]["climbed_share"] == 0.5
    assert listed[2]["owner"] is None and listed[1]["revenue"] == 40.0
    json.dumps(listed)
    # a drill-down follows the owner too
    from reltui.services.metrics import drill_down

    assert [r.name for r in drill_down("climbs", maya, start, end, owner="Maya").rows] == ["A"]


# -- backup, CSV ----------------------------------------------------------------------------------

def test_json_backup_carries_who_and_a_version_1_backup_still_reads(store, tmp_path):
    svc = as_(store, "Maya")
    ann = svc.add_party(PartyIn(name="Ann", owner="Tom"))
    svc.log_interaction(ann, "Hello")
    export_parties(svc, tmp_path / "all.json")
    doc = json.loads((tmp_path / "all.json").read_text())
    assert doc["format_version"] == backup_json.FORMAT_VERSION == 2
    assert "owner" in doc["tables"]["party"]["columns"]
    target = open_store(tmp_path / "copy.db")
    import_file(as_(target, "Zoe"), tmp_path / "all.json")
    copy = as_(target, "Zoe")
    assert copy.get_party(ann).owner == "Tom" and made_by(target, "interaction") == ["Maya"]
    target.close()

    # the same backup as version 1 wrote it: no owner, no made_by
    old = json.loads((tmp_path / "all.json").read_text())
    old["format_version"] = 1
    for name, section in old["tables"].items():
        for column in ("owner", "made_by"):
            if column in section["columns"]:
                k = section["columns"].index(column)
                section["columns"].pop(k)
                for row in section["rows"]:
                    row.pop(k)
    (tmp_path / "v1.json").write_text(json.dumps(old))
    target = open_store(tmp_path / "v1.db")
    summary = import_file(as_(target, "Zoe"), tmp_path / "v1.json")
    assert summary.added == 1
    assert as_(target, "Zoe").get_party(ann).owner is None  # unassigned, as it was
    assert made_by(target, "interaction") == [None]  # unknown
    target.close()
    old["format_version"] = 3
    (tmp_path / "v3.json").write_text(json.dumps(old))
    with pytest.raises(InvalidInput, match="format version 3"):
        import_file(as_(open_store(tmp_path / "v3.db"), "Zoe"), tmp_path / "v3.json")


def test_csv_export_has_the_owner_and_reltui_reads_it_back(store, tmp_path):
    svc = as_(store, "Maya")
    svc.add_party(PartyIn(name="Ann", owner="Tom"))
    svc.add_party(PartyIn(name="Bob"))
    cy = svc.add_party(PartyIn(name="Cy"))
    svc.assign_owner(cy, None)
    export_parties(svc, tmp_path / "p.csv")
    header = (tmp_path / "p.csv").read_text().splitlines()[0].split(",")
    assert header[-1] == "owner"
    target = open_store(tmp_path / "copy.db")
    import_file(as_(target, "Zoe"), tmp_path / "p.csv")
    rows = {r.name: r.owner for r in as_(target, "Zoe").list_parties()}
    # an owner in the file stays; a party without one becomes the importer's
    assert rows == {"Ann": "Tom", "Bob": "Maya", "Cy": "Zoe"}
    target.close()


# -- the sample's team ------------------------------------------------------------------------------

def test_the_sample_has_a_small_team(tmp_path):
    from reltui.sample import ACCOUNT_MANAGERS, SHOP_OWNER, generate

    store = open_store(tmp_path / "s.db")
    generate(store, parties=200, seed=7, today=NOW.date())
    store.close()
    db = sqlite3.connect(tmp_path / "s.db")
    owners = dict(db.execute("SELECT kind = 'customer', group_concat(DISTINCT owner) FROM party GROUP BY 1"))
    assert owners[1] == SHOP_OWNER
    assert set(owners[0].split(",")) == set(ACCOUNT_MANAGERS)
    for table in HISTORY:
        rows = db.execute(f"SELECT count(*), sum(t.made_by = p.owner), sum(t.made_by IS NULL)"
                          f" FROM {table} t JOIN party p ON p.id = t.party_id").fetchone()
        assert rows[2] == 0, table
        if table == "defection":
            assert rows[1] == rows[0]  # the owner marks a loss
        elif rows[0] >= 20:
            assert 0.6 < rows[1] / rows[0] < 1.0, table  # the owner mostly, a colleague now and then
    db.close()
