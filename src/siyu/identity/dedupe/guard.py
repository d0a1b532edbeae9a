"""Clusters that do not chain: links accepted strongest first, none that puts two contradicting records together.

Two records contradict when both carry evidence that cannot belong to one person: two full Chinese names whose
pinyin is more than 2 edits apart (a household on one phone: 宋婧萍 and 林枝), two visible surnames that differ
(李* and 王丽), two full dates of birth that are neither equal, a day/month swap nor one digit apart; in other
tables, when contradictions among given name, surname, date (or year) of birth, national id, e-mail and phone
weigh at least 2 and at least as much as what agrees (see `conflict`). A record joining a person of several
records is weighed against what the person's records say together, when it shares the full name or the full date
of birth with them (see `_persons_conflict`).
Two clusters that share a national id or e-mail are never kept apart. A masked 王** compatible with a mother and
her daughter joins its best match only, instead of making them one person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from siyu.engine.local import arrow_sql
from siyu.identity.dedupe.names import soundex

EVIDENCE = ("zh_pinyin", "zh_surname_py", "zh_partial", "zh_last_py", "zh_name", "dob_str", "dob", "given_canon",
            "given", "surname", "national_id", "email", "phone", "address_base", "address_flat", "postcode", "city")


def _edits(a: str, b: str) -> int:
    """Edit distance where swapping two neighbours is one slip (optimal string alignment; short strings)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


@dataclass
class _Member:
    """What one record says that another could contradict."""

    pinyin: str | None = None  # a full name's pinyin
    chars: int = 0  # how many characters the full Chinese name has (0: none known)
    last: str | None = None  # the pinyin of the last character, a full name's or the one a mask left
    surname: str | None = None  # the pinyin of a visible surname
    dob: str | None = None  # a full date of birth as digits (yyyymmdd), valid or one a typo made impossible
    spoilt: bool = False  # `dob` is an impossible date (1980-02-30): its day and month say nothing against
    year: str | None = None  # the year of birth, also when only the year was written
    given: str | None = None
    family: str | None = None  # the surname column, to tell a swap (given ↔ surname) from another person
    ids: frozenset[str] = frozenset()  # national id and e-mail: one person's, whatever else a record got wrong
    national_id: str | None = None
    email: str | None = None
    phone: str | None = None
    flat: tuple[str, str] | None = None  # (building, flat) when the address names a flat: 滨江花园9栋, 5-102
    street: str | None = None  # the address without its flat and spaces ('lexcenavenue')
    area: str | None = None  # the postcode, else the city


def _dob_conflict(a: str, b: str) -> bool:
    """Two dates of birth no typing error turns into each other: 3 or more of the 8 digits differ, and not a
    day/month swap (records are typed with one or two slips; FEBRL's modified dates stay within two digits)."""
    if sum(x != y for x, y in zip(a, b, strict=False)) < 3:
        return False
    return not (a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6])


def _year_conflict(a: str, b: str) -> bool:
    """Two years of birth that differ in two digits or more (1957 / 1972; a slip makes 1957 / 1967)."""
    return sum(x != y for x, y in zip(a, b, strict=False)) >= 2


def _name_conflict(a: str, b: str) -> bool:
    """Two given names (or surnames) that share neither a start, a sound nor most letters (rebecca / henry,
    ward / harris; not jon / john, cook / coko)."""
    if a == b or a.startswith(b) or b.startswith(a) or soundex(a) == soundex(b):
        return False
    return _edits(a, b) > max(3, 0.6 * max(len(a), len(b)))


def _name_agree(a: str | None, b: str | None) -> bool:
    """The same name, or a slip or two apart in a longer one (madeline / madelne, thorpe / thopre)."""
    return bool(a and b and (a == b or _edits(a, b) <= (2 if min(len(a), len(b)) >= 5 else 1)))


def _crossed(a: _Member, b: _Member) -> bool:
    """A given name of one is the surname of the other: written the other way round, in part or whole (smith
    john / john smith; ryan joel / emily ryan)."""
    return _name_agree(a.given, b.family) or _name_agree(a.family, b.given)


