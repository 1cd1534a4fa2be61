"""vCard 2.1, 3.0 and 4.0 in, vCard 3.0 out.

Why our own reader: the line grammar of vCard is small (RFC 2425/2426/6350),
and the hard part is what phones and address books actually write, which no
maintained Python library covers as a whole: vobject, the obvious choice,
has no vCard 4.0 (year-less `--0307` birthdays, `TEL;VALUE=uri`, quoted
parameter values) and trips on vCard 2.1 from old phones (bare parameters,
quoted-printable values broken over several lines with soft breaks, a
CHARSET per property, raw 8-bit bytes); the smaller packages are validators
or unmaintained.  This module reads bytes, not text, because a 2.1 card
states the character set of each value separately; it unfolds lines, joins
quoted-printable soft breaks, understands Apple's `itemN.` groups with
`X-ABLabel`, skips PHOTO/LOGO/SOUND/KEY data without decoding it, and reports
a bad card (with its number and first line) without giving up the file.

Export writes vCard 3.0, what most address books read: one card per party,
a stable UID, lines folded at 75 octets, and reltui's own fields as
X-RELTUI-* properties (ignored by other programs) so that a round trip
through `reltui import` changes nothing.
"""

from __future__ import annotations

import binascii
import itertools
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from reltui.domain.dates import Birthday
from reltui.domain.errors import InvalidInput
from reltui.interop.common import Record

BINARY_PROPERTIES = {"PHOTO", "LOGO", "SOUND", "KEY"}
# Properties that carry no data for the book (or that the reader uses for bookkeeping).
QUIET = {"VERSION", "PRODID", "REV", "UID", "X-ABUID", "SORT-STRING", "CLIENTPIDMAP",
         "X-ABSHOWAS", "X-ABLABEL", "KIND", "X-ADDRESSBOOKSERVER-KIND", "X-RELTUI-ID"}
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_TEL = re.compile(r"^tel:", re.IGNORECASE)
_BDAY = re.compile(r"^(\d{4}|--)-?(\d{2})-?(\d{2})(?:[T ].*)?$")
_ESCAPE_OUT = str.maketrans({"\\": "\\\\", "\n": "\\n", ",": "\\,", ";": "\\;"})
_TYPE_LABELS = {"cell": "mobile", "mobile": "mobile", "iphone": "mobile", "home": "home",
                "work": "work", "fax": "fax", "pager": "pager", "main": "main", "other": "other",
                "text": "text", "video": "video", "voice": None, "internet": None, "pref": None,
                "x400": None, "msg": None, "bbs": None, "modem": None, "car": "car", "isdn": "isdn"}


@dataclass
class _Prop:
    line: int
    group: str
    name: str
    params: dict[str, list[str]]
    raw: bytes


# -- reading ---------------------------------------------------------------------------------


def read_vcards(data: bytes, *, charset: str = "utf-8", first_line: int = 0,
                last: bool = True) -> Iterator[Record]:
    """Every card in `data` (UTF-8 bytes, unless a card says otherwise), in file order.

    `data` may be one piece of a file cut by `split_cards`: `first_line` is the number of
    lines before it (line numbers stay the file's), and `last` is False for every piece but
    the last (a card cut short there is followed by the next piece's first card)."""
    cards = read_numbered(data, charset=charset, first_line=first_line, last=last)
    for number, (start, record) in enumerate(cards, 1):
        record.where = f"card {number:,} (line {start:,})"
        yield record


def read_numbered(data: bytes, *, charset: str = "utf-8", first_line: int = 0,
                  last: bool = True) -> Iterator[tuple[int, Record]]:
    """(first line, record) per card, the record's `where` left for the caller to say (a
    piece of a file does not know how many cards came before it)."""
    for start, props, problem in _cards(_logical_lines(data, first_line), last=last):
        record = Record(where="")
        if problem:
            record.problems.append(problem)
        try:
            _fill(record, props, charset)
        except InvalidInput as exc:
            record.problems.append(exc.message)
        yield start, record


def count_cards(data: bytes) -> int:
    """A quick estimate of the number of cards (for progress, and to choose how to read
    them), without parsing them: the lines that begin with BEGIN:VCARD."""
    upper = data.upper()
    return upper.count(b"\nBEGIN:VCARD") + upper.startswith(b"BEGIN:VCARD")


# Where a file can be cut into pieces that read alone exactly as they read in the whole: an
# END:VCARD line (blank lines after it allowed) followed by a BEGIN:VCARD line. After an
# END:VCARD no fold, quoted-printable or base64 value carries over, and no AGENT card is open.
_CUT = re.compile(rb"(?im)^END:VCARD[ \t]*\r?\n(?:[ \t]*\r?\n)*(?=BEGIN:VCARD[ \t]*\r?$)")


