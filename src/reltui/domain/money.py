"""Money as typed and as stored: Decimal at the edges, integer cents inside."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from reltui.domain.errors import InvalidInput

MAX_AMOUNT = Decimal("1000000000000")  # README "Limits": at most a trillion per purchase
CENT = Decimal("0.01")


def parse_money(value: str | int | float | Decimal, field: str = "amount", *,
                allow_negative: bool = False) -> Decimal:
    """'1,250.50' -> Decimal('1250.50'); refuses words, NaN, infinities and absurd sizes."""
    text = str(value).strip().replace(",", "").replace("_", "")
    for symbol in ("$", "€", "£", "¥"):
        text = text.replace(symbol, "")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"The {field} must be a number like 120 or 99.50 (got {value!r}).") from None
    if not amount.is_finite():
        raise InvalidInput(f"The {field} must be a finite number (got {value!r}).")
    if amount < 0 and not allow_negative:
        raise InvalidInput(f"The {field} can't be negative (got {value!r}).")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInput(f"The {field} is too large (at most {MAX_AMOUNT:,}).")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) / 100).quantize(CENT)


def format_money(amount: Decimal | None) -> str:
    return "n/a" if amount is None else f"{amount:,.2f}"