def _one_slip(a: str, b: str) -> bool:
    """Two values one typing slip apart: one character changed, or two neighbours swapped."""
    return a != b and len(a) == len(b) and _edits(a, b) == 1


def _same_place(a: _Member, b: _Member) -> bool:
    """One street in one postcode (or city), written with slips, spaces, words in another order or a word more
    ('plantroad blck 1089' / 'plant road blck 1089', 2086 / 2068)."""
    if not (a.street and b.street and a.area and b.area) or _edits(a.area, b.area) > 1:
        return False
    if a.street in b.street or b.street in a.street or _edits(a.street, b.street) <= 2:
        return True
    letters = Counter(a.street)
    letters.subtract(b.street)
    return sum(map(abs, letters.values())) <= 2  # words in another order ('cherry place pinecroft'), a slip


def _births(a: _Member, b: _Member) -> tuple[int, int]:
    """(against, for) the dates of birth weigh. A full date counts twice either way: one person in thousands
    shares it, and one who does not is someone else whatever the name says (two Chloe Bennetts). A date a slip
    apart (1921-10-30 / 19211430) counts once for; an impossible date (1980-02-30) has lost its day and month,
    so only its year can count against, as a year-only date's does."""
    if a.dob and b.dob:
        if a.dob == b.dob:
            return 0, 2
        if _one_slip(a.dob, b.dob):
            return 0, 1
        if not (a.spoilt or b.spoilt):
            return 2 * _dob_conflict(a.dob, b.dob), 0
    return int(bool(a.year and b.year and _year_conflict(a.year, b.year))), 0


def _outcomes(a: _Member, b: _Member) -> dict[str, tuple[int, int]]:
    """(against, for) per kind of evidence both records carry: the names (given name and surname, crossed when
    written the other way round), birth, national id, e-mail, phone and flat. A kind one of them lacks is absent,
    not neutral."""
    swapped = _crossed(a, b)
    out: dict[str, tuple[int, int]] = {}
    pairs = ((a.given, b.family), (a.family, b.given)) if swapped else ((a.given, b.given), (a.family, b.family))
    names = [(int(not swapped and _name_conflict(x, y)), int(_name_agree(x, y))) for x, y in pairs if x and y]
    if names:
        out["names"] = (sum(n[0] for n in names), sum(n[1] for n in names))
    if (a.dob and b.dob) or (a.year and b.year):
        out["birth"] = _births(a, b)
    if a.national_id and b.national_id:
        near = _edits(a.national_id, b.national_id) <= 2
        out["national_id"] = (int(not near), int(near))
    if a.email and b.email:
        out["email"] = (int(_edits(a.email.split("@")[0], b.email.split("@")[0]) > 2), 0)
    if a.phone and b.phone:
        out["phone"] = (int(_edits(a.phone, b.phone) > 2), int(a.phone == b.phone))
    if a.flat and b.flat and a.flat[0] == b.flat[0]:
        out["flat"] = (int(a.flat[1] != b.flat[1]), 0)
    return out


def _full_name_at_one_place(a: _Member, b: _Member, outcomes: dict[str, tuple[int, int]]) -> bool:
    """Both names agree and both records live at one place: households share the place, rarely the full name."""
    return outcomes.get("names", (0, 0))[1] == 2 and _same_place(a, b)


def _weighed(a: _Member, b: _Member) -> tuple[int, int]:
    """(contradictions, agreements) over given name, surname, date (or year) of birth, national id, e-mail,
    phone, flat and place. Names written the other way round agree crossed; a full name at one place (street and
    postcode) weighs 2 more for: households share the place, rarely the full name."""
    outcomes = _outcomes(a, b)
    against, agree = sum(o[0] for o in outcomes.values()), sum(o[1] for o in outcomes.values())
    if against >= 2 and _full_name_at_one_place(a, b, outcomes):  # only where it can matter: streets are long
        agree += 2
    return against, agree


def _decide(against: int, agree: int, same_birth: bool) -> bool:
    """Contradictions that weigh 2 or more and more than what agrees; on a tie, the date of birth decides: born
    on the same day (or a slip apart) is one person (a surname and an id replaced), born years apart two."""
    if against != agree:
        return against >= 2 and against > agree
    return against >= 2 and not same_birth


