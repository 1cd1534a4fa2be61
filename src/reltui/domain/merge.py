"""Three-way merge of a party's profile, field by field (pure: no database).

Two people edit the same party: `base` is the profile as the form was opened,
`theirs` is what the book holds now (someone else saved in between), `mine` is
what the form is saving. Per field: theirs unchanged -> mine; mine unchanged ->
theirs; both changed to the same value -> that value; both changed differently
-> a conflict, which a person has to settle.

Values are compared as they would be stored (`canonical`), so retyping a value
the same way, or tags in another order, is not a change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from reltui.domain import text as txt
from reltui.domain.enums import Kind, PartyType
from reltui.domain.errors import InvalidInput
from reltui.domain.records import PartyIn

# The fields a profile edit writes, with the words a person reads. The rung and the owner are
# not among them: an edit never changes them (the ladder keys and assign_owner do).
FIELD_LABELS: dict[str, str] = {
    "name": "name",
    "party_type": "person/org",
    "kind": "kind",
    "organisation": "organisation",
    "emails": "emails",
    "phones": "phones",
    "address": "address",
    "birthday": "birthday",
    "tags": "tags",
    "notes": "notes",
    "source": "source",
    "referred_by_id": "referred by",
    "cadence_days": "cadence",
    "payment_terms_days": "payment terms",
    "renewal_on": "renewal date",
}
MERGED_FIELDS = tuple(FIELD_LABELS)


@dataclass(frozen=True)
class FieldConflict:
    """One field both sides changed, to different values."""

    field: str
    base: Any
    theirs: Any
    mine: Any

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


@dataclass(frozen=True)
class Merge:
    """The outcome: `merged` holds every agreed field, and theirs where there is a conflict;
    `kept` names the fields only they changed (their change survives the save)."""

    merged: PartyIn
    kept: tuple[str, ...] = ()
    conflicts: tuple[FieldConflict, ...] = ()

    def resolve(self, choices: dict[str, str]) -> PartyIn:
        """The merged profile with each conflict settled: choices[field] is 'theirs' or 'mine'
        (an unsettled field keeps theirs)."""
        picked = {c.field: c.mine for c in self.conflicts if choices.get(c.field) == "mine"}
        return replace(self.merged, **picked)


def merge_party(base: PartyIn, theirs: PartyIn, mine: PartyIn) -> Merge:
    """Merge field by field; the rest (rung, owner) always comes from `theirs`."""
    merged: dict[str, Any] = {}
    kept: list[str] = []
    conflicts: list[FieldConflict] = []
    for name in MERGED_FIELDS:
        b, t, m = getattr(base, name), getattr(theirs, name), getattr(mine, name)
        if t == b or t == m:
            merged[name] = m
        elif m == b:
            merged[name] = t
            kept.append(name)
        else:
            merged[name] = t
            conflicts.append(FieldConflict(name, b, t, m))
    return Merge(replace(theirs, **merged), tuple(kept), tuple(conflicts))


def changed_fields(before: PartyIn, after: PartyIn) -> tuple[str, ...]:
    return tuple(name for name in MERGED_FIELDS if getattr(before, name) != getattr(after, name))


def canonical(data: PartyIn) -> PartyIn:
    """The profile as the book would store it: text cleaned, empty text as None, emails and
    phones without repeats (same address in another case, same digits), tags as stored.
    Lenient: it never refuses (the write checks the rules); it only makes values comparable."""

    def line(value: str | None) -> str | None:
        return txt.clean(value, "compared") or None

    def block(value: str | None) -> str:
        return txt.clean(value, "compared", multiline=True)

    def unique(values, norm) -> tuple[str, ...]:  # noqa: ANN001
        out, seen = [], set()
        for value in values:
            value = txt.clean(value, "compared")
            key = norm(value)
            if value and key not in seen:
                seen.add(key)
                out.append(value)
        return tuple(out)

    return replace(
        data,
        name=txt.clean(data.name, "compared"),
        party_type=_token(PartyType, data.party_type),
        kind=_token(Kind, data.kind),
        organisation=line(data.organisation),
        emails=unique(data.emails, txt.normalise_email),
        phones=unique(data.phones, txt.normalise_phone),
        address=block(data.address) or None,
        tags=tuple(sorted({txt.clean(t, "compared").lower().replace(" ", "-") for t in data.tags} - {""})),
        notes=block(data.notes),
        source=line(data.source),
    )


def _token(enum: type, value: Any) -> Any:
    try:
        return enum.parse(value)
    except InvalidInput:  # an unknown token stays as typed; the write refuses it
        return value
