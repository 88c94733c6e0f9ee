"""Known short forms of English first names (Bill for William, Peggy for Margaret), as data.

Each full name lists the forms people are commonly known by. A short form that stands for more than one full name
(Alex: Alexander or Alexandra; Sam: Samuel or Samantha) keeps both, and two full names are never taken for each
other through a short form they share: Alexander and Alexandra stay different names, so twins called so stay
apart. Compiled by hand from common English usage; a council adds its own by extending ``FULL_NAMES``.
"""

from __future__ import annotations

from functools import lru_cache

FULL_NAMES: dict[str, tuple[str, ...]] = {
    "alexander": ("alex", "alec", "al", "sandy", "xander", "lex"),
    "alexandra": ("alex", "alexa", "lexi", "lexie", "sandra", "sasha"),
    "alfred": ("alf", "alfie", "fred"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony", "ant"),
    "benjamin": ("ben", "benny", "benji"),
    "catherine": ("cath", "cathy", "kate", "katie", "kat"),
    "katherine": ("kath", "kathy", "kate", "katie", "kat", "kay"),
    "charles": ("charlie", "chas", "chuck"),
    "charlotte": ("charlie", "lottie", "lotte"),
    "christopher": ("chris", "kit", "topher"),
    "christine": ("chris", "chrissie", "tina"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy", "davie"),
    "deborah": ("deb", "debbie", "debs"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "bess"),
    "eleanor": ("ellie", "nell", "nora"),
    "ellen": ("ellie", "nell"),
    "frederick": ("fred", "freddie", "freddy"),
    "gabriel": ("gabe",),
    "harold": ("harry", "hal"),
    "henry": ("harry", "hal", "hank"),
    "isabella": ("bella", "izzy", "issy", "isa"),
    "isabel": ("izzy", "issy", "bel"),
    "jacob": ("jake", "jac"),
    "james": ("jim", "jimmy", "jamie", "jem"),
    "jennifer": ("jen", "jenny", "jenna"),
    "jessica": ("jess", "jessie"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny", "nathan"),
    "joseph": ("joe", "joey", "jos"),
    "josephine": ("jo", "josie", "jojo"),
    "joshua": ("josh",),
    "kimberley": ("kim",),
    "lawrence": ("larry", "laurie"),
    "leonard": ("len", "lenny", "leo"),
    "margaret": ("maggie", "meg", "peggy", "peg", "marge", "madge", "greta"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mick", "mickey", "micky", "mikey"),
    "nathaniel": ("nat", "nate", "nathan"),
    "nicholas": ("nick", "nicky", "nico"),
    "nicola": ("nicky", "nikki", "nic"),
    "oliver": ("olly", "ollie", "ol"),
    "patricia": ("pat", "patty", "trish", "tricia"),
    "patrick": ("pat", "paddy"),
    "peter": ("pete",),
    "rebecca": ("becky", "becca", "bex"),
    "richard": ("rich", "richie", "rick", "ricky", "dick"),
    "robert": ("rob", "robbie", "bob", "bobby", "bert"),
    "ronald": ("ron", "ronnie"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy", "sammie"),
    "sarah": ("sally", "sadie"),
    "stephen": ("steve", "stevie"),
    "steven": ("steve", "stevie"),
    "susan": ("sue", "susie", "suzy"),
    "theodore": ("theo", "ted", "teddy"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "vicki", "tori"),
    "william": ("will", "bill", "billy", "willie", "liam", "wills"),
    "zachary": ("zach", "zac", "zak"),
}

# At most this many full names are kept for a short form (the prepared columns first_full_1 and first_full_2).
MAX_FULL_NAMES = 2


@lru_cache(maxsize=1)
def _full_names_of() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for full, shorts in sorted(FULL_NAMES.items()):
        found.setdefault(full, []).append(full)
        for short in shorts:
            found.setdefault(short, [])
            if full not in found[short]:
                found[short].append(full)
    return {name: tuple(fulls[:MAX_FULL_NAMES]) for name, fulls in found.items()}


def full_names(key: str) -> tuple[str, ...]:
    """The full names a first-name key may stand for: ("william",) for "bill", ("alexander", "alexandra") for "alex",
    the key itself for a full name, and () for a name not in the table."""
    return _full_names_of().get(key, ())


@lru_cache(maxsize=4096)
def known_forms(key: str) -> frozenset[str]:
    """Every name that is the same name as this key by the table: its full names and their short forms ("bill" ->
    william, will, billy, liam...). Empty for a name not in the table."""
    forms: set[str] = set()
    for full in full_names(key):
        forms.add(full)
        forms.update(FULL_NAMES.get(full, ()))
    return frozenset(forms)