def conflict(a: _Member, b: _Member) -> bool:
    """Whether two records cannot be one person. A Chinese name or date of birth alone decides. In other tables
    what contradicts (given name, surname, date of birth counted twice, national id, e-mail, phone, flat) must weigh
    2 or more and more than what agrees (on a tie, the date of birth decides), and no id or e-mail be shared, nor a
    national id one slip apart (a typo: two people's ids differ in more, and a checksummed id never by one):
    FEBRL-style exports replace a value of a record at times (a cluster of five such records holds several), so
    one differing name or id is no proof, nor two where more agree; a household on one address and phone (Ward
    and Harris, born 1960 and 1975) and two Chloe Bennetts born 27 years apart are two people."""
    two_chars = 2 in (a.chars, b.chars)
    if a.pinyin and b.pinyin and a.pinyin != b.pinyin and (two_chars or _edits(a.pinyin, b.pinyin) > 2):
        return True  # 刘丽 and 刘泽 are two people; 张伟 and 张炜 (one sound) or 林厚君 / 林厚军 may be one
    if a.last and b.last and a.last != b.last and not (a.chars and b.chars):
        return True  # 王*锦 is not 王达星
    if a.surname and b.surname and a.surname != b.surname:
        return True
    if a.surname or b.surname:
        return bool(a.dob and b.dob and not (a.spoilt or b.spoilt) and _dob_conflict(a.dob, b.dob))
    if a.ids & b.ids or (a.national_id and b.national_id and _one_slip(a.national_id, b.national_id)):
        return False
    against, agree = _weighed(a, b)
    return _decide(against, agree, bool(a.dob and b.dob and (a.dob == b.dob or _one_slip(a.dob, b.dob))))


def _chinese(m: _Member) -> bool:
    return bool(m.pinyin or m.last or m.surname)


def _persons_conflict(xs: list[_Member], ys: list[_Member]) -> bool:
    """Whether a record and a person of several records (no Chinese names) cannot be one person, the person
    weighed as its records describe it together: per kind of evidence, an agreement of any of its records, else
    the strongest contradiction; a kind no pair carries counts for nothing (a record lacking its date of birth
    neither agrees nor disagrees). One record of the person with a replaced name, date or id, lacking its date of
    birth or at another street no longer keeps out a record that agrees with the rest. Only a full name or a full
    date of birth in common can override a contradiction: a household shares a surname, a place and a phone."""
    best: dict[str, tuple[int, int]] = {}
    pairs = [(x, y, _outcomes(x, y)) for x in xs for y in ys]
    for x, y, outcomes in pairs:
        if x.national_id and y.national_id and _one_slip(x.national_id, y.national_id):
            return False
        for kind, outcome in outcomes.items():
            best[kind] = max(best.get(kind, outcome), outcome, key=lambda o: (o[1], o[0] if not o[1] else -o[0]))
    if not (best.get("names") == (0, 2) or best.get("birth") == (0, 2)):
        return True  # what a household shares (a surname, a place, a phone) never overrides a contradiction
    against, agree = sum(o[0] for o in best.values()), sum(o[1] for o in best.values())
    if against >= 2 and any(_full_name_at_one_place(x, y, o) for x, y, o in pairs):
        agree += 2
    return _decide(against, agree, best.get("birth", (0, 0))[1] > 0)


@dataclass
class _Cluster:
    members: list[_Member] = field(default_factory=list)


def _members(records: pa.Table) -> dict[str, _Member]:
    """One `_Member` per record, read column by column (a row-wise read of 10,000 dates took most of the guard)."""
    n = records.num_rows

    def col(name: str) -> list[Any]:
        return records.column(name).to_pylist() if name in records.column_names else [None] * n

    dob, year, spoilt = _dates(records)
    streets = [x.replace(" ", "") if x else None for x in col("address_base")]
    areas = [p or c for p, c in zip(col("postcode"), col("city"), strict=True)]
    names = [len(x or "") for x in col("zh_name")]
    ids = [frozenset(x for x in (a and f"id:{a}", b and f"email:{b}") if x) if a or b else frozenset()
           for a, b in zip(col("national_id"), col("email"), strict=True)]
    return {
        uid: _Member(pinyin=py, surname=sur, dob=birth, spoilt=bad, year=y, last=last, chars=chars, given=given,
                     family=family, ids=i, national_id=nid, email=mail, phone=tel,
                     flat=(base, flat) if base and flat else None, street=street, area=area)
        for uid, py, sur, birth, bad, y, last, chars, given, family, i, nid, mail, tel, base, flat, street, area in zip(
            col("unique_id"), col("zh_pinyin"), col("zh_surname_py"), dob, spoilt, year, col("zh_last_py"), names,
            col("given_canon"), col("surname"), ids, col("national_id"), col("email"), col("phone"),
            col("address_base"), col("address_flat"), streets, areas, strict=True)
    }


