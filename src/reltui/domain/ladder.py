"""The ladder of loyalty: what the data suggests (only the manager moves a party)."""

from __future__ import annotations

from reltui.domain.enums import Rung


def suggest_rung(purchases: int, referrals: int) -> Rung:
    """DOMAIN.md: no purchase: prospect; one: customer; two or more: client;
    has referred someone: at least advocate."""
    if referrals > 0:
        return Rung.ADVOCATE
    if purchases >= 2:
        return Rung.CLIENT
    if purchases == 1:
        return Rung.CUSTOMER
    return Rung.PROSPECT
