"""The reproducible sample-data generator: the demo book, test fixtures, benchmarks.

`generate(store, parties=300, seed=7, today=...)` fills an empty book with a
made-up specialty-coffee business: consumers who buy beans and gifts (B2C,
kind `customer`) and cafés, offices, vendors, suppliers, distributors and
partners (B2B).  Two years of history end on `today`, shaped so that every
metric in DOMAIN.md has something to show on the default 300-party book:
about fifty parties active a year ago and a retention of 75-90%, a Pareto
revenue curve, a few loss-making parties (the pyramid's lead tier), referrals
and the advocates who made them, rungs that climb and sometimes fall,
parties going cold, overdue follow-ups, birthdays and renewals coming up.

A small team keeps the book: the shop's owner looks after the consumers, three
account managers share the B2B accounts (`TEAM`), and each history row was made
by the party's owner, now and then by a colleague.

Reproducible: the only sources of chance are `random.Random(seed)` and, for who
did what, a second generator seeded from it, and the only clock is `today`, so one seed and one `today` give the same rows in every
table, byte for byte.  Fast: every party's life is planned first with plain
integers (dates as ordinals), then written in batches of 5,000 rows inside one
write transaction (see `_Writer` for how); 100,000 parties, with about a
million interactions, take well under a minute.  All names, emails
(example.com/.org/.net) and phone numbers (555-01xx, 020 7946 0xxx) are
fictional.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, Table, select

from reltui.domain.enums import Rung
from reltui.domain.errors import InvalidInput
from reltui.store import queries, rollups
from reltui.store.engine import Store
from reltui.store.models import (
    ContactPoint,
    Defection,
    Feedback,
    FollowUp,
    Interaction,
    Party,
    PartyTag,
    Purchase,
    RungStep,
)

MAX_PARTIES = 1_000_000
BATCH = 5_000
HISTORY_DAYS = 730  # two years of history before `today`
SHOP_OWNER = "Alex"  # owns the consumers (B2C)
ACCOUNT_MANAGERS = ("Maya", "Tom", "Priya")  # share the B2B accounts
TEAM = (SHOP_OWNER, *ACCOUNT_MANAGERS)
OWN_SHARE = 16  # of OWN_SHARE + len(TEAM) records, about 85%, were made by the owner
SPEND_B2C, SPEND_B2B = 4_500, 30_000  # a typical purchase's revenue, in cents (median)
CACHE_KIB = -200_000  # page cache while generating (a ceiling): fewer spills to the WAL

_PARTY: Table = Party.__table__  # type: ignore[assignment]
_CONTACT: Table = ContactPoint.__table__  # type: ignore[assignment]
_TAG: Table = PartyTag.__table__  # type: ignore[assignment]
_STEP: Table = RungStep.__table__  # type: ignore[assignment]
_INTERACTION: Table = Interaction.__table__  # type: ignore[assignment]
_FOLLOW_UP: Table = FollowUp.__table__  # type: ignore[assignment]
_PURCHASE: Table = Purchase.__table__  # type: ignore[assignment]
_FEEDBACK: Table = Feedback.__table__  # type: ignore[assignment]
_DEFECTION: Table = Defection.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class SampleSummary:
    """How many rows `generate` wrote, per table (follow-ups of every status)."""

    parties: int
    interactions: int
    purchases: int
    follow_ups: int
    feedback: int
    defections: int
    rung_steps: int


# -- word lists ---------------------------------------------------------------------------------

FIRST_NAMES = (
    # Spanish and Portuguese
    "Ana", "María", "José", "Luis", "Sofía", "Mateo", "Camila", "Diego", "Valentina", "Carlos",
    "Tomás", "Inês", "João", "Beatriz",
    # English, Scottish, Irish
    "Emma", "Oliver", "Charlotte", "James", "Amelia", "Harry", "Isla", "George", "Grace", "Jack",
    "Liam", "Aoife", "Siobhan", "Cian", "Fiona", "Callum",
    # German, Dutch, French, Italian
    "Lukas", "Anna", "Jonas", "Lea", "Felix", "Daan", "Sanne", "Léa", "Hugo", "Chloé", "Louis",
    "Camille", "Giulia", "Marco", "Francesca", "Luca",
    # Nordic, Finnish, Polish, Czech, Russian, Greek
    "Sven", "Ingrid", "Astrid", "Søren", "Freja", "Eero", "Aino", "Zofia", "Piotr", "Jakub",
    "Tereza", "Olga", "Dmitri", "Irina", "Eleni", "Nikos",
    # Japanese, Chinese, Korean, Vietnamese
    "Yuki", "Haruto", "Sakura", "Ren", "Wei", "Mei", "Jun", "Xin", "Min-jun", "Seo-yeon", "Ji-ho",
    "Thanh", "Linh", "Minh",
    # South Asian, Arabic, Turkish, Persian, Hebrew
    "Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Deepa", "Fatima", "Omar", "Aisha", "Youssef",
    "Layla", "Hassan", "Mehmet", "Elif", "Zeynep", "Dariush", "Noa", "Eitan",
    # African, Pacific, Latin American
    "Chidi", "Amara", "Kwame", "Ngozi", "Tunde", "Zanele", "Kai", "Leilani", "Ximena", "Joaquín",
)

LAST_NAMES = (
    "Silva", "García", "Martínez", "Rodríguez", "López", "Hernández", "González", "Pérez", "Santos",
    "Oliveira", "Ferreira", "Costa", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson",
    "Evans", "Thomas", "Roberts", "Walker", "Murphy", "O'Brien", "Kelly", "Byrne", "MacDonald",
    "Fraser", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "de Vries",
    "Jansen", "Bakker", "Dubois", "Martin", "Bernard", "Lefèvre", "Moreau", "Rossi", "Russo",
    "Bianchi", "Romano", "Colombo", "Johansson", "Andersson", "Nilsson", "Hansen", "Larsen",
    "Nieminen", "Virtanen", "Kowalski", "Nowak", "Novák", "Horvat", "Nagy", "Ivanov", "Petrov",
    "Papadopoulos", "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Wang", "Li", "Zhang",
    "Liu", "Chen", "Kim", "Lee", "Park", "Choi", "Nguyen", "Tran", "Pham", "Sharma", "Patel",
    "Singh", "Kumar", "Gupta", "Iyer", "Khan", "Haddad", "Mansour", "Nasser", "Rahman",
    "Yılmaz", "Kaya", "Demir", "Cohen", "Levi", "Okafor", "Mensah", "Adeyemi", "Nkosi",
    "Mwangi", "Kahale", "Tehrani",
)

COMPANY_FIRST = (
    "Northwind", "Bluebird", "Cedar", "Harbour", "Summit", "Maple", "Oakridge", "Silverline",
    "Redstone", "Greenfield", "Lakeside", "Brightwater", "Ironbridge", "Copperleaf", "Stonegate",
    "Riverbend", "Sunrise", "Westbrook", "Eastgate", "Highland", "Pinecrest", "Goldcrest",
    "Foxglove", "Willow", "Kestrel", "Meridian", "Atlas", "Beacon", "Horizon", "Juniper",
    "Lumen", "Orchard", "Polar", "Quarry", "Saffron", "Tidewater", "Union", "Vista", "Zephyr",
    "Amber",
)
COMPANY_SECOND = (
    "Trading", "Supplies", "Foods", "Logistics", "Design", "Print", "Roasters", "Coffee",
    "Hardware", "Electrics", "Bakery", "Studio", "Imports", "Distribution", "Systems", "Works",
    "Farms", "Packaging", "Furniture", "Consulting", "Media", "Tools", "Café", "Kitchens",
    "Ceramics", "Outfitters", "Labs", "Brewing", "Hotels", "Deli",
)
COMPANY_SUFFIX = ("Ltd", "Ltd", "LLC", "Inc.", "GmbH", "B.V.", "S.A.", "& Co.", "AB", "Oy",
                  "Pty Ltd", "S.r.l.", "K.K.", "Co-op")

STREETS = ("Elm Street", "High Street", "Harbour Road", "Mill Lane", "Station Road",
           "Church Street", "Park Avenue", "Market Square", "Oak Lane", "Queen's Road",
           "Bridge Street", "Orchard Way", "Canal Walk", "Hillside Drive", "Rose Court")
CITIES = ("Springfield", "Riverton", "Fairview", "Lakewood", "Greenville", "Kingsbridge",
          "Ashford", "Brookside", "Millbrook", "Westhaven", "Northam", "Port Ellis")
US_AREAS = ("212", "312", "415", "617", "206", "303", "512", "702", "404", "503")

TAGS_B2C = ("vip", "newsletter", "local", "loyalty-card", "gift-buyer", "subscriber", "online",
            "events")
TAGS_B2B = ("wholesale", "trade-show", "key-account", "newsletter", "local", "late-payer",
            "net-terms", "eco", "vip")

PRODUCTS_B2C = ("house blend beans (1 kg)", "single-origin beans (250 g)", "gift box",
                "espresso machine service", "tea sampler", "ceramic mug set",
                "coffee subscription (3 months)", "gift card", "tasting evening", "burr grinder",
                "machine repair", "seasonal hamper", "cold brew kit", "pour-over set")
PRODUCTS_B2B = ("wholesale beans (20 kg)", "café equipment lease", "barista training day",
                "maintenance contract", "bulk cups and lids", "grinder installation",
                "annual supply contract", "private-label blend", "office coffee service",
                "espresso machine (commercial)", "syrups and sauces (case)", "event catering")

SUBJECTS = (
    "Quarterly review", "Quote for {p}", "Invoice question", "Order follow-up", "Delivery update",
    "Thank-you call", "Renewal discussion", "Complaint about {p}", "Intro meeting",
    "Tasting invitation", "Newsletter reply", "Price list request", "Payment reminder",
    "Feedback on {p}", "Catch-up", "Trade-show meeting", "Support request", "Order for {p}",
    "Contract terms", "Question about {p}", "Sample request: {p}", "Welcome call",
)
INTERACTION_NOTES = (
    "Wants a sample before ordering.", "Asked about delivery times.",
    "Happy with the last order.", "Prefers to be called in the morning.",
    "- prefers email\n- call back next week", "Mentioned a friend who might be interested.",
    "Budget is tight this quarter.", "- discussed volumes\n- sent the price list",
    "Complained the parcel arrived late.", "Interested in the subscription.",
    "Asked for an invoice copy.", "Will decide after the holidays.",
    "**Important:** allergic to nuts, no hazelnut syrup.", "Visited the roastery, loved the tour.",
)
OUTCOMES = ("Quote sent", "Order placed", "Left voicemail", "No answer", "Resolved",
            "Needs follow-up", "Meeting booked", "Price agreed", "Escalated", "Declined for now",
            "Sample sent", "Invoice resent")
FOLLOW_UP_TEXTS = (
    "Call about {p}", "Send quote for {p}", "Check in after delivery", "Chase unpaid invoice",
    "Renewal meeting", "Send the new price list", "Invite to the tasting evening",
    "Ask for feedback on {p}", "Send a birthday card", "Quarterly review",
    "Confirm delivery date", "Thank them for the referral", "Offer a loyalty discount",
    "Follow up on {p} demo",
)
FEEDBACK_GOOD = ("Best coffee in town.", "Always friendly and quick.", "Love the subscription.",
                 "Great advice on the grinder.", "Reliable deliveries, great beans.",
                 "Would recommend to anyone.")
FEEDBACK_MID = ("Good, but delivery could be faster.", "Fine overall.",
                "A bit pricey, but good quality.", "Website checkout was confusing.")
FEEDBACK_BAD = ("Order arrived late twice.", "Too expensive for what it is.",
                "Nobody answered my emails.", "Beans tasted stale.",
                "Invoice errors every month.")
DEFECTION_NOTES = {
    "price": ("Found a cheaper roaster.", "The spring price rise was too much.",
              "Asked for a discount we could not give."),
    "service": ("Two late deliveries in a row.", "Unhappy with how the complaint was handled.",
                "Felt ignored after the account manager left."),
    "quality": ("Said the last batches were inconsistent.", "Machine kept breaking down."),
    "competitor": ("Switched to a national chain.", "A competitor offered free equipment."),
    "moved": ("Moved abroad.", "Closed the shop.", "Office relocated out of the area."),
    "no-need": ("Stopped drinking coffee.", "Office now works remotely.",
                "Event series ended."),
    "other": ("No reason given.", "Personal reasons."),
}
NOTE_HEADINGS = ("Preferences", "Background", "Account notes", "Things to remember")
NOTE_BULLETS = (
    "prefers oat milk", "orders before the holidays", "likes dark roasts", "decaf only after 2pm",
    "pays by bank transfer", "has two kids", "runs a book club", "cycles to the shop",
    "asks for *compostable* packaging", "interested in barista training",
    "owner is the decision maker", "purchasing via procurement portal",
    "send invoices to accounts", "met at the trade show", "loves the Ethiopian single-origin",
    "call before 10am", "dog-friendly visits", "wants quarterly business reviews",
)

KINDS_B2B = {"business": 40, "vendor": 12, "supplier": 14, "distributor": 12, "partner": 12,
             "other": 10}
BUYER_CHANCE = {"customer": 0.84, "business": 0.88, "vendor": 0.40, "supplier": 0.40,
                "distributor": 0.90, "partner": 0.80, "other": 0.60}
SOURCES_B2C = {"walk-in": 40, "web": 30, "event": 12, "ads": 15, "partner": 3}
SOURCES_B2B = {"web": 25, "event": 30, "partner": 20, "ads": 10, "walk-in": 5}
REASONS = {"price": 30, "service": 25, "quality": 12, "competitor": 14, "moved": 10,
           "no-need": 7, "other": 2}
CHANNELS = {"email": 34, "call": 24, "meeting": 10, "message": 12, "social": 5, "visit": 8,
            "letter": 2, "note": 5}
RUNGS = Rung.values()  # the ladder, lowest first: an index is a level
SCORES_HAPPY = {10: 32, 9: 27, 8: 16, 7: 10, 6: 5, 5: 4, 4: 2, 3: 2, 2: 1, 1: 1}
SCORES_UNHAPPY = {9: 4, 8: 10, 7: 14, 6: 16, 5: 16, 4: 14, 3: 11, 2: 7, 1: 4, 0: 4}


def _expand(weights: dict) -> tuple:
    """A weighted choice as a flat tuple: pick with t[int(random() * len(t))]."""
    return tuple(value for value, weight in weights.items() for _ in range(weight))


def _slug(text: str, sep: str = "") -> str:
    """ASCII, lowercase, letters and digits only ('Søren' -> 'soren', 'de Vries' -> 'devries')."""
    text = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("ı", "i"))
    text = text.encode("ascii", "ignore").decode().lower()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in text.split()]
    return sep.join(word for word in words if word)


def _gauss(rnd: Callable[[], float]) -> float:
    """A standard normal deviate from `rnd` alone (Box-Muller, one of the pair)."""
    return math.sqrt(-2.0 * math.log(1.0 - rnd())) * math.cos(2.0 * math.pi * rnd())


def _poisson(rnd: Callable[[], float], lam: float) -> int:
    """A Poisson deviate (Knuth; a normal approximation for large means)."""
    if lam <= 0:
        return 0
    if lam > 40:  # Knuth's loop would be slow and its product would underflow
        return max(0, round(lam + math.sqrt(lam) * _gauss(rnd)))
    limit, k, prod = math.exp(-lam), 0, rnd()
    while prod > limit:
        k += 1
        prod *= rnd()
    return k


class _Plan:
    """One party's life, planned with dates as ordinals before any row is written."""

    __slots__ = (
        "id", "kind", "person", "name", "org", "first", "last", "created", "buys", "defect",
        "won_back", "value", "margin", "cadence", "referrer", "referrals", "feedback", "steps",
        "int_lo", "int_hi", "int_anchor", "n_int", "n_open", "n_closed", "closed_hi", "emails",
        "phones", "tags", "owner", "makers",
    )

    def __init__(self) -> None:
        self.buys: list[int] = []
        self.defect: int | None = None
        self.won_back: int | None = None
        self.referrer: int | None = None
        self.referrals: list[int] = []
        self.feedback: list[tuple[int, int]] = []
        self.steps: list[tuple[str | None, str, int, str]] = []
        self.org: str | None = None
        self.int_anchor: int | None = None

    def active_on(self, day: int) -> bool:
        """DOMAIN.md: bought on or before `day` and not defected on or before it."""
        if not self.buys or self.buys[0] > day:
            return False
        if self.defect is None or self.defect > day:
            return True
        return self.won_back is not None and self.won_back <= day

    def lost_on(self, day: int) -> bool:
        """Defected and not (yet) won back on `day`."""
        return (self.defect is not None and self.defect <= day
                and (self.won_back is None or self.won_back > day))