#: digits of a date written yyyymmdd that did not parse (1992-12-32, 19651319): still a date a typo spoilt
_SPOILT_DATE = r"^(19|20)[0-9]{2}[01][0-9][0-3][0-9]$"


def _dates(records: pa.Table) -> tuple[list[str | None], list[str | None], list[bool]]:
    """Per record: the full date of birth as yyyymmdd (a parsed date, else the digits of an impossible one;
    not a year-only date, which reads as 1 January), the year of birth (a year-only date's too) and whether the
    full date is an impossible one."""
    n = records.num_rows
    cols = records.column_names
    empty = pa.nulls(n, pa.string())
    digits = records.column("dob_str").combine_chunks() if "dob_str" in cols else empty
    spoilt = pc.if_else(pc.match_substring_regex(digits, _SPOILT_DATE), digits, None)
    year = pc.if_else(pc.match_substring_regex(digits, r"^(19|20)[0-9]{2}"), pc.utf8_slice_codeunits(digits, 0, 4),
                      None)
    if "dob" not in cols:
        return spoilt.to_pylist(), year.to_pylist(), pc.is_valid(spoilt).to_pylist()
    d = records.column("dob").combine_chunks()
    first_of_january = pc.and_(pc.equal(pc.month(d), 1), pc.equal(pc.day(d), 1))  # a year-only date
    full = pc.if_else(first_of_january, None, pc.strftime(d, format="%Y%m%d"))
    full = pc.if_else(pc.is_null(d), spoilt, full)
    year = pc.if_else(pc.is_null(d), year, pc.strftime(d, format="%Y"))
    return full.to_pylist(), year.to_pylist(), pc.and_(pc.is_null(d), pc.is_valid(spoilt)).to_pylist()


#: agreements that belong to one person, not to a household (an address, a surname and a member card are shared)
_PERSONAL = {
    "phone": "p.phone_l = p.phone_r",
    "phone_suffix": "((p.phone_masked_l OR p.phone_masked_r) AND p.phone_prefix_l = p.phone_prefix_r "
                    "AND p.phone_suffix_l = p.phone_suffix_r)",
    "email": "p.email_l = p.email_r",
    "dob_str": "p.dob_str_l = p.dob_str_r",
    "national_id": "p.national_id_l = p.national_id_r",
}


def personal_pairs(pairs: pa.Table, records: pa.Table) -> pa.Table:
    """The pairs that rest on more than a household shares: where either side's name says no more than a surname
    (张**, 潘女士) or nothing (a WeCom nickname), a full phone, a compatible masked phone, an e-mail, a date of
    birth or an id must agree too; a visible surname and a shared address alone never decide."""
    if "zh_partial" not in records.column_names:
        return pairs
    cols = [c for c in ("unique_id", "zh_name", "zh_pinyin", "phone", "phone_masked", "phone_prefix",
                        "phone_suffix", "email", "dob_str", "national_id") if c in records.column_names]
    side = {s: ", ".join(f"{s}.{c} AS {c}_{s}" for c in cols) for s in ("l", "r")}
    personal = " OR ".join(sql for col, sql in _PERSONAL.items() if col in cols) or "false"
    named = "(p.zh_pinyin_l IS NOT NULL AND p.zh_pinyin_r IS NOT NULL)" if "zh_pinyin" in cols else "false"
    sql = f"""
        WITH p AS (
            SELECT q.unique_id_l, q.unique_id_r, q.match_probability, {side['l']}, {side['r']}
            FROM q JOIN d l ON l.unique_id = q.unique_id_l JOIN d r ON r.unique_id = q.unique_id_r
        )
        SELECT unique_id_l, unique_id_r, match_probability FROM p
        WHERE {named} OR coalesce({personal}, false)
    """
    return arrow_sql(sql, q=pairs, d=records.select(cols))


