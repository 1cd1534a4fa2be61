"""Who on the command line: --as, $RELTUI_AS, add --owner, assign, --owner filters, metrics --by-owner."""

from __future__ import annotations

import getpass

from books import rows


def test_as_sets_who_makes_records_before_or_after_the_command(reltui):
    assert reltui("--as", "Maya", "add", "Ann").code == 0
    assert reltui("log", "Ann", "Call", "--as", "Tom").code == 0
    assert reltui("add", "Bob", extra_env={"RELTUI_AS": "Priya"}).code == 0
    assert reltui("add", "Cy").code == 0  # no --as, no $RELTUI_AS: the login name
    owners = dict(rows(reltui.book, "SELECT name, owner FROM party"))
    assert owners == {"Ann": "Maya", "Bob": "Priya", "Cy": getpass.getuser()}
    assert rows(reltui.book, "SELECT made_by FROM interaction") == [("Tom",)]
    r = reltui("--as", "x" * 101, "add", "Dee")
    assert r.code == 2 and "too long" in r.err


def test_add_owner_assign_and_show(reltui):
    assert reltui("add", "Ann", "--owner", "Tom", "--as", "Maya").code == 0
    assert reltui("show", "Ann", "--json").json()["owner"] == "Tom"
    r = reltui("assign", "Ann", "Priya")
    assert r.code == 0 and "Priya" in r.out
    assert "owner: Priya" in reltui("show", "Ann").out
    r = reltui("assign", "Ann", "Priya")
    assert r.code == 2 and "already owned by Priya" in r.err
    assert reltui("assign", "Ann", "-").code == 0
    assert reltui("show", "Ann", "--json").json()["owner"] is None
    assert reltui("assign", "Ann", "me", "--as", "Zoe").code == 0
    assert reltui("show", "Ann", "--json").json()["owner"] == "Zoe"
    assert reltui("assign", "Nobody", "Tom").code == 2


def test_owner_filters_on_list_and_due(reltui):
    for name, who in (("Ann", "Maya"), ("Bob", "Tom"), ("Cy", "Maya")):
        assert reltui("add", name, "--as", who).code == 0
        assert reltui("follow-up", name, "today", f"Call {name}", "--as", "Tom").code == 0
    assert reltui("assign", "Cy", "none").code == 0

    def names(*args):  # noqa: ANN202
        return [p["name"] for p in reltui("list", "--json", *args).json()]

    assert names() == ["Ann", "Bob", "Cy"]
    assert names("--owner", "Maya") == ["Ann"]
    assert names("--owner", "mine", "--as", "Tom") == ["Bob"]
    assert names("--owner", "none") == ["Cy"]
    assert names("--owner", "all") == ["Ann", "Bob", "Cy"]
    due = reltui("due", "--json", "--owner", "Maya").json()
    assert [d["party"] for d in due] == ["Ann"]
    assert [d["party"] for d in reltui("due", "--json", "--owner", "mine", "--as", "Tom").json()] == ["Bob"]
    r = reltui("list", "--owner", "Tom")
    assert "Bob" in r.out and "Ann" not in r.out and "1 parties" in r.out


def test_metrics_owner_and_by_owner_json(reltui):
    for name, who in (("Ann", "Maya"), ("Bob", "Tom"), ("Cy", "Maya")):
        assert reltui("add", name, "--as", who).code == 0
        assert reltui("buy", name, "100").code == 0
    assert reltui("rung", "Ann", "client", "--as", "Tom").code == 0
    data = reltui("metrics", "--json", "--owner", "Maya", "--by-owner").json()
    assert data["owner"] == "Maya" and data["revenue"] == 200.0 and data["climbs"] == 1
    assert "retention_rate" in data and "ladder" in data  # every existing key is still there
    owners = {o["owner"]: o for o in data["owners"]}
    assert set(owners) == {"Maya", "Tom"}
    assert (owners["Maya"]["parties"], owners["Maya"]["climbs"], owners["Maya"]["revenue"]) == (2, 1, 200.0)
    assert (owners["Tom"]["parties"], owners["Tom"]["climbs"], owners["Tom"]["revenue"]) == (1, 0, 100.0)
    assert reltui("metrics", "--json").json()["owner"] is None
    r = reltui("metrics", "--by-owner", "--owner", "Tom")
    assert r.code == 0 and "Tom's parties" in r.out and "By owner" in r.out
    assert any(line.split()[:2] == ["Maya", "2"] for line in r.out.splitlines())
