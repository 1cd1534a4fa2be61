"""The command line end to end, in a subprocess, with good and bad input."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date, timedelta

import pytest
from books import count_rows


count = count_rows


def test_the_daily_loop_from_the_shell(reltui):
    r = reltui("add", "Ann Lee", "--org", "Northwind", "--email", "ann@example.com", "--phone", "+1 555-0100",
               "--birthday=--12-01", "--tag", "vip", "--cadence", "30")
    assert r.code == 0, r.err
    assert "Added Ann Lee (#1)" in r.out
    assert reltui("add", "Bob Marsh", "--kind", "supplier", "--referred-by", "ann").code == 0
    r = reltui("log", "ann", "Intro call", "--channel", "meeting", "--direction", "in", "--notes", "hi")
    assert r.code == 0 and "Logged contact" in r.out, r.err
    r = reltui("follow-up", "Ann Lee", "tomorrow", "Send the quote", "--repeat", "monthly")
    assert r.code == 0 and "tomorrow" in r.out and "monthly" in r.out, r.err
    assert reltui("rung", "ann", "customer", "--note", "first order").code == 0
    assert reltui("buy", "ann", "1200", "--cost", "700", "--what", "Boiler").code == 0
    assert reltui("feedback", "ann", "9", "--comment", "great").code == 0
    r = reltui("due", "--days", "3")
    assert r.code == 0 and "Send the quote" in r.out
    r = reltui("done", "1")
    assert r.code == 0 and "Next one scheduled" in r.out
    r = reltui("show", "ann", "--json")
    data = r.json()
    assert data["name"] == "Ann Lee" and data["rung"] == "customer" and data["revenue"] == 1200.0
    assert data["birthday"] == "--12-01" and data["profit"] == 500.0
    assert [e["kind"] for e in data["timeline"]].count("interaction") == 1
    r = reltui("show", "ann")
    assert r.code == 0 and "Northwind" in r.out and "Timeline" in r.out
    assert reltui("defect", "bob", "price", "--note", "too dear").code == 0
    assert reltui("win-back", "bob").code == 0
    r = reltui("list", "--json")
    assert [p["name"] for p in r.json()] == ["Ann Lee", "Bob Marsh"]
    r = reltui("list", "--search", "northw")
    assert "Ann Lee" in r.out and "Bob" not in r.out and "1 parties" in r.out


def test_list_json_shape(reltui):
    reltui("add", "Ann")
    row = reltui("list", "--json").json()[0]
    assert set(row) == {"id", "name", "organisation", "kind", "rung", "last_contact", "next_follow_up",
                        "revenue", "active", "defected_on", "owner"}


def test_due_json_shape(reltui):
    reltui("add", "Ann")
    reltui("follow-up", "Ann", "yesterday", "Late one")
    rows = reltui("due", "--json").json()
    assert rows == [{
        "id": 1, "party_id": 1, "party": "Ann", "due": (date.today() - timedelta(days=1)).isoformat(),
        "time": None, "text": "Late one", "priority": "normal", "repeat": None, "overdue": True,
    }]


@pytest.mark.parametrize(
    "args, message",
    [
        (["add", ""], "name can't be empty"),
        (["add", "Ann", "--kind", "alien"], "kind must be one of"),
        (["add", "Ann", "--birthday", "31/31"], "birthday"),
        (["log", "nobody", "hi"], "No party matches"),
        (["follow-up", "Ann", "someday", "x"], "Can't read"),
        (["follow-up", "Ann", "1/12/2026", "x"], "ambiguous"),
        (["done", "abc"], "must be a number"),
        (["done", "77"], "no follow-up #77"),
        (["rung", "Ann", "emperor"], "rung must be one of"),
        (["buy", "Ann", "lots"], "number"),
        (["feedback", "Ann", "11"], "0 to 10"),
        (["defect", "Ann", "boredom"], "reason must be one of"),
        (["win-back", "Ann"], "nothing to win back"),
        (["list", "--sort", "height"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["due", "--days", "x"], "invalid int"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(reltui, args, message):
    assert reltui("add", "Ann").code == 0
    r = reltui(*args)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert message.lower() in lines[0].lower()
    assert "Traceback" not in r.err + r.out
    assert count(reltui.book, "party") == 1
    assert count(reltui.book, "interaction") == count(reltui.book, "follow_up") == 0


def test_ambiguous_party_lists_candidates(reltui):
    reltui("add", "Ann Lee")
    reltui("add", "Ann Smith")
    r = reltui("log", "ann", "hi")
    assert r.code == 2 and "Ann Lee (#1)" in r.err and "Ann Smith (#2)" in r.err


def test_db_option_before_or_after_the_command(reltui, tmp_path):
    other = tmp_path / "other.db"
    r = reltui("--db", str(other), "add", "Zed", db=None)
    assert r.code == 0
    r = reltui("list", "--json", db=None, extra_env={"RELTUI_DB": str(other)})
    assert [p["name"] for p in r.json()] == ["Zed"]
    r = reltui("list", "--json", "--db", str(other), db=None)
    assert [p["name"] for p in r.json()] == ["Zed"]


def test_default_database_lives_in_the_user_data_dir(reltui, tmp_path):
    r = reltui("add", "Ann", db=None)
    assert r.code == 0, r.err
    book = tmp_path / "data" / "reltui" / "reltui.db"
    assert book.exists()
    assert stat.S_IMODE(book.stat().st_mode) == 0o600


def test_refused_files_exit_2_with_a_hint(reltui, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello, not a database at all" * 10)
    r = reltui("list", db=junk)
    assert r.code == 2 and "not a reltui database" in r.err and "Traceback" not in r.err
    assert junk.read_bytes() == b"hello, not a database at all" * 10


def test_hostile_text_never_reaches_the_terminal_raw(reltui):
    name = "Eve \x1b]52;c;aGk=\x07[bold]x[/] \u202egnp.exe"
    r = reltui("add", name)
    assert r.code == 0
    for args in (["list"], ["show", "1"], ["show", "1", "--json"], ["list", "--json"]):
        out = reltui(*args).out
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, args
        assert "[bold]x[/]" in out


def test_delete_asks_then_deletes(reltui):
    reltui("add", "Ann")
    reltui("log", "Ann", "hi")
    r = reltui("delete", "Ann")
    assert "would also delete 1 interactions" in r.out and count(reltui.book, "party") == 1
    r = reltui("delete", "Ann", "--yes")
    assert r.code == 0 and count(reltui.book, "party") == 0 and count(reltui.book, "interaction") == 0


def test_date_order_setting_allows_slash_dates(reltui):
    reltui("add", "Ann")
    assert reltui("settings", "date-order", "dmy").code == 0
    r = reltui("follow-up", "Ann", "1/12/2030", "x")
    assert r.code == 0, r.err
    assert reltui("due", "--days", "3650", "--json").json()[0]["due"] == "2030-12-01"


def test_two_shells_logging_at_once_never_see_locked(reltui):
    assert reltui("add", "Ann").code == 0
    argv = [sys.executable, "-m", "reltui", "log", "Ann", "ping", "--db", str(reltui.book)]
    procs = []
    for _ in range(2):
        script = (
            "import sys\nfrom reltui.cli import main\n"
            "codes = [main(sys.argv[1:]) for _ in range(25)]\n"
            "sys.exit(max(codes))\n"
        )
        procs.append(subprocess.Popen([sys.executable, "-c", script, *argv[3:]], env=reltui.env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
    assert count(reltui.book, "interaction") == 50


def test_version_and_help(reltui):
    r = reltui("--version", db=None)
    assert r.code == 0 and r.out.startswith("reltui ")
    r = reltui("--help", db=None)
    assert r.code == 0 and "follow-up" in r.out and "sample" in r.out


def test_unexpected_errors_print_one_line_and_log_no_data(reltui, tmp_path):
    reltui("add", "Secret Name")
    script = (
        "import sys\nfrom reltui import cli\n"
        "def boom(svc, args):\n    raise RuntimeError('Secret Name leaked')\n"
        "cli.cmd_list = boom\nsys.exit(cli.main(['list', '--db', sys.argv[1]]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(reltui.book)], env=reltui.env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "RuntimeError" in proc.stderr
    assert "Secret Name" not in proc.stderr and "Traceback" not in proc.stderr
    log = tmp_path / "data" / "reltui" / "crash.log"
    assert log.exists() and "Secret Name" not in log.read_text()
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