class _Clusters:
    """Union-find whose every set keeps what its records say, so a join can be refused on a contradiction."""

    def __init__(self, members: dict[str, _Member]) -> None:
        self.parent = {uid: uid for uid in members}
        self.members = {uid: [m] for uid, m in members.items()}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def contradict(self, a: str, b: str) -> bool:
        """Some two records of the clusters contradict, and the clusters share no national id or e-mail (a
        record with a replaced surname and id still joins through a relative record that kept the id). A single
        record joining a person of several (no Chinese names) is weighed against the person as a whole
        (`_persons_conflict`): one odd record of the person, lacking its date of birth or holding another street,
        does not keep it out."""
        xs, ys = self.members[a], self.members[b]
        shared = set().union(*(m.ids for m in xs)) & set().union(*(m.ids for m in ys))
        if shared or not any(conflict(x, y) for x in xs for y in ys):
            return False
        if min(len(xs), len(ys)) != 1 or max(len(xs), len(ys)) == 1 or any(_chinese(m) for m in (*xs, *ys)):
            return True
        return _persons_conflict(xs, ys)

    def join(self, left: str, right: str) -> None:
        a, b = self.find(left), self.find(right)
        if a == b or self.contradict(a, b):
            return
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a] += self.members.pop(b)


def _strongest_first(pairs: pa.Table) -> list[tuple[str, str]]:
    rows = zip(pairs.column("match_probability").to_pylist(), pairs.column("unique_id_l").to_pylist(),
               pairs.column("unique_id_r").to_pylist(), strict=True)
    return [(str(a), str(b)) for _, a, b in sorted(rows, key=lambda t: -t[0])]


def guarded_clusters(pairs: pa.Table, records: pa.Table, threshold: float = 0.0,
                     candidates: pa.Table | None = None) -> pa.Table:
    """`(unique_id, cluster_id)` for every record: `pairs(unique_id_l, unique_id_r, match_probability)` of at least
    `threshold`, joined strongest first unless the join would hold two contradicting records.

    Records whose name says no more than a surname (张**, 小潘) join last, and not at all when `candidates` (pairs
    scored lower) show them close to two persons that contradict each other (a masked 林** on a family's phone
    could be the mother or the daughter: it is neither, rather than the wrong one).
    """
    members = _members(records.select([c for c in ("unique_id", *EVIDENCE) if c in records.column_names]))
    strong = pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold))
    order = _strongest_first(strong)
    # only Chinese names come masked or as a bare surname; elsewhere every record counts as named
    chinese = "zh_pinyin" in records.column_names
    named = {uid for uid, m in members.items() if m.pinyin or not chinese}
    clusters = _Clusters(members)
    for a, b in order:
        if a in named and b in named:
            clusters.join(a, b)
    ambiguous = _ambiguous(clusters, named, _strongest_first(candidates if candidates is not None else strong))
    for a, b in order:
        if (a not in named or b not in named) and not ({a, b} & ambiguous):
            clusters.join(a, b)
    ids = list(members)
    return pa.table({"unique_id": pa.array(ids, pa.string()),
                     "cluster_id": pa.array([clusters.find(i) for i in ids])})


def _ambiguous(clusters: _Clusters, named: set[str], pairs: list[tuple[str, str]]) -> set[str]:
    """Unnamed records close to two named persons that contradict each other."""
    near: dict[str, set[str]] = {}
    for a, b in pairs:
        if (a in named) != (b in named):
            unnamed, other = (b, a) if a in named else (a, b)
            near.setdefault(unnamed, set()).add(clusters.find(other))
    out = set()
    for uid, roots in near.items():
        listed = sorted(roots)
        if any(clusters.contradict(x, y) for i, x in enumerate(listed) for y in listed[i + 1:]):
            out.add(uid)
    return out
