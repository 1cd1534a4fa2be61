"""The use cases, through the one door both faces use."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from reltui.domain.dates import Birthday
from reltui.domain.enums import Kind, PartyType, Rung
from reltui.domain.errors import Ambiguous, InvalidInput, NotFound, ReltuiError
from reltui.domain.records import PartyIn

TODAY = date(2026, 11, 22)


def add(svc, name="Ann Lee", **fields) -> int:
    return svc.add_party(PartyIn(name=name, **fields))


# -- parties -----------------------------------------------------------------------------------

def test_add_and_read_a_full_profile(svc):
    referrer = add(svc, "Bob Marsh")
    party_id = add(
        svc, "Ann Lee", organisation="Lee & Co", emails=("ann@example.com", "ANN@example.com", "a@example.org"),
        phones=("+1 555-0100",), address="1 High St\nTown", birthday=Birthday(12, 1, None),
        tags=("VIP", "trade show"), notes="# Likes\n- tea", source="referral", referred_by_id=referrer,
        cadence_days=30, rung=Rung.CUSTOMER,
    )
    party = svc.get_party(party_id)
    assert party.name == "Ann Lee"
    assert party.emails == ("ann@example.com", "a@example.org")  # the duplicate (by case) is dropped
    assert party.phones == ("+1 555-0100",)
    assert party.birthday == Birthday(12, 1, None)  # a year-less birthday is kept as such
    assert party.tags == ("trade-show", "vip")
    assert party.referred_by.id == referrer
    assert party.rung is Rung.CUSTOMER and party.rung_since == TODAY
    assert svc.get_party(referrer).referrals == 1
    with pytest.raises(FrozenInstanceError):
        party.name = "x"  # plain frozen data, not a live ORM row


def test_b2b_fields(svc):
    party_id = add(svc, "Acme Supplies", party_type=PartyType.ORGANISATION, kind=Kind.SUPPLIER,
                   payment_terms_days=45, renewal_on=date(2027, 3, 1))
    party = svc.get_party(party_id)
    assert (party.kind, party.payment_terms_days, party.renewal_on) == (Kind.SUPPLIER, 45, date(2027, 3, 1))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "  "}, "name can't be empty"),
        ({"name": "x" * 301}, "too long"),
        ({"emails": ("not-an-email",)}, "email"),
        ({"phones": ("call me maybe",)}, "phone"),
        ({"cadence_days": 0}, "cadence"),
        ({"cadence_days": "often"}, "cadence"),
        ({"referred_by_id": 999}, "no party #999"),
    ],
)
def test_bad_party_input_is_refused_and_nothing_is_written(svc, fields, message):
    data = {"name": "Ann"} | fields
    with pytest.raises(InvalidInput if "999" not in message else NotFound, match=message):
        svc.add_party(PartyIn(**data))
    assert svc.count_parties() == 0


def test_control_characters_are_dropped_from_input(svc):
    party_id = add(svc, "Eve\x1b]0;pwned\x07 Smith\x00")
    assert svc.get_party(party_id).name == "Eve ]0;pwned Smith"


def test_edit_replaces_profile_but_not_the_rung(svc):
    party_id = add(svc, "Ann", emails=("a@example.com",), tags=("x",), rung=Rung.CLIENT)
    svc.edit_party(party_id, PartyIn(name="Ann Lee", emails=("b@example.com",), tags=("y",), rung=Rung.PROSPECT))
    party = svc.get_party(party_id)
    assert (party.name, party.emails, party.tags, party.rung) == ("Ann Lee", ("b@example.com",), ("y",), Rung.CLIENT)


def test_edit_keeps_the_labels_of_contact_points_that_stay(svc):
    # Labels come from imported cards ("work", "mobile"); the edit form shows bare values.
    party_id = add(svc, "Ann", emails=(("ann@work.example", "work"), ("ann@home.example", "home")),
                   phones=(("+1 555 0100", "mobile"),))
    svc.edit_party(party_id, PartyIn(name="Ann", emails=("ANN@work.example", "new@example.com"),
                                     phones=("+1 555-0100",)))
    with svc.store.read() as conn:
        rows = conn.execute(text(
            "SELECT kind, value, label FROM contact_point WHERE party_id = :p ORDER BY position"),
            {"p": party_id}).all()
    assert [tuple(r) for r in rows] == [
        ("email", "ANN@work.example", "work"),  # same address, as now typed, label kept
        ("email", "new@example.com", None),
        ("phone", "+1 555-0100", "mobile"),  # same number, other punctuation
    ]


def test_edit_detects_a_concurrent_change(svc):
    party_id = add(svc, "Ann")
    seen = svc.get_party(party_id).updated_at
    svc.edit_party(party_id, PartyIn(name="Ann B"), expected_updated_at=seen)
    later = svc.clock
    svc.clock = lambda: later() + timedelta(minutes=1)
    svc.edit_party(party_id, PartyIn(name="Ann C"))
    with pytest.raises(InvalidInput, match="changed elsewhere"):
        svc.edit_party(party_id, PartyIn(name="Ann D"), expected_updated_at=seen)


def test_delete_says_what_goes_and_takes_it(svc):
    party_id = add(svc, "Ann")
    other = add(svc, "Bob", referred_by_id=party_id)
    svc.log_interaction(party_id, "Hello")
    svc.schedule_follow_up(party_id, TODAY, "Call back")
    svc.record_purchase(party_id, "10")
    impact = svc.deletion_impact(party_id)
    assert (impact.interactions, impact.follow_ups, impact.purchases, impact.rung_steps) == (1, 1, 1, 1)
    assert impact.referrals_unlinked == 1
    assert "1 interactions" in impact.describe()
    svc.delete_party(party_id)
    with pytest.raises(NotFound):
        svc.get_party(party_id)
    assert svc.get_party(other).referred_by is None
    assert svc.follow_ups() == []


def test_resolve_party_by_id_exact_name_or_unique_part(svc):
    ann = add(svc, "Ann Lee")
    add(svc, "Annabel Smith")
    bob = add(svc, "Bob Marsh")
    assert svc.resolve_party(str(ann)).id == ann
    assert svc.resolve_party(f"#{bob}").id == bob
    assert svc.resolve_party("ann lee").id == ann  # exact wins over the partial match in Annabel
    assert svc.resolve_party("mars").id == bob
    with pytest.raises(Ambiguous) as info:
        svc.resolve_party("ann")
    assert "Ann Lee" in str(info.value) and "Annabel Smith" in str(info.value)
    with pytest.raises(NotFound):
        svc.resolve_party("zed")
    with pytest.raises(NotFound):
        svc.resolve_party("%")


def test_search_finds_by_name_org_email_phone_tag_and_notes(svc):
    ann = add(svc, "Ann Lee", organisation="Northwind", emails=("ann@example.com",),
              phones=("+44 20 7946 0018",), tags=("golf",), notes="Prefers mornings")
    add(svc, "Bob Marsh")
    for query in ("ann", "north", "example", "7946", "golf", "morn", "ANN LEE", "lee ann"):
        assert [r.id for r in svc.list_parties(search=query)] == [ann], query
    assert svc.count_parties(search="ann") == 1
    assert svc.list_parties(search="zzz") == []
    assert len(svc.list_parties(search="'\"*()")) == 2  # punctuation alone filters nothing, breaks nothing


def test_search_follows_edits_and_deletes(svc):
    ann = add(svc, "Ann Lee", tags=("golf",))
    svc.edit_party(ann, PartyIn(name="Ann Lee", tags=("tennis",)))
    assert svc.list_parties(search="golf") == []
    assert [r.id for r in svc.list_parties(search="tenn")] == [ann]
    svc.delete_party(ann)
    assert svc.list_parties(search="tenn") == []


def test_list_filters_sorts_and_pages(svc):
    ids = [add(svc, f"P{i:02d}", kind=Kind.CUSTOMER if i % 2 else Kind.VENDOR) for i in range(30)]
    svc.record_purchase(ids[3], "500")
    svc.record_purchase(ids[5], "50")
    svc.move_rung(ids[7], Rung.ADVOCATE)
    svc.defect(ids[3], "price")
    assert svc.count_parties(kind="vendor") == 15
    assert svc.count_parties(segment="b2c") == 15
    assert svc.count_parties(status="defected") == 1
    assert [r.id for r in svc.list_parties(rung="advocate")] == [ids[7]]
    by_revenue = svc.list_parties(sort="revenue", descending=True, limit=2)
    assert [r.id for r in by_revenue] == [ids[3], ids[5]]
    assert by_revenue[0].revenue == Decimal("500.00") and not by_revenue[0].active
    page1 = svc.list_parties(limit=10)
    page2 = svc.list_parties(offset=10, limit=10)
    assert [r.name for r in page1 + page2] == [f"P{i:02d}" for i in range(20)]
    with pytest.raises(InvalidInput):
        svc.list_parties(sort="shoe size")


# -- the ladder ----------------------------------------------------------------------------------

def test_moving_rungs_records_each_step(svc):
    party_id = add(svc, "Ann")
    assert svc.climb(party_id) is Rung.CUSTOMER  # climbing from prospect needs no purchase
    svc.move_rung(party_id, Rung.ADVOCATE, note="sent us three friends")
    assert svc.descend(party_id, note="quiet lately") is Rung.SUPPORTER
    steps = [e for e in svc.timeline(party_id) if e.kind == "rung"]
    assert [s.title for s in steps][:3] == ["Rung advocate → supporter", "Rung customer → advocate",
                                            "Rung prospect → customer"]
    assert svc.get_party(party_id).rung is Rung.SUPPORTER


def test_ladder_ends_refuse_to_move_further(svc):
    party_id = add(svc, "Ann")
    with pytest.raises(InvalidInput, match="bottom"):
        svc.descend(party_id)
    svc.move_rung(party_id, Rung.PARTNER)
    with pytest.raises(InvalidInput, match="top"):
        svc.climb(party_id)
    with pytest.raises(InvalidInput, match="already"):
        svc.move_rung(party_id, "partner")
    with pytest.raises(InvalidInput, match="prospect, customer"):
        svc.move_rung(party_id, "king")


@pytest.mark.parametrize(
    "purchases, referrals, expected",
    [(0, 0, Rung.PROSPECT), (1, 0, Rung.CUSTOMER), (2, 0, Rung.CLIENT), (5, 0, Rung.CLIENT),
     (0, 1, Rung.ADVOCATE), (3, 2, Rung.ADVOCATE)],
)
def test_suggested_rung_follows_the_data(svc, purchases, referrals, expected):
    party_id = add(svc, "Ann")
    for _ in range(purchases):
        svc.record_purchase(party_id, "10")
    for i in range(referrals):
        add(svc, f"Friend {i}", referred_by_id=party_id)
    party = svc.get_party(party_id)
    assert party.suggested_rung is expected
    assert party.rung is Rung.PROSPECT  # only the manager moves a party


# -- interactions --------------------------------------------------------------------------------

def test_log_an_interaction_updates_the_last_contact(svc):
    party_id = add(svc, "Ann", cadence_days=7)
    svc.log_interaction(party_id, "Quarterly review", channel="meeting", direction="in",
                        at=datetime(2026, 11, 1, 15, 0), notes="went well", outcome="renewing")
    party = svc.get_party(party_id)
    assert party.last_contact_at == datetime(2026, 11, 1, 15, 0)
    assert party.days_past_cadence == 21 - 7
    entry = next(e for e in svc.timeline(party_id) if e.kind == "interaction")
    assert (entry.when, entry.title) == (datetime(2026, 11, 1, 15, 0), "Quarterly review")
    assert "meeting, inbound" in entry.detail and "renewing" in entry.detail


@pytest.mark.parametrize(
    "kwargs, message",
    [({"subject": ""}, "subject"), ({"channel": "pigeon"}, "channel"), ({"direction": "sideways"}, "direction"),
     ({"at": datetime(2027, 1, 1)}, "future")],
)
def test_bad_interactions_are_refused(svc, kwargs, message):
    party_id = add(svc, "Ann")
    args = {"subject": "Hi"} | kwargs
    subject = args.pop("subject")
    with pytest.raises(InvalidInput, match=message):
        svc.log_interaction(party_id, subject, **args)
    assert [e for e in svc.timeline(party_id) if e.kind == "interaction"] == []


def test_when_from_typed_dates(svc):
    assert svc.when_from(TODAY) == datetime(2026, 11, 22, 10, 30)
    assert svc.when_from(date(2026, 11, 20)) == datetime(2026, 11, 20, 12, 0)
    assert svc.when_from(date(2026, 11, 20), time(9, 15)) == datetime(2026, 11, 20, 9, 15)


# -- follow-ups ----------------------------------------------------------------------------------

def test_follow_up_lifecycle(svc):
    party_id = add(svc, "Ann")
    fid = svc.schedule_follow_up(party_id, TODAY + timedelta(days=3), "Send quote", due_time=time(9, 0),
                                 priority="high")
    assert svc.get_party(party_id).next_follow_up_on == TODAY + timedelta(days=3)
    assert svc.snooze_follow_up(fid, days=7) == TODAY + timedelta(days=10)
    svc.reschedule_follow_up(fid, TODAY + timedelta(days=1))
    assert svc.complete_follow_up(fid) is None
    with pytest.raises(InvalidInput, match="already done"):
        svc.complete_follow_up(fid)
    assert svc.follow_ups(status="done")[0].done_on == TODAY
    assert svc.get_party(party_id).next_follow_up_on is None


def test_completing_a_repeating_follow_up_schedules_the_next(svc):
    party_id = add(svc, "Ann")
    fid = svc.schedule_follow_up(party_id, date(2026, 10, 31), "Monthly check-in", repeat="monthly")
    next_id = svc.complete_follow_up(fid)
    nxt = svc.follow_ups()[0]
    assert nxt.id == next_id
    # due 31 Oct, done 22 Nov: the next occurrence lands after today, month-end clamped
    assert nxt.due_on == date(2026, 11, 30)
    assert (nxt.text, nxt.repeat) == ("Monthly check-in", "monthly")


def test_snoozing_an_overdue_follow_up_counts_from_today(svc):
    party_id = add(svc, "Ann")
    fid = svc.schedule_follow_up(party_id, TODAY - timedelta(days=5), "Late")
    assert svc.snooze_follow_up(fid, days=1) == TODAY + timedelta(days=1)


def test_cancel_and_refusals(svc):
    party_id = add(svc, "Ann")
    fid = svc.schedule_follow_up(party_id, TODAY, "x")
    with pytest.raises(InvalidInput, match="past"):
        svc.reschedule_follow_up(fid, TODAY - timedelta(days=1))
    svc.cancel_follow_up(fid)
    with pytest.raises(InvalidInput, match="cancelled"):
        svc.snooze_follow_up(fid, days=1)
    with pytest.raises(NotFound):
        svc.complete_follow_up(12345)
    with pytest.raises(InvalidInput, match="repeat"):
        svc.schedule_follow_up(party_id, TODAY, "x", repeat="hourly")


def test_due_lists_overdue_and_upcoming(svc):
    party_id = add(svc, "Ann")
    for offset in (-3, 0, 7, 8):
        svc.schedule_follow_up(party_id, TODAY + timedelta(days=offset), f"in {offset}")
    assert [f.text for f in svc.due(7)] == ["in -3", "in 0", "in 7"]
    assert [f.text for f in svc.due(0)] == ["in -3", "in 0"]


# -- purchases, feedback, defection -------------------------------------------------------------

def test_purchases_roll_up_to_the_party(svc):
    party_id = add(svc, "Ann")
    svc.record_purchase(party_id, "1,200.50", cost="700", what="Boiler", on=date(2026, 5, 1))
    svc.record_purchase(party_id, "99.5")
    party = svc.get_party(party_id)
    assert (party.revenue, party.cost, party.profit, party.purchases) == (
        Decimal("1300.00"), Decimal("700.00"), Decimal("600.00"), 2)


@pytest.mark.parametrize("revenue, cost, message", [
    ("ten", None, "number"), ("nan", None, "number"), ("inf", None, "finite"),
    ("1e20", None, "too large"), ("10", "-5", "negative"),
])
def test_bad_money_is_refused(svc, revenue, cost, message):
    party_id = add(svc, "Ann")
    with pytest.raises(InvalidInput, match=message):
        svc.record_purchase(party_id, revenue, cost=cost)
    assert svc.get_party(party_id).purchases == 0


def test_feedback_scores_are_0_to_10(svc):
    party_id = add(svc, "Ann")
    svc.record_feedback(party_id, 9, comment="great")
    for bad in (11, -1, "seven", "9.5"):
        with pytest.raises(InvalidInput, match="score"):
            svc.record_feedback(party_id, bad)
    assert [e.title for e in svc.timeline(party_id) if e.kind == "feedback"] == ["Feedback 9/10"]


def test_defection_and_win_back_keep_history(svc):
    party_id = add(svc, "Ann")
    svc.record_purchase(party_id, "10", on=date(2026, 1, 5))
    svc.defect(party_id, "competitor", note="went to Globex", on=date(2026, 6, 1))
    party = svc.get_party(party_id)
    assert party.defected_on == date(2026, 6, 1) and party.defection.reason == "competitor"
    with pytest.raises(InvalidInput, match="already"):
        svc.defect(party_id, "price")
    with pytest.raises(InvalidInput, match="defected"):
        svc.record_purchase(party_id, "5")
    svc.win_back(party_id, on=date(2026, 9, 1))
    party = svc.get_party(party_id)
    assert party.active and party.defection.won_back_on == date(2026, 9, 1)
    kinds = [e.kind for e in svc.timeline(party_id)]
    assert "defection" in kinds and "win-back" in kinds
    with pytest.raises(InvalidInput, match="nothing to win back"):
        svc.win_back(party_id)
    with pytest.raises(InvalidInput, match="no-need"):
        svc.defect(party_id, "bored")


# -- Today ---------------------------------------------------------------------------------------

def test_today_view(svc):
    ann = add(svc, "Ann", birthday=Birthday(11, 30, 1990), cadence_days=10)
    bob = add(svc, "Bob", birthday=Birthday(12, 15, None))  # year-less
    cat = add(svc, "Cat Co", kind=Kind.VENDOR, renewal_on=TODAY + timedelta(days=14))
    svc.log_interaction(bob, "hi")
    svc.schedule_follow_up(ann, TODAY - timedelta(days=2), "overdue one")
    svc.schedule_follow_up(bob, TODAY, "today one")
    svc.schedule_follow_up(bob, TODAY + timedelta(days=1), "tomorrow one")
    svc.clock = lambda: datetime(2026, 12, 5, 9, 0)  # 13 days on: Ann is past her 10-day cadence
    view = svc.today_view()
    assert [f.text for f in view.overdue] == ["overdue one", "today one", "tomorrow one"]
    assert [(b.party_name, b.on, b.detail) for b in view.birthdays] == [("Bob", date(2026, 12, 15), "birthday")]
    assert [r.party_id for r in view.renewals] == [cat]
    assert [(c.party_id, c.days_past) for c in view.going_cold] == [(ann, 3)]
    assert view.going_cold_total == 1


def test_today_birthday_with_age(svc):
    add(svc, "Ann", birthday=Birthday(11, 30, 1990))
    view = svc.today_view()
    assert [(b.on, b.detail) for b in view.birthdays] == [(date(2026, 11, 30), "turns 36")]


def test_every_refusal_is_one_error_type_with_a_message(svc):
    calls = [
        lambda: svc.get_party(404),
        lambda: svc.log_interaction(404, "x"),
        lambda: svc.resolve_party(""),
        lambda: svc.record_feedback(404, 5),
        lambda: svc.move_rung(404, "client"),
    ]
    for call in calls:
        with pytest.raises(ReltuiError) as info:
            call()
        assert info.value.message and "Traceback" not in info.value.message


def test_ids_filter_takes_any_number_of_ids(svc):
    ann, bob, _cy = add(svc, "Ann"), add(svc, "Bob"), add(svc, "Cy")
    many = [ann, bob, *range(10_000, 60_000)]  # past SQLite's limit on bound variables
    assert [p.name for p in svc.list_parties(ids=many)] == ["Ann", "Bob"]
    assert svc.count_parties(ids=many) == 2
    assert svc.count_parties(ids=[]) == 0


def test_tier_members_follow_the_pyramid(svc):
    buyers = [add(svc, f"Buyer {k}") for k in range(10)]
    for k, pid in enumerate(buyers):
        svc.record_purchase(pid, str(100 + k), on=date(2026, 6, 1))
    assert svc.tier_members("platinum") == [buyers[9]]
    assert sorted(svc.tier_members("gold")) == sorted(buyers[7:9])
    assert len(svc.tier_members("iron")) == 7 and svc.tier_members("lead") == []


def test_today_lists_the_soonest_birthdays_up_to_its_limit(svc):
    # A big book has thousands of birthdays in two weeks: Today shows the soonest, like its
    # other sections, and says "200+" for the rest.
    for day, name in ((30, "Late"), (24, "Soon"), (27, "Mid"), (23, "First")):
        add(svc, name, birthday=Birthday(11, day, None))
    view = svc.today_view(limit=3)
    assert [b.party_name for b in view.birthdays] == ["First", "Soon", "Mid"]