def split_cards(data: bytes, pieces: int) -> list[tuple[int, int, int]]:
    """Cut `data` into about `pieces` runs of whole cards: (start, end, lines before start)
    each, for `read_vcards(data[start:end], first_line=..., last=...)`. A file without a
    clean place to cut is one piece."""
    cuts = [0]
    step = max(1, len(data) // max(1, pieces))
    while True:
        m = _CUT.search(data, cuts[-1] + step)
        if m is None or len(data) - m.end() < step // 2:
            break
        cuts.append(m.end())
    cuts.append(len(data))
    result, lines = [], 0
    for start, end in itertools.pairwise(cuts):
        result.append((start, end, lines))
        lines += len(data[start:end].splitlines())  # every piece but the last ends a line
    return result


def _logical_lines(data: bytes, first_line: int = 0) -> Iterator[tuple[int, bytes]]:
    """(first line number, unfolded line) for each content line; blank lines dropped."""
    if _plain(data):  # no folded, quoted-printable or base64 line: each line stands alone
        for number, line in enumerate(data.splitlines(), first_line + 1):
            if line and not line.isspace():
                yield number, line
        return
    # `current` stays the file's own bytes until a fold joins a line to it (most lines are
    # never folded), then becomes a bytearray that grows in place.
    current: bytes | bytearray | None = None
    start = 0
    qp_open = False
    base64_open = False
    for number, line in enumerate(data.splitlines(), first_line + 1):
        if current is not None:
            if qp_open and line.strip().upper() not in (b"END:VCARD", b"BEGIN:VCARD"):
                # A quoted-printable soft line break: "=" at the end joins the next line.
                current = current if isinstance(current, bytearray) else bytearray(current)
                del current[-1]
                current += line.lstrip(b" \t") if not line[:1].strip() else line
                qp_open = current.endswith(b"=")
                continue
            if line[:1] in (b" ", b"\t") and not line.isspace():
                current = current if isinstance(current, bytearray) else bytearray(current)
                current += line[1:]
                qp_open = current.endswith(b"=") and _is_qp(current)
                continue
        if not line or line.isspace():
            if current is not None:
                yield start, bytes(current)
                current = None
            base64_open = False
            continue
        if current is not None and base64_open and b":" not in line:
            current = current if isinstance(current, bytearray) else bytearray(current)
            current += line.strip()  # vCard 2.1 base64 data, not indented
            continue
        if current is not None:
            yield start, bytes(current)
        current, start = line, number
        semicolon = line.find(b";")
        if semicolon >= 0:  # only a parameter can say how the value is encoded
            head = _head(line).upper()
            qp_open = line.endswith(b"=") and b"QUOTED-PRINTABLE" in head
            base64_open = b"BASE64" in head or b"ENCODING=B" in head
        else:
            qp_open = base64_open = False
    if current is not None:
        yield start, bytes(current)


def _plain(data: bytes) -> bool:
    """True when no line of `data` continues another: no line starts with a space or tab
    (a fold), and no value is quoted-printable or base64 (whose data may run on)."""
    if data.startswith((b" ", b"\t")) or any(fold in data for fold in (b"\n ", b"\n\t", b"\r ", b"\r\t")):
        return False
    upper = data.upper()
    return b"QUOTED-PRINTABLE" not in upper and b"BASE64" not in upper and b"ENCODING=B" not in upper


def _head(line: bytes | bytearray) -> bytes:
    colon = line.find(b":")
    return bytes(line if colon < 0 else line[:colon])


def _is_qp(line: bytes | bytearray) -> bool:
    return b"QUOTED-PRINTABLE" in _head(line).upper()


def _cards(lines: Iterable[tuple[int, bytes]], *,
           last: bool = True) -> Iterator[tuple[int, list[_Prop], str | None]]:
    """(first line, properties, problem) per card; text outside cards is ignored."""
    props: list[_Prop] | None = None
    start = 0
    nested = 0
    found = False
    stray = 0
    for number, line in lines:
        upper = line.strip().upper()
        if upper == b"BEGIN:VCARD":
            if props is not None:
                if props and props[-1].name == "AGENT" and not props[-1].raw.strip():
                    nested += 1  # vCard 2.1 AGENT: a card inside the card; skipped
                    continue
                yield start, props, "no END:VCARD before the next card begins"
            props, start, found = [], number, True
            continue
        if upper == b"END:VCARD":
            if nested:
                nested -= 1
            elif props is not None:
                yield start, props, None
                props = None
            continue
        if props is None:
            stray += 1
            if stray > 1000 and not found:
                break
            continue
        if nested:
            continue
        try:
            props.append(_parse_line(number, line))
        except InvalidInput as exc:
            props.append(_Prop(number, "", "!BAD", {}, exc.message.encode()))
    if props is not None:
        yield start, props, ("no END:VCARD: the file may be cut short" if last
                             else "no END:VCARD before the next card begins")
    if not found:
        raise InvalidInput("No vCard found (no BEGIN:VCARD line).")


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    if '"' not in text:
        return text.split(sep)
    parts, buf, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def _parse_line(number: int, line: bytes) -> _Prop:
    colon = line.find(b":")
    quote = line.find(b'"')
    if 0 <= quote < colon:  # a quoted parameter value may hold a colon (vCard 4.0)
        quoted = False
        colon = -1
        for i, byte in enumerate(line):
            if byte == 0x22:
                quoted = not quoted
            elif byte == 0x3A and not quoted:
                colon = i
                break
    if colon <= 0:
        shown = line[:40].decode("utf-8", "replace")
        raise InvalidInput(f"line {number:,} is not a vCard property (no ':'): {shown!r}")
    head = line[:colon]
    group, name, params = (_parse_head if len(head) <= 200 else _parse_head.__wrapped__)(head)
    return _Prop(number, group, name, params, line[colon + 1:])


@lru_cache(maxsize=4096)
def _parse_head(raw: bytes) -> tuple[str, str, dict[str, list[str]]]:
    """(group, NAME, params) of a property's head ('item1.TEL;TYPE=CELL'). Heads repeat card
    after card, so the short ones are parsed once; the params dict is shared: read it only."""
    head = raw.decode("utf-8", "replace")
    parts = _split_outside_quotes(head, ";")
    group, _, name = parts[0].strip().rpartition(".")
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        part = part.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:  # vCard 2.1 bare parameter: TEL;WORK;VOICE
            bare = key.upper()
            key = "ENCODING" if bare in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B") else "TYPE"
            value = bare
        values = [v.strip().strip('"') for v in _split_outside_quotes(value, ",")]
        params.setdefault(key.strip().upper(), []).extend(v for v in values if v)
    return group.lower(), name.upper(), params


def _decode(prop: _Prop, charset: str) -> str:
    params = prop.params
    if "ENCODING" not in params and "CHARSET" not in params:  # the usual case
        try:
            return prop.raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass  # the full path below says what is wrong
    encoding = (params.get("ENCODING") or [""])[0].upper()
    raw = prop.raw
    if encoding == "QUOTED-PRINTABLE":
        raw = quopri.decodestring(raw)
    elif encoding in ("B", "BASE64"):
        try:
            raw = binascii.a2b_base64(raw)
        except binascii.Error:
            raise InvalidInput(f"line {prop.line:,}: {prop.name} has broken base64 data") from None
    name = (prop.params.get("CHARSET") or [charset])[0]
    try:
        return raw.decode(name)
    except LookupError:
        raise InvalidInput(f"line {prop.line:,}: {prop.name} has an unknown charset {name!r}") from None
    except UnicodeDecodeError:
        hint = "" if "CHARSET" in prop.params else " (give the file's --encoding)"
        raise InvalidInput(f"line {prop.line:,}: {prop.name} is not valid {name}{hint}") from None


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _split_value(text: str, sep: str) -> list[str]:
    """Split on `sep` where it is not escaped, then unescape each part."""
    if "\\" not in text:
        return text.split(sep)
    parts, buf, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            buf.append(text[i:i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append(_unescape("".join(buf)))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append(_unescape("".join(buf)))
    return parts


def _label(prop: _Prop, labels: dict[str, str]) -> str | None:
    if prop.group and prop.group in labels:
        return labels[prop.group][:60] or None
    for value in prop.params.get("TYPE", []):
        label = _TYPE_LABELS.get(value.lower(), value.lower())
        if label:
            return label[:60]
    return None


def _preferred(prop: _Prop) -> bool:
    types = [t.lower() for t in prop.params.get("TYPE", [])]
    return "pref" in types or (prop.params.get("PREF") or ["100"])[0] == "1"


def parse_bday(text: str, params: dict[str, list[str]]) -> Birthday:
    """19800307, 1980-03-07, --0307, --03-07, 1980-03-07T00:00:00Z, Apple's 1604 year."""
    s = text.strip()
    m = _BDAY.match(s)
    if not m:
        raise InvalidInput(f"can't read the birthday {s[:40]!r}")
    year = None if m.group(1) == "--" else int(m.group(1))
    omit = (params.get("X-APPLE-OMIT-YEAR") or [""])[0]
    if year is not None and (str(year) == omit or year == 1604):
        year = None  # Apple writes 1604 for "year not known"
    return Birthday(int(m.group(2)), int(m.group(3)), year)


def _phone(text: str, prop: _Prop) -> str:
    value = text.strip()
    is_uri = (prop.params.get("VALUE") or [""])[0].lower() == "uri" or value.lower().startswith("tel:")
    if is_uri:
        value = _TEL.sub("", value)
        number, *params = value.split(";")
        ext = next((p.split("=", 1)[1] for p in params if p.lower().startswith("ext=")), None)
        value = number + (f" x{ext}" if ext else "")
    return value


def _fill(record: Record, props: list[_Prop], charset: str) -> None:
    labels = {p.group: _apple_label(_decode(p, charset)) for p in props
              if p.name == "X-ABLABEL" and p.group}
    fn = ""
    n_parts: list[str] = []
    org = ""
    show_as_company = False
    emails: list[tuple[bool, str, str | None]] = []
    phones: list[tuple[bool, str, str | None]] = []
    addresses: list[tuple[bool, str, str | None]] = []
    formatted_labels: list[str] = []
    notes: list[str] = []
    old = any(p.name == "VERSION" and p.raw.strip() == b"2.1" for p in props)
    for prop in props:
        name = prop.name
        if name == "!BAD":
            record.problems.append(prop.raw.decode())
            continue
        if name in BINARY_PROPERTIES:
            record.ignored.append(name)
            continue
        if name.startswith("X-") and name not in QUIET and not name.startswith("X-RELTUI-") \
                and name != "X-ABSHOWAS":
            record.ignored.append(name)
            continue
        try:
            value = _decode(prop, charset)
        except InvalidInput as exc:
            record.problems.append(exc.message)
            continue
        if name == "FN":
            fn = fn or _unescape(value).strip()
        elif name == "N":
            n_parts = [p.strip() for p in _split_value(value, ";")]
        elif name == "ORG":
            org = org or ", ".join(p.strip() for p in _split_value(value, ";") if p.strip())
        elif name == "EMAIL":
            address = _MAILTO.sub("", _unescape(value).strip())
            if address:
                emails.append((_preferred(prop), address, _label(prop, labels)))
        elif name == "TEL":
            number = _phone(_unescape(value), prop)
            if number:
                phones.append((_preferred(prop), number, _label(prop, labels)))
        elif name == "ADR":
            text = _address(_split_value(value, ";"))
            if text:
                addresses.append((_preferred(prop), text, _label(prop, labels)))
        elif name == "LABEL":
            formatted_labels.append(_unescape(value).strip())
        elif name == "BDAY":
            if value.strip():
                try:
                    record.birthday = parse_bday(_unescape(value), prop.params)
                except InvalidInput as exc:
                    record.problems.append(f"line {prop.line:,}: {exc.message}")
        elif name == "NOTE":
            if value.strip():
                notes.append(_unescape(value).strip())
        elif name == "CATEGORIES":
            parts = _split_value(value, ",")
            if old:  # vCard 2.1 writers also separate categories with ';'
                parts = [t for part in parts for t in part.split(";")]
            record.tags.extend(t.strip() for t in parts if t.strip())
        elif name == "UID":
            record.ref = _unescape(value).strip() or None
        elif name == "KIND":
            if value.strip().lower() == "org":
                show_as_company = True
        elif name == "X-ABSHOWAS":
            show_as_company = value.strip().upper() == "COMPANY"
        elif name.startswith("X-RELTUI-"):
            _reltui_field(record, name[9:], _unescape(value).strip())
        elif name not in QUIET:
            record.ignored.append(name)

    given = n_parts[1] if len(n_parts) > 1 else ""
    family = n_parts[0] if n_parts else ""
    if not fn and any(n_parts):
        order = [n_parts[i] if len(n_parts) > i else "" for i in (3, 1, 2, 0, 4)]
        fn = " ".join(p for p in order if p)
    if record.party_type is None:
        if show_as_company or (org and (not fn or fn == org) and not (given or family)):
            record.party_type = "organisation"
        else:
            record.party_type = "person"
    if not fn and org:
        fn = org
        record.party_type = record.party_type or "organisation"
    record.name = fn
    if org and not (record.party_type == "organisation" and org == fn):
        record.organisation = org
    if not fn:
        record.problems.append("no name (no FN, N or ORG)")
    for target, items in ((record.emails, emails), (record.phones, phones)):
        items.sort(key=lambda item: not item[0])  # preferred first, else file order
        target.extend((value, label) for _, value, label in items)
    addresses.sort(key=lambda item: not item[0])
    if len(addresses) == 1:
        record.address = addresses[0][1]
    elif addresses:
        record.address = "\n\n".join(f"{label}: {text}" if label else text
                                     for _, text, label in addresses)
    elif formatted_labels:
        record.address = "\n\n".join(formatted_labels)
    record.notes = "\n\n".join(notes)


def _apple_label(text: str) -> str:
    m = _APPLE_LABEL.match(text.strip())
    return (m.group(1) if m else text.strip()).lower()


def _address(parts: list[str]) -> str:
    """ADR: post office box; extended; street; locality; region; postal code; country."""
    parts = [p.strip() for p in parts] + [""] * 7
    box, extended, street, locality, region, code, country = parts[:7]
    if not (box or extended or locality or region or code or country):
        return street
    town = " ".join(p for p in (locality, region, code) if p)
    return "\n".join(p for p in (box, extended, street, town, country) if p)


def _reltui_field(record: Record, key: str, value: str) -> None:
    if key == "TYPE":
        record.party_type = value or None
    elif key == "KIND":
        record.kind = value or None
    elif key == "RUNG":
        record.rung = value or None
    elif key == "SOURCE":
        record.source = value or None
    elif key == "CADENCE":
        record.cadence_days = value or None
    elif key == "TERMS":
        record.payment_terms_days = value or None
    elif key == "RENEWAL":
        record.renewal_on = value or None
    elif key == "REFERRED-BY":
        record.referred_by_ref = value or None
    elif key == "REFERRED-BY-NAME":
        record.referred_by_name = value or None


# -- writing ---------------------------------------------------------------------------------


def escape(text: str) -> str:
    return text.translate(_ESCAPE_OUT)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 6350 3.2), never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    out, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines begin with one space
    return "\r\n ".join(out) + "\r\n"


@dataclass(frozen=True)
class CardIn:
    """What the exporter knows about one party."""

    uid: str
    name: str
    party_type: str
    kind: str
    organisation: str | None
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    address: str | None
    birthday: Birthday | None
    tags: tuple[str, ...]
    notes: str
    source: str | None
    cadence_days: int | None
    payment_terms_days: int | None
    renewal_on: date | None
    rung: str
    referred_by_uid: str | None
    referred_by_name: str | None


def write_card(card: CardIn, prodid: str) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"PRODID:{prodid}", f"UID:{card.uid}", f"FN:{escape(card.name)}"]
    if card.party_type == "organisation":
        lines.append("N:;;;;")
        lines.append(f"ORG:{escape(card.organisation or card.name)}")
        lines.append("X-ABShowAs:COMPANY")
    else:
        words = card.name.rsplit(" ", 1)
        family, given = (words[1], words[0]) if len(words) == 2 else (words[0], "")
        lines.append(f"N:{escape(family)};{escape(given)};;;")
        if card.organisation:
            lines.append(f"ORG:{escape(card.organisation)}")
    for i, email in enumerate(card.emails):
        lines.append(f"EMAIL;TYPE=INTERNET{',PREF' if i == 0 else ''}:{escape(email)}")
    for i, phone in enumerate(card.phones):
        lines.append(f"TEL{';TYPE=PREF' if i == 0 else ''}:{escape(phone)}")
    if card.address:
        lines.append(f"ADR:;;{escape(card.address)};;;;")
    if card.birthday is not None:
        b = card.birthday
        lines.append(f"BDAY:{b.year:04d}-{b.month:02d}-{b.day:02d}" if b.year is not None
                     else f"BDAY:--{b.month:02d}-{b.day:02d}")
    if card.tags:
        lines.append("CATEGORIES:" + ",".join(escape(t) for t in card.tags))
    if card.notes:
        lines.append(f"NOTE:{escape(card.notes)}")
    lines.append(f"X-RELTUI-TYPE:{card.party_type}")
    lines.append(f"X-RELTUI-KIND:{card.kind}")
    lines.append(f"X-RELTUI-RUNG:{card.rung}")
    optional = (("SOURCE", card.source), ("CADENCE", card.cadence_days),
                ("TERMS", card.payment_terms_days),
                ("RENEWAL", card.renewal_on.isoformat() if card.renewal_on else None),
                ("REFERRED-BY", card.referred_by_uid), ("REFERRED-BY-NAME", card.referred_by_name))
    lines.extend(f"X-RELTUI-{key}:{escape(str(value))}" for key, value in optional if value is not None)
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)