# -- the generator ------------------------------------------------------------------------------


def generate(
    store: Store,
    *,
    parties: int = 300,
    seed: int = 7,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SampleSummary:
    """Fill an empty book with `parties` made-up parties and two years of history up to `today`.

    Refuses (InvalidInput) a book that already has parties, or a count outside 1..1,000,000.
    Everything is written in one transaction; `progress(done, total)` is called per batch.
    """
    if isinstance(parties, bool) or not isinstance(parties, int):
        raise InvalidInput(f"The number of parties must be a whole number (got {parties!r}).")
    if not 1 <= parties <= MAX_PARTIES:
        raise InvalidInput(
            f"The number of parties must be from 1 to {MAX_PARTIES:,} (got {parties:,})."
        )
    if today is None:
        today = date.today()
    elif isinstance(today, datetime):
        today = today.date()
    rng = random.Random(seed)
    with store.write() as conn:
        if conn.execute(select(_PARTY.c.id).limit(1)).first() is not None:
            raise InvalidInput(
                f"{store.label} already has parties; sample data goes into an empty book only."
            )
        plans = _plan(rng, parties, today.toordinal())
        who = _plan_team(plans, seed)
        with queries.page_cache(conn, CACHE_KIB):
            return _Writer(conn, rng, today, plans, progress, who).run()


# -- planning -----------------------------------------------------------------------------------


def _plan(rng: random.Random, count: int, T: int) -> list[_Plan]:
    """Decide every party's dates and counts (no rows yet), ids in order of creation."""
    rnd = rng.random
    kinds_b2b = _expand(KINDS_B2B)
    S = T - 365  # the start of the default 12-month period
    plans: list[_Plan] = []
    for _ in range(count):
        p = _Plan()
        p.kind = "customer" if rnd() < 0.70 else kinds_b2b[int(rnd() * len(kinds_b2b))]
        b2b = p.kind != "customer"
        p.person = (rnd() < 0.20) if b2b else True
        p.first = int(rnd() * len(FIRST_NAMES))
        p.last = int(rnd() * len(LAST_NAMES))
        if p.person:
            p.name = f"{FIRST_NAMES[p.first]} {LAST_NAMES[p.last]}"
            if rnd() < (0.6 if b2b else 0.12):
                p.org = _company(rnd)[1]
        else:
            p.name, p.org = _company(rnd)
        if rnd() < 0.05:  # older than the two years
            p.created = T - HISTORY_DAYS - 1 - int(rnd() * 900)
        else:  # a growing business: more parties added recently
            p.created = T - int(HISTORY_DAYS * (1.0 - rnd() ** 0.42))
        plans.append(p)
    plans.sort(key=lambda p: p.created)  # stable: ties keep their (seeded) order
    for number, p in enumerate(plans, start=1):
        p.id = number

    for p in plans:
        _plan_purchases(p, rnd, T, S)
    _plan_referrals(plans, rnd)
    for p in plans:
        _plan_feedback(p, rnd, T)
        _plan_rungs(p, rnd, T)
        _plan_contact(p, rnd, T)
    return plans


def _plan_team(plans: list[_Plan], seed: int) -> Callable[[], float]:
    """Who owns each party and who made its records: a generator of its own (seeded from
    `seed`), so the rest of the book is the same rows with or without a team."""
    team = random.Random(f"team-{seed}")
    trnd = team.random
    makers = {owner: (owner,) * OWN_SHARE + TEAM for owner in TEAM}
    for p in plans:
        if p.kind == "customer":
            p.owner = SHOP_OWNER
        else:
            p.owner = ACCOUNT_MANAGERS[int(trnd() * len(ACCOUNT_MANAGERS))]
        p.makers = makers[p.owner]
    return trnd


def _plan_purchases(p: _Plan, rnd: Callable[[], float], T: int, S: int) -> None:
    b2b = p.kind != "customer"
    # the party's spend level (lognormal: a few big accounts, a long tail) and margin
    p.value = math.exp(math.log(SPEND_B2B if b2b else SPEND_B2C) + 0.65 * _gauss(rnd))
    p.margin = 1.05 + 0.35 * rnd() if rnd() < 0.06 else 0.5 + 0.4 * rnd()
    if rnd() >= BUYER_CHANCE[p.kind]:
        return
    delay = 0 if rnd() < 0.3 else int(-20.0 * math.log(1.0 - rnd()))
    first = p.created + delay
    if first > T:
        return
    # defection: about a fifth of those active a year ago leave during the year (a few
    # come back); fewer of the newer customers; none before the two years of history
    if first <= S - 30:
        u = rnd()
        lo = max(first + 30, T - HISTORY_DAYS)
        if u < 0.12 and lo <= S:
            p.defect = lo + int(rnd() * (S - lo + 1))
        elif u < 0.12 + 0.20:
            p.defect = S + 1 + int(rnd() * (T - S))
    elif first + 30 <= T and rnd() < 0.09:
        p.defect = first + 30 + int(rnd() * (T - first - 29))
    if p.defect is not None and rnd() < 0.35:
        back = p.defect + 20 + int(rnd() * 150)
        if back < T:
            p.won_back = back
    spans = [(first, T if p.defect is None else p.defect - 1)]
    if p.won_back is not None:
        spans.append((p.won_back, T))
    buys = [first]
    if rnd() >= 0.33:  # a repeat buyer; the bigger the spender, the more often
        days = sum(hi - lo + 1 for lo, hi in spans)
        rate = 7.0 * (p.value / (SPEND_B2B if b2b else SPEND_B2C)) ** 0.25
        extra = _poisson(rnd, rate * days / 365.0)
        for _ in range(extra):
            k = int(rnd() * days)
            for lo, hi in spans:
                if k <= hi - lo:
                    buys.append(lo + k)
                    break
                k -= hi - lo + 1
    if p.won_back is not None and rnd() < 0.8:
        buys.append(p.won_back + int(rnd() * (T - p.won_back + 1)))
    buys.sort()
    p.buys = buys


def _plan_referrals(plans: list[_Plan], rnd: Callable[[], float]) -> None:
    """~10% of parties came by referral from an earlier party that was a buyer at the time."""
    hubs: list[_Plan] = []
    for index, p in enumerate(plans):
        if index < 5 or rnd() >= 0.11:
            continue
        for _ in range(6):
            if hubs and rnd() < 0.4:
                cand = hubs[int(rnd() * len(hubs))]
            else:
                cand = plans[int(rnd() * index)]
            if cand.id < p.id and cand.active_on(p.created):
                p.referrer = cand.id
                cand.referrals.append(p.created)
                if len(cand.referrals) == 1:
                    hubs.append(cand)
                break


def _plan_feedback(p: _Plan, rnd: Callable[[], float], T: int) -> None:
    if not p.buys or rnd() >= 0.30:
        return
    end = T if p.defect is None else p.defect - 1
    first = p.buys[0]
    if end < first:
        return
    n = 1 + (rnd() < 0.35) + (rnd() < 0.10)
    days = sorted(first + int(rnd() * (end - first + 1)) for _ in range(n))
    souring = T + 1 if p.defect is None else p.defect - 120  # unhappy in their last months
    p.feedback = []
    for day in days:
        scores = _SCORES_UNHAPPY if day >= souring else _SCORES_HAPPY
        p.feedback.append((day, scores[int(rnd() * len(scores))]))


_SCORES_HAPPY = _expand(SCORES_HAPPY)
_SCORES_UNHAPPY = _expand(SCORES_UNHAPPY)


def _plan_rungs(p: _Plan, rnd: Callable[[], float], T: int) -> None:
    """The rung history: steps driven by purchases, referrals, feedback, partnership."""
    events: list[tuple[int, int, int]] = []  # (day, what, score)
    buys = p.buys
    if buys:
        events.append((buys[0], 0, 0))
        if len(buys) > 1:
            events.append((buys[1], 1, 0))
            if rnd() < 0.12:  # buying dried up for a while: the manager moves them down
                events.append((buys[1] + int(rnd() * max(1, T - buys[1])), 5, 0))
            if len(buys) > 3 and rnd() < 0.2:  # a regular who likes us
                events.append((buys[3], 7, 0))
            if len(buys) > 3 and rnd() < 0.04:  # recommends us, no referral on record
                events.append((buys[2] + int(rnd() * max(1, T - buys[2])), 6, 0))
    events.extend((day, 2, 0) for day in p.referrals)
    events.extend((day, 3, score) for day, score in p.feedback)
    partner_chance = {"partner": 0.65, "distributor": 0.08, "business": 0.03}.get(p.kind, 0.0)
    if rnd() < partner_chance:
        start = buys[0] if buys else p.created
        events.append((min(T, start + 10 + int(rnd() * 150)), 4, 0))
    events.sort()

    rung = 1 if buys and buys[0] == p.created else 0
    steps = [(None, RUNGS[rung], p.created, "added")]
    last = p.created
    for day, what, score in events:
        if day > T or p.lost_on(day):
            continue
        target, note = -1, ""
        if what == 0:
            if rung == 0 and rnd() < 0.92:
                target, note = 1, "first order"
        elif what == 1:
            if rung <= 1 and rnd() < 0.88:
                target, note = 2, "ordering regularly"
        elif what == 2:
            if rung < 4 and rnd() < 0.9:
                target, note = 4, "referred a friend"
        elif what == 3:
            if score >= 9 and rung == 2 and rnd() < 0.6:
                target, note = 3, f"scored us {score}/10"
            elif score <= 4 and 1 < rung < 5 and rnd() < 0.7:
                target, note = rung - 1, f"unhappy (scored {score}/10)"
        elif what == 4:
            if rung < 5:
                target, note = 5, "signed a partnership agreement"
        elif what == 5:
            if 1 < rung < 5:
                target, note = rung - 1, "no orders for months"
        elif what == 6:
            if 2 <= rung < 4:
                target, note = 4, "recommends us to colleagues"
        elif what == 7:
            if rung == 2:
                target, note = 3, "a regular; says good things about us"
        if target < 0 or target == rung:
            continue
        if rnd() < 0.4:
            note = ""
        on = day if rnd() < 0.5 else day + int(rnd() * 10)
        if p.defect is not None and day < p.defect <= on:
            on = day
        on = min(T, max(last, on))
        steps.append((RUNGS[rung], RUNGS[target], on, note))
        rung, last = target, on
    p.steps = steps


def _plan_contact(p: _Plan, rnd: Callable[[], float], T: int) -> None:
    """Cadence, interaction window and count, follow-up counts, emails, phones, tags."""
    b2b = p.kind != "customer"
    lost_now = p.lost_on(T)
    p.cadence = (30, 30, 60, 90, 14)[int(rnd() * 5)] if b2b else (14, 30, 60, 60, 90)[int(rnd() * 5)]
    if rnd() >= 0.6:
        p.cadence = None
    lo = p.created
    hi = min(T, p.defect + int(rnd() * 20)) if lost_now else T
    # interactions per year: B2B talk more; prospects less
    rate = math.exp(math.log(20.0 if b2b else 12.0) + 0.55 * _gauss(rnd))
    if not p.buys:
        rate *= 0.6
    anchor = None
    if p.cadence is not None and not lost_now:
        if rnd() < 0.25:  # going cold: nothing since before the cadence ran out
            hi = T - p.cadence - 3 - int(rnd() * 60)
        elif lo <= T:
            anchor = max(lo, T - p.cadence + 1 + int(rnd() * p.cadence))
    if hi < lo:
        n = 0
    else:
        n = int(rate * (hi - lo + 1) / 365.0 + rnd())
        if n == 0 and rnd() < 0.8:
            n = 1
    if anchor is not None:
        n += 1
    p.int_lo, p.int_hi, p.int_anchor, p.n_int = lo, hi, anchor, n
    # follow-ups: open ones for the parties still with us, done/cancelled over their life
    p.n_open = (1 + (rnd() < 0.25) + (rnd() < 0.06)) if not lost_now and rnd() < 0.42 else 0
    p.closed_hi = (p.defect if p.defect is not None and lost_now else T) - 1
    span = p.closed_hi - (p.created + 1)
    p.n_closed = _poisson(rnd, (1.8 if b2b else 1.1) * span / 365.0) if span > 0 else 0
    p.emails = 1 + (rnd() < 0.3)
    u = rnd()
    p.phones = 0 if u < 0.3 else (1 if u < 0.8 else 2)
    vocab = TAGS_B2B if b2b else TAGS_B2C
    tags: list[str] = []
    if rnd() < 0.6:
        for _ in range(1 + (rnd() < 0.4) + (rnd() < 0.15)):
            tag = vocab[int(rnd() * len(vocab))]
            if tag not in tags:
                tags.append(tag)
    big_spender = p.value > 2.5 * (SPEND_B2B if b2b else SPEND_B2C)
    if big_spender and p.buys and "vip" not in tags and rnd() < 0.7:
        tags.append("vip")
    p.tags = sorted(tags)


# -- writing ------------------------------------------------------------------------------------


class _Writer:
    """Turns the plans into rows, batch by batch, inside the caller's transaction.

    The parties, their contact points and tags go through `conn.execute(table.insert(),
    rows)` with dict rows (`flush`).  The history tables (over a million rows at the
    benchmark size) go through `bulk`: the INSERT is compiled once from the same Core
    table, and tuples of driver-ready values go to the DBAPI's executemany on the same
    connection, skipping SQLAlchemy's per-row parameter processing.  That is what keeps
    100,000 parties near 35 s on two cores; Core with dicts everywhere takes about 48 s
    for the very same bytes.  The values are what SQLAlchemy's own bind processors make
    of the date, datetime and time objects, computed once per distinct value:
    '2026-11-22', '2026-11-22 09:30:00.000000', '09:30:00.000000' (a test reads them
    back through SQLAlchemy).
    """

    def __init__(self, conn: Connection, rng: random.Random, today: date, plans: list[_Plan],
                 progress: Callable[[int, int], None] | None, who: Callable[[], float]) -> None:
        self.conn = conn
        self.rnd = rng.random
        self.who = who  # picks who made a record (a generator apart from rnd)
        self.T = today.toordinal()
        self.plans = plans
        self.progress = progress
        self.counts: dict[str, int] = {}
        self._sql: dict[str, str] = {}  # INSERT statements by table, compiled once
        self.done = 0
        self.total = len(plans) * 2 + sum(  # the rollup refresh counts as one row a party
            len(p.steps) + p.n_int + p.n_open + p.n_closed + len(p.buys) + len(p.feedback)
            + (p.defect is not None) + p.emails + p.phones + len(p.tags)
            for p in plans
        )
        # Every date is an ordinal; these turn one into a value, by index (ordinal - base):
        # objects for the Core inserts, and for the driver-level ones the text that
        # SQLAlchemy's own bind processors make of them, computed once per distinct value.
        self.base = min(min(p.created for p in plans), self.T) - 1
        span = range(self.base, self.T + 400)
        self.days = [date.fromordinal(o) for o in span]
        self.midnights = [datetime.fromordinal(o) for o in span]  # naive local time
        self.slots = [timedelta(hours=h, minutes=m) for h in range(8, 19) for m in range(0, 60, 5)]
        to_day = _processor(conn, _PURCHASE.c.on_date)
        to_moment = _processor(conn, _INTERACTION.c.at)
        to_time = _processor(conn, _FOLLOW_UP.c.due_time)
        self.day_text = [to_day(d) for d in self.days]
        # A moment's text is its day's text and a suffix for the time of day.
        self.slot_text = [to_moment(self.midnights[0] + slot)[len(self.day_text[0]):]
                          for slot in self.slots]
        last = to_moment(self.midnights[-1] + self.slots[-1])
        if last != self.day_text[-1] + self.slot_text[-1]:
            raise RuntimeError(f"Unexpected timestamp format from SQLAlchemy: {last!r}")
        self.time_text = [to_time(time(h, m)) for h in range(9, 18) for m in (0, 30)]

    # -- output ----------------------------------------------------------------------------

    def _advance(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def flush(self, table: Table, rows: list[dict]) -> None:
        """Insert dict rows through SQLAlchemy Core, then empty the list."""
        if not rows:
            return
        # Party, contact_point and party_tag carry the search-index triggers, and one row
        # per statement (a plain executemany) makes FTS5 flush its pending index at every
        # statement: 5-7 times slower.  With RETURNING, SQLAlchemy sends multi-row
        # INSERT ... VALUES statements ("insertmanyvalues") instead.
        key = _PARTY.c.id if table is _PARTY else table.c.party_id
        self.conn.execute(table.insert().returning(key), rows).close()
        self._advance(len(rows))
        rows.clear()

    def bulk(self, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert tuple rows (values in `columns` order, driver-ready), then empty the list."""
        if not rows:
            return
        sql = self._sql.get(table.name)
        if sql is None:
            mark = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
            sql = self._sql[table.name] = (f"INSERT INTO {table.name} ({', '.join(columns)})"
                                           f" VALUES ({', '.join([mark] * len(columns))})")
        self.conn.exec_driver_sql(sql, rows)
        self._advance(len(rows))
        rows.clear()

    def run(self) -> SampleSummary:
        # The search index (party_search) is kept by triggers, and every firing rewrites
        # the party's whole FTS5 row, so one firing per contact point and per tag costs
        # about as much as all the interactions.  Hence the order: contact points and tags
        # go in first, while the parties have no index row yet and their triggers find
        # nothing to update (foreign keys are checked at commit instead, then); then each
        # party's insert trigger writes its index row whole, contacts and tags included.
        # A test checks the index against the tables.
        queries.defer_foreign_keys(self.conn)
        with rollups.day_totals_at_the_end(self.conn):
            self.write_contacts_and_tags()
            self.write_parties()
            self.write_steps()
            self.write_purchases()
            self.write_feedback_and_defections()
            self.write_follow_ups()
            self.write_interactions()
        queries.ids_written(self.conn)
        rollups.refresh(self.conn)
        self._advance(len(self.plans))
        c = self.counts
        return SampleSummary(
            parties=len(self.plans), interactions=c["interactions"], purchases=c["purchases"],
            follow_ups=c["follow_ups"], feedback=c["feedback"], defections=c["defections"],
            rung_steps=c["rung_steps"],
        )

    # -- parties ---------------------------------------------------------------------------

    def write_contacts_and_tags(self) -> None:
        """Every party's contact points and tags."""
        rnd = self.rnd
        domains = ("example.com", "example.org", "example.net")
        seen: dict[str, int] = {}
        firsts = [_slug(n) for n in FIRST_NAMES]
        lasts = [_slug(n) for n in LAST_NAMES]
        rows: list[dict] = []
        tag_rows: list[dict] = []
        for p in self.plans:
            position = 0
            for n in range(p.emails):
                domain = domains[int(rnd() * 3)]
                if p.person:
                    first, last = firsts[p.first], lasts[p.last]
                    form = int(rnd() * 4) if n == 0 else 4
                    local = (f"{first}.{last}", f"{first}{last}", f"{first[0]}.{last}",
                             f"{first}_{last}", f"{first}{int(rnd() * 90) + 10}")[form]
                    label = "home" if not p.org else ("work", "home")[n]
                else:
                    kind = ("info", "orders", "accounts", "hello")[int(rnd() * 4)]
                    local = f"{kind}.{_slug(p.name, '-')}"
                    label = "work"
                address = f"{local}@{domain}"
                taken = seen.get(address, 0)
                seen[address] = taken + 1
                if taken:  # keep addresses unique: a second Ana Silva is ana.silva2@...
                    address = f"{local}{taken + 1}@{domain}"
                value = address.capitalize() if rnd() < 0.08 else address
                rows.append({"party_id": p.id, "kind": "email", "value": value, "label": label,
                             "norm": address, "position": position})
                position += 1
            for _ in range(p.phones):
                if rnd() < 0.6:  # North American fictional numbers: 555-0100 to 555-0199
                    area = US_AREAS[int(rnd() * len(US_AREAS))]
                    tail = int(rnd() * 100)
                    value, norm = f"+1 {area} 555-01{tail:02d}", f"1{area}55501{tail:02d}"
                else:  # Ofcom's drama range: 020 7946 0000 to 0999
                    tail = int(rnd() * 1000)
                    value, norm = f"+44 20 7946 0{tail:03d}", f"442079460{tail:03d}"
                label = ("mobile", "work", "home")[int(rnd() * 3)] if p.person else "office"
                rows.append({"party_id": p.id, "kind": "phone", "value": value, "label": label,
                             "norm": norm, "position": position})
                position += 1
            tag_rows.extend({"party_id": p.id, "tag": tag} for tag in p.tags)
            if len(rows) >= BATCH:
                self.flush(_CONTACT, rows)
            if len(tag_rows) >= BATCH:
                self.flush(_TAG, tag_rows)
        self.flush(_CONTACT, rows)
        self.flush(_TAG, tag_rows)

    def write_parties(self) -> None:
        rnd, T, days, base = self.rnd, self.T, self.days, self.base
        near = [date.fromordinal(T + k) for k in range(15)]
        rows: list[dict] = []
        for p in self.plans:
            b2b = p.kind != "customer"
            month = day = year = None
            if p.person and rnd() < 0.6:
                if rnd() < 0.12:  # coming up within the next two weeks
                    soon = near[int(rnd() * 15)]
                else:
                    soon = date.fromordinal(730_486 + int(rnd() * 365))  # a day of 2001
                month, day = soon.month, soon.day
                if rnd() >= 0.15:  # the rest don't tell their age
                    year = 1945 + int(rnd() * 60)
                    if month == 2 and day == 29:
                        year = 1948 + 4 * int(rnd() * 14)
            address = None
            if rnd() < 0.4:
                address = (f"{1 + int(rnd() * 180)} {STREETS[int(rnd() * len(STREETS))]}, "
                           f"{CITIES[int(rnd() * len(CITIES))]}")
            notes = ""
            if rnd() < 0.25:
                bullets = {NOTE_BULLETS[int(rnd() * len(NOTE_BULLETS))]: None
                           for _ in range(2 + int(rnd() * 3))}  # a dict: unique, in order
                notes = (f"## {NOTE_HEADINGS[int(rnd() * len(NOTE_HEADINGS))]}\n\n"
                         + "\n".join(f"- {b}" for b in bullets) + "\n")
            if p.referrer is not None:
                source = "referral"
            elif rnd() < 0.06:
                source = None
            else:
                choices = _SOURCES_B2B if b2b else _SOURCES_B2C
                source = choices[int(rnd() * len(choices))]
            terms = renewal = None
            if b2b:
                if rnd() < 0.85:
                    terms = (30, 30, 45, 60)[int(rnd() * 4)]
                if rnd() < 0.8 and not p.lost_on(T):
                    ahead = int(rnd() * 15) if rnd() < 0.15 else 15 + int(rnd() * 350)
                    renewal = days[T + ahead - base]
            _, rung, rung_since, _ = p.steps[-1]
            changed = max(p.created, rung_since, p.defect or 0, p.won_back or 0)
            rows.append({
                "id": p.id, "name": p.name,
                "party_type": "person" if p.person else "organisation",
                "kind": p.kind, "organisation": p.org, "address": address,
                "birthday_month": month, "birthday_day": day, "birthday_year": year,
                "notes": notes, "source": source, "referred_by_id": p.referrer,
                "cadence_days": p.cadence, "payment_terms_days": terms, "renewal_on": renewal,
                "rung": rung, "rung_since": days[rung_since - base],
                "defected_on": days[p.defect - base] if p.lost_on(T) else None,
                "created_on": days[p.created - base],
                "updated_at": self.midnights[changed - base] + self.slots[int(rnd() * 132)],
                "owner": p.owner,
            })
            if len(rows) >= BATCH:
                self.flush(_PARTY, rows)
        self.flush(_PARTY, rows)

    # -- history ---------------------------------------------------------------------------

    def write_steps(self) -> None:
        columns = ("party_id", "from_rung", "to_rung", "on_date", "note", "made_by")
        text, base, who = self.day_text, self.base, self.who
        rows: list[tuple] = []
        for p in self.plans:
            pid, makers = p.id, p.makers
            n = len(makers)
            rows.extend((pid, a, b, text[on - base], note, makers[int(who() * n)])
                        for a, b, on, note in p.steps)
            if len(rows) >= BATCH:
                self.bulk(_STEP, columns, rows)
        self.bulk(_STEP, columns, rows)
        self.counts["rung_steps"] = sum(len(p.steps) for p in self.plans)

    def write_purchases(self) -> None:
        columns = ("party_id", "on_date", "what", "revenue_cents", "cost_cents", "made_by")
        rnd, text, base, who = self.rnd, self.day_text, self.base, self.who
        rows: list[tuple] = []
        for p in self.plans:
            makers = p.makers
            b2b = p.kind != "customer"
            products = PRODUCTS_B2B if b2b else PRODUCTS_B2C
            for on in p.buys:
                amount = p.value * math.exp(0.35 * _gauss(rnd))
                revenue = max(100, int(amount / 100 + 0.5) * 100 - (0 if b2b else 1))
                cost = None  # not always known
                if rnd() >= 0.03:
                    cost = max(0, int(revenue * (p.margin + 0.08 * (rnd() - 0.5))))
                rows.append((p.id, text[on - base], products[int(rnd() * len(products))],
                             revenue, cost, makers[int(who() * len(makers))]))
            if len(rows) >= BATCH:
                self.bulk(_PURCHASE, columns, rows)
        self.bulk(_PURCHASE, columns, rows)
        self.counts["purchases"] = sum(len(p.buys) for p in self.plans)

    def write_feedback_and_defections(self) -> None:
        fb_columns = ("party_id", "on_date", "score", "comment", "made_by")
        def_columns = ("party_id", "on_date", "reason", "note", "won_back_on", "made_by")
        rnd, text, base, who = self.rnd, self.day_text, self.base, self.who
        rows: list[tuple] = []
        lost: list[tuple] = []
        for p in self.plans:
            makers = p.makers
            for on, score in p.feedback:
                comment = ""
                if rnd() < 0.45:
                    pool = (FEEDBACK_GOOD if score >= 9 else FEEDBACK_MID if score >= 7
                            else FEEDBACK_BAD)
                    comment = pool[int(rnd() * len(pool))]
                rows.append((p.id, text[on - base], score, comment, makers[int(who() * len(makers))]))
            if p.defect is not None:
                reason = _REASONS[int(rnd() * len(_REASONS))]
                notes = DEFECTION_NOTES[reason]
                note = notes[int(rnd() * len(notes))] if rnd() < 0.85 else ""
                won_back = None if p.won_back is None else text[p.won_back - base]
                lost.append((p.id, text[p.defect - base], reason, note, won_back, p.owner))
            if len(rows) >= BATCH:
                self.bulk(_FEEDBACK, fb_columns, rows)
            if len(lost) >= BATCH:
                self.bulk(_DEFECTION, def_columns, lost)
        self.bulk(_FEEDBACK, fb_columns, rows)
        self.bulk(_DEFECTION, def_columns, lost)
        self.counts["feedback"] = sum(len(p.feedback) for p in self.plans)
        self.counts["defections"] = sum(p.defect is not None for p in self.plans)

    def write_follow_ups(self) -> None:
        columns = ("party_id", "due_on", "due_time", "text", "priority", "repeat", "status",
                   "done_on", "created_on", "made_by")
        rnd, T, text, base, times = self.rnd, self.T, self.day_text, self.base, self.time_text
        who = self.who
        repeats = ("weekly", "monthly", "monthly", "quarterly", "quarterly", "yearly")
        rows: list[tuple] = []
        for p in self.plans:
            products = PRODUCTS_B2B if p.kind != "customer" else PRODUCTS_B2C
            makers = p.makers
            for n in range(p.n_closed + p.n_open):
                what = FOLLOW_UP_TEXTS[int(rnd() * len(FOLLOW_UP_TEXTS))]
                if "{p}" in what:
                    what = what.replace("{p}", products[int(rnd() * len(products))])
                u = rnd()
                priority = "low" if u < 0.2 else "high" if u > 0.8 else "normal"
                due_time = times[int(rnd() * len(times))] if rnd() < 0.2 else None
                repeat = done = None
                if n < p.n_closed:  # in the past: done (on time or late) or cancelled
                    due = p.created + 1 + int(rnd() * (p.closed_hi - p.created))
                    made = max(p.created, due - 1 - int(rnd() * 30))
                    if rnd() < 0.12:
                        status = "cancelled"
                    else:
                        status = "done"
                        if rnd() < 0.8:  # on time, or early
                            done = max(made, due - (0 if rnd() < 0.6 else 1 + int(rnd() * 3)))
                        else:
                            done = min(T, due + 1 + int(rnd() * 20))
                else:  # open: from 20 days overdue to 60 days ahead
                    status = "open"
                    u = rnd()
                    if u < 0.05:
                        ahead = 0
                    elif u < 0.30:
                        ahead = -1 - int(rnd() * 20)
                    else:
                        ahead = 1 + int(rnd() * 60)
                    due = max(T + ahead, p.created)
                    made = max(p.created, min(T, due - 1 - int(rnd() * 30)))
                    if rnd() < 0.08:
                        repeat = repeats[int(rnd() * len(repeats))]
                rows.append((p.id, text[due - base], due_time, what, priority, repeat, status,
                             None if done is None else text[done - base], text[made - base],
                             makers[int(who() * len(makers))]))
            if len(rows) >= BATCH:
                self.bulk(_FOLLOW_UP, columns, rows)
        self.bulk(_FOLLOW_UP, columns, rows)
        self.counts["follow_ups"] = sum(p.n_closed + p.n_open for p in self.plans)

    def write_interactions(self) -> None:
        columns = ("party_id", "at", "channel", "direction", "subject", "notes", "outcome", "made_by")
        rnd, T, text, base, slots = self.rnd, self.T, self.day_text, self.base, self.slot_text
        who = self.who
        ways, notes, outcomes = _WAYS, _NOTES_OR_NOT, _OUTCOMES_OR_NOT
        n_ways, n_notes, n_outcomes = len(ways), len(notes), len(outcomes)
        subjects_c = _subjects(PRODUCTS_B2C)
        subjects_b = _subjects(PRODUCTS_B2B)
        rows: list[tuple] = []
        for p in self.plans:
            if not p.n_int:
                continue
            lo, hi = p.int_lo, p.int_hi
            width = hi - lo + 1
            recent_lo = max(lo, hi - 90)
            recent_width = hi - recent_lo + 1
            days = [] if p.int_anchor is None else [p.int_anchor]
            for _ in range(p.n_int - len(days)):  # a third in the last three months
                if rnd() < 0.35:
                    days.append(recent_lo + int(rnd() * recent_width))
                else:
                    days.append(lo + int(rnd() * width))
            days.sort()
            subjects = subjects_b if p.kind != "customer" else subjects_c
            n_subjects = len(subjects)
            farewell = p.defect if p.lost_on(T) else None
            pid, makers = p.id, p.makers
            n_makers = len(makers)
            for day in days:
                subject = subjects[int(rnd() * n_subjects)]
                if farewell is not None and day >= farewell:
                    subject, farewell = "Account closed", None
                channel, direction = ways[int(rnd() * n_ways)]
                rows.append((pid, text[day - base] + slots[int(rnd() * 132)], channel, direction,
                             subject, notes[int(rnd() * n_notes)],
                             outcomes[int(rnd() * n_outcomes)], makers[int(who() * n_makers)]))
            if len(rows) >= BATCH:
                self.bulk(_INTERACTION, columns, rows)
        self.bulk(_INTERACTION, columns, rows)
        self.counts["interactions"] = sum(p.n_int for p in self.plans)


_SOURCES_B2C = _expand(SOURCES_B2C)
_SOURCES_B2B = _expand(SOURCES_B2B)
_REASONS = _expand(REASONS)
# (channel, direction) pairs: ~42% inbound; a note is always the manager's own
_WAYS = tuple(
    (channel, "outbound" if channel == "note" or k >= 42 else "inbound")
    for channel in _expand(CHANNELS) for k in range(100)
)
_NOTES_OR_NOT = INTERACTION_NOTES + ("",) * 33  # notes on ~30%
_OUTCOMES_OR_NOT = OUTCOMES + (None,) * 36  # an outcome on 25%


def _processor(conn: Connection, column) -> Callable:  # noqa: ANN001
    """The function SQLAlchemy applies to a Python value bound to `column` on this engine;
    where it leaves the value to the driver (PostgreSQL's), ISO text, which the server
    reads into the column's type."""
    dialect = conn.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is not None:
        return process
    return lambda value: value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()


def _subjects(products: tuple[str, ...]) -> tuple[str, ...]:
    """Every subject template, filled: templates with a product once per product, weighted
    so that each template is about equally likely."""
    out: list[str] = []
    for template in SUBJECTS:
        if "{p}" in template:
            out.extend(template.replace("{p}", product) for product in products)
        else:
            out.extend([template] * len(products))
    return tuple(out)


def _company(rnd: Callable[[], float]) -> tuple[str, str]:
    """A made-up company: ('Northwind Roasters', 'Northwind Roasters Ltd')."""
    name = (f"{COMPANY_FIRST[int(rnd() * len(COMPANY_FIRST))]} "
            f"{COMPANY_SECOND[int(rnd() * len(COMPANY_SECOND))]}")
    return name, f"{name} {COMPANY_SUFFIX[int(rnd() * len(COMPANY_SUFFIX))]}"
