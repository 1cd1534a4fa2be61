"""The tokens DOMAIN.md defines. The command line, files and schema all use these."""

from __future__ import annotations

from enum import StrEnum

from reltui.domain.errors import InvalidInput


class Token(StrEnum):
    """A StrEnum whose parse() refuses unknown input with the valid choices."""

    @classmethod
    def parse(cls, text: str | "Token") -> "Token":
        if isinstance(text, cls):
            return text
        value = str(text).strip().lower()
        for member in cls:
            if member.value == value:
                return member
        choices = ", ".join(m.value for m in cls)
        raise InvalidInput(f"{cls.label()} must be one of: {choices} (got {text!r})")

    @classmethod
    def label(cls) -> str:
        return cls.__name__.lower()

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)


class Kind(Token):
    CUSTOMER = "customer"
    BUSINESS = "business"
    VENDOR = "vendor"
    SUPPLIER = "supplier"
    DISTRIBUTOR = "distributor"
    PARTNER = "partner"
    OTHER = "other"

    @property
    def is_b2b(self) -> bool:
        return self is not Kind.CUSTOMER


class Rung(Token):
    """The ladder of loyalty, lowest first: the order of members is the order of rungs."""

    PROSPECT = "prospect"
    CUSTOMER = "customer"
    CLIENT = "client"
    SUPPORTER = "supporter"
    ADVOCATE = "advocate"
    PARTNER = "partner"

    @property
    def level(self) -> int:
        return list(Rung).index(self)

    def up(self) -> "Rung | None":
        rungs = list(Rung)
        return rungs[self.level + 1] if self.level + 1 < len(rungs) else None

    def down(self) -> "Rung | None":
        return list(Rung)[self.level - 1] if self.level > 0 else None


RUNG_MEANING = {
    Rung.PROSPECT: "has not bought yet, but may",
    Rung.CUSTOMER: "has bought once",
    Rung.CLIENT: "buys repeatedly",
    Rung.SUPPORTER: "likes the business, but passively",
    Rung.ADVOCATE: "recommends the business actively (referrals)",
    Rung.PARTNER: "works with the business as a partner",
}


class Channel(Token):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    MESSAGE = "message"
    SOCIAL = "social"
    VISIT = "visit"
    LETTER = "letter"
    NOTE = "note"


class Direction(Token):
    INBOUND = "inbound"
    OUTBOUND = "outbound"

    @classmethod
    def parse(cls, text):  # type: ignore[override]
        aliases = {"in": "inbound", "out": "outbound"}
        if isinstance(text, str):
            text = aliases.get(text.strip().lower(), text)
        return super().parse(text)


class Reason(Token):
    """Defection reason categories."""

    PRICE = "price"
    SERVICE = "service"
    QUALITY = "quality"
    COMPETITOR = "competitor"
    MOVED = "moved"
    NO_NEED = "no-need"
    OTHER = "other"

    @classmethod
    def label(cls) -> str:
        return "reason"


REASON_MEANING = {
    Reason.PRICE: "price",
    Reason.SERVICE: "service",
    Reason.QUALITY: "product quality",
    Reason.COMPETITOR: "a competitor",
    Reason.MOVED: "moved or closed",
    Reason.NO_NEED: "no longer needs it",
    Reason.OTHER: "other",
}


class Priority(Token):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Repeat(Token):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class FollowUpStatus(Token):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"

    @classmethod
    def label(cls) -> str:
        return "status"


class PartyType(Token):
    PERSON = "person"
    ORGANISATION = "organisation"

    @classmethod
    def label(cls) -> str:
        return "type"


class Segment(Token):
    B2C = "b2c"
    B2B = "b2b"
    ALL = "all"
