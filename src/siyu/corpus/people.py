"""Clean people to corrupt: English ones shaped like FEBRL's, and Chinese ones from the demo brand's gazetteer.

Households are built in: a share of people live with someone already drawn (same address; often the same
phone or member card; a child keeps the surname, a spouse does not). They are different people a matcher must
keep apart.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from siyu.demo import gazetteer as gz
from siyu.identity.dedupe.names import NICKNAMES


def _words(text: str) -> list[str]:
    return text.split()


GIVEN_EN = sorted({full for full in NICKNAMES.values()} | {
    "emily", "olivia", "chloe", "jack", "lachlan", "mia", "ruby", "grace", "noah", "ethan", "liam", "zoe", "hannah",
    "lucy", "oscar", "harrison", "isabel", "sienna", "connor", "riley", "jasmine", "tahlia", "caitlin", "brooke",
})
SURNAMES_EN = _words(
    "smith jones williams brown wilson taylor johnson white martin anderson thompson nguyen thomas walker harris "
    "lee ryan robinson kelly king davis wright evans roberts green hall wood jackson clarke patel khan lewis james "
    "phillips mitchell campbell turner murphy clark baker allen morris cooper scott edwards young hill ward hughes "
    "carter morgan collins cook bell watson stewart parker graham price mcdonald bennett reid ross macdonald"
)
SUBURBS = _words(
    "richmond carlton fitzroy brunswick hawthorn kew northcote preston coburg footscray yarraville sunshine "
    "parramatta blacktown penrith liverpool campbelltown hornsby chatswood manly bondi randwick glebe newtown "
    "toowong indooroopilly chermside fremantle subiaco joondalup glenelg norwood belconnen woden tuggeranong"
)
STATES = ["nsw", "vic", "qld", "wa", "sa", "tas", "act", "nt"]
STREETS = ["main street", "high street", "george street", "king street", "church street", "station road",
           "park avenue", "victoria road", "elizabeth street", "william street", "bridge road", "hill street"]


@dataclass
class Person:
    key: str
    given: str
    surname: str
    gender: str
    dob: dt.date
    phone: str
    email: str | None
    address: str
    city: str
    state: str
    postcode: str
    district: str = ""
    chinese: bool = False
    member_card: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The full name as its own culture writes it (Chinese: surname first, no space)."""
        return self.surname + self.given if self.chinese else f"{self.given} {self.surname}"


def _dob(rng: random.Random) -> dt.date:
    return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice(gz.MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def _household(rng: random.Random, people: list[Person], make: Person) -> Person:
    """`make` moved in with someone already drawn: same address, often the same phone or card."""
    host = rng.choice(people)
    make.address, make.city, make.state, make.postcode, make.district = (
        host.address, host.city, host.state, host.postcode, host.district)
    if "street_number" in host.extra:
        make.extra["street_number"] = host.extra["street_number"]
    if rng.random() < 0.5:
        make.phone = host.phone
    if rng.random() < 0.6:
        make.member_card = host.member_card
    if rng.random() < 0.5:
        make.surname = host.surname  # a child; a spouse keeps their own
    return make


def english_people(n: int, rng: random.Random, households: float) -> list[Person]:
    people: list[Person] = []
    for i in range(n):
        given, surname = rng.choice(GIVEN_EN), rng.choice(SURNAMES_EN)
        suburb = rng.choice(SUBURBS)
        p = Person(
            key=f"E{i:06d}", given=given, surname=surname, gender=rng.choice("mf"), dob=_dob(rng),
            phone=f"0{rng.randrange(2, 9)} {rng.randrange(10**4):04d} {rng.randrange(10**4):04d}",
            email=f"{given}.{surname}{rng.randrange(100)}@example.com" if rng.random() < 0.6 else None,
            address=f"{rng.choice(STREETS)}", city=suburb, state=rng.choice(STATES),
            postcode=str(2000 + SUBURBS.index(suburb) * 37 % 6000),
            member_card=f"M{rng.randrange(10**7):07d}",
            extra={"street_number": str(rng.randrange(1, 300)), "ssn": f"{rng.randrange(10**7):07d}"},
        )
        if people and rng.random() < households:
            p = _household(rng, people, p)
        people.append(p)
    return people


_PLACES = [(p, c, d, w / len(ds)) for p, c, ds, w in gz.PLACES for d in ds]
_GIVEN_F = list(dict.fromkeys(gz.GIVEN_FEMALE))
_GIVEN_M = list(dict.fromkeys(gz.GIVEN_MALE))


def chinese_people(n: int, rng: random.Random, households: float) -> list[Person]:
    surnames, weights = zip(*gz.SURNAMES, strict=True)
    places = rng.choices(_PLACES, weights=[w for *_, w in _PLACES], k=n)
    people: list[Person] = []
    for i in range(n):
        female = rng.random() < 0.8
        pool = _GIVEN_F if female else _GIVEN_M
        given = "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.25 else 2))
        prov, city, district, _ = places[i]
        street = (f"{rng.choice(gz.STREETS)}{rng.randrange(1, 999)}号{rng.choice(gz.COMMUNITIES)}"
                  f"{rng.randrange(1, 30)}栋{rng.randrange(1, 33)}0{rng.randrange(1, 5)}室")
        p = Person(
            key=f"C{i:06d}", given=given, surname=rng.choices(surnames, weights=weights)[0],
            gender="女" if female else "男", dob=_dob(rng), phone=_mobile(rng),
            email=f"{rng.randrange(10**5, 10**10)}@{rng.choice(gz.EMAIL_DOMAINS)}" if rng.random() < 0.4 else None,
            address=street, city=city, state=prov, postcode="", district=district,
            member_card=f"VIP{rng.randrange(10**8):08d}" if rng.random() < 0.5 else None, chinese=True,
        )
        if people and rng.random() < households:
            p = _household(rng, people, p)
        people.append(p)
    return people


def demo_people(n: int, seed: int) -> list[Person]:
    """The demo brand's persons (siyu.demo), as clean Chinese people."""
    import numpy as np

    from siyu.demo.config import DemoConfig
    from siyu.demo.persons import make_persons

    table = make_persons(DemoConfig(persons=n), np.random.default_rng(seed)).table().to_pylist()
    out = []
    for row in table:
        name = row["name"]
        sur = name[:2] if name[:2] in ("欧阳", "司马", "上官") else name[:1]
        out.append(Person(
            key=row["person_key"], given=name[len(sur):], surname=sur, gender="女" if row["gender"] == "f" else "男",
            dob=row["birthday"], phone=row["phone"], email=row["email"], address=row["address"], city=row["city"],
            state=row["province"], postcode="", district=row["district"], member_card=None, chinese=True,
        ))
    return out
