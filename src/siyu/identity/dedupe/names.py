"""Name knowledge that string distance cannot see: short forms of given names, and how names sound.

The nickname groups are a small hand-written list of the common English short forms (Tom/Thomas,
Bill/William …): each short form maps to a canonical full name, so 'bill' and 'william' compare equal.
"""

from __future__ import annotations

_GROUPS = {
    "william": "bill billy will willy liam", "robert": "bob bobby rob robbie bert", "thomas": "tom tommy",
    "richard": "dick rick ricky rich richie", "james": "jim jimmy jamie", "john": "jack johnny jon",
    "joseph": "joe joey", "charles": "charlie chuck chas", "michael": "mike mick mikey mickey",
    "edward": "ed eddie ted teddy ned", "elizabeth": "liz lizzie beth betty eliza libby bess",
    "margaret": "maggie meg peggy marge madge", "katherine": "kate katie kathy cathy kath catherine kat",
    "christopher": "chris kit", "christine": "chris chrissy tina", "daniel": "dan danny",
    "david": "dave davy", "anthony": "tony", "benjamin": "ben benny", "samuel": "sam sammy",
    "alexander": "alex alec sandy xander", "alexandra": "alex sandra lexi", "andrew": "andy drew",
    "matthew": "matt matty", "nicholas": "nick nicky", "patrick": "pat paddy", "peter": "pete",
    "stephen": "steve stevie steven", "timothy": "tim timmy", "jonathan": "jon jonny",
    "jennifer": "jen jenny jenn", "jessica": "jess jessie", "rebecca": "becky becca", "susan": "sue susie",
    "deborah": "deb debbie", "patricia": "pat patty tricia trish", "victoria": "vicky tori",
    "gregory": "greg", "raymond": "ray", "ronald": "ron ronnie", "donald": "don donnie",
    "kenneth": "ken kenny", "lawrence": "larry laurie", "leonard": "leo len lenny", "frederick": "fred freddie",
    "harold": "harry hal", "henry": "hank harry", "gerald": "gerry jerry", "jacob": "jake",
    "joshua": "josh", "zachary": "zach zack", "nathaniel": "nate nat nathan", "abigail": "abby",
    "samantha": "sam sammie", "dorothy": "dot dottie", "frances": "fran frankie", "francis": "frank",
    "eleanor": "ellie nell nora", "isabella": "bella izzy", "gabriel": "gabe", "theodore": "theo ted",
    "joanne": "jo", "josephine": "jo josie", "louise": "lou", "louis": "lou", "madeline": "maddie",
    "natalie": "nat", "olivia": "liv", "pamela": "pam", "penelope": "penny", "sophia": "sophie",
    "vincent": "vince vinny", "walter": "walt wally", "albert": "al bert", "alfred": "alf fred",
    "arthur": "art", "douglas": "doug", "eugene": "gene", "jeffrey": "jeff", "joel": "joe",
    "mitchell": "mitch", "philip": "phil pip", "russell": "russ", "stanley": "stan", "terence": "terry",
}
NICKNAMES: dict[str, str] = {}
for full, shorts in _GROUPS.items():
    NICKNAMES.setdefault(full, full)
    for short in shorts.split():
        NICKNAMES.setdefault(short, full)

_SOUNDEX = {c: d for d, letters in {"1": "bfpv", "2": "cgjkqsxz", "3": "dt", "4": "l", "5": "mn", "6": "r"}.items()
            for c in letters}


def canonical_given(name: str | None) -> str | None:
    """'bill' → 'william'; unknown names are returned unchanged."""
    return None if name is None else NICKNAMES.get(name, name)


def soundex(word: str | None) -> str | None:
    """American Soundex (R163 for Robert and Rupert): spelling variants that sound alike share a code."""
    letters = [c for c in (word or "").lower() if "a" <= c <= "z"]
    if not letters:
        return None
    out, last = letters[0].upper(), _SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        code = _SOUNDEX.get(c, "")
        if code and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]
