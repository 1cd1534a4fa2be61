"""`reltui metrics` in a subprocess: the JSON keys, the worked example, the table, refusals."""

from __future__ import annotations

import json
import subprocess
import sys

KEYS = {"period", "segment", "retention_rate", "churn_rate", "average_lifetime_years", "clv",
        "pareto_share", "ror", "repeat_purchase_rate", "referrals", "mean_feedback", "nps", "pyramid",
        "ladder", "defections_by_reason", "overdue_follow_ups", "past_cadence", "base"}
YEAR = ("--from", "2025-01-01", "--to", "2025-12-31")


def test_json_on_an_empty_book_is_all_na(reltui):
    result = reltui("metrics", "--json", *YEAR)
    assert result.code == 0, result.err
    data = result.json()
    assert KEYS <= set(data)
    assert data["period"] == {"from": "2025-01-01", "to": "2025-12-31"} and data["segment"] == "all"
    for key in ("retention_rate", "churn_rate", "average_lifetime_years", "clv", "pareto_share", "ror",
                "repeat_purchase_rate", "mean_feedback", "nps"):
        assert data[key] is None, key
    assert data["base"]["retention_rate"] == 0
    assert data["pyramid"] == {"platinum": 0, "gold": 0, "iron": 0, "lead": 0}


def test_the_brief_command_line_with_sys_executable(reltui, tmp_path):
    # exactly the invocation of the brief: python -m reltui metrics --json --db PATH
    proc = subprocess.run([sys.executable, "-m", "reltui", "metrics", "--json", "--db", str(reltui.book)],
                          capture_output=True, text=True, env=reltui.env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert KEYS <= set(json.loads(proc.stdout))


def _retention_book(reltui) -> None:
    for k in range(5):
        assert reltui("add", f"Customer {k}").code == 0
        assert reltui("buy", f"Customer {k}", "80", "--when", "2024-06-01").code == 0
    for k in range(1, 5):  # the four who stay each make 100.00 profit in 2025
        assert reltui("buy", f"Customer {k}", "150", "--cost", "50", "--when", "2025-05-01").code == 0
    assert reltui("defect", "Customer 0", "price", "--when", "2025-03-01").code == 0
    assert reltui("add", "Newcomer").code == 0
    assert reltui("buy", "Newcomer", "30", "--when", "2025-06-01").code == 0


def test_worked_example_in_json(reltui):
    _retention_book(reltui)
    result = reltui("metrics", "--json", *YEAR, "--discount-rate", "10%")
    assert result.code == 0, result.err
    data = result.json()
    assert (data["retention_rate"], data["churn_rate"]) == (0.8, 0.2)
    assert data["base"]["retention_rate"] == 5
    assert data["average_lifetime_years"] == 5.0
    assert data["clv"] == 266.67  # m = 100, r = 0.8, i = 0.1
    assert data["won"] == 1
    assert data["defections_by_reason"]["price"] == 1
    assert data["pyramid"] == {"platinum": 1, "gold": 1, "iron": 3, "lead": 0}
    b2b = reltui("metrics", "--json", *YEAR, "--segment", "b2b").json()
    assert b2b["retention_rate"] is None and b2b["base"]["retention_rate"] == 0

    # the same book as a readable table
    result = reltui("metrics", *YEAR)
    assert result.code == 0, result.err
    assert "80% of 5 active at the start" in result.out
    assert "5.0 years" in result.out and "266.67" in result.out
    assert "mean feedback         n/a" in result.out  # nothing to rest on: n/a, not 0


def test_refusals_are_one_line(reltui):
    for args in (("--segment", "vip"), ("--from", "2026-02-01", "--to", "2026-01-01"),
                 ("--discount-rate", "lots"), ("--from", "someday"), ("--platinum", "60%", "--gold", "50%")):
        result = reltui("metrics", *args)
        assert result.code == 2, args
        assert result.err.startswith("reltui: ") and result.err.count("\n") == 1, result.err
        assert "Traceback" not in result.err


def test_sample_book(reltui, tmp_path):
    book = tmp_path / "sample.db"
    assert reltui("sample", str(book), "--parties", "150", "--today", "2026-11-22", db=None).code == 0
    result = reltui("metrics", "--json", "--to", "2026-11-22", "--segment", "b2c", db=book)
    assert result.code == 0, result.err
    data = result.json()
    assert data["period"] == {"from": "2025-11-23", "to": "2026-11-22"} and data["segment"] == "b2c"
    assert 0 <= data["retention_rate"] <= 1 and data["base"]["retention_rate"] > 0
    assert len(data["months"]) == 13
    assert sum(data["ladder"].values()) > 0
