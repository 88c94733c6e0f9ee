"""Pure rules about people: identifiers (NHS number, UPN), postcodes, names for search, and date checks.

Each rule names its source beside it. Nothing here touches the database, so each is tested on its own (with
hypothesis where it is a parser or a check-digit algorithm).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from safeguarding.core.dates import age_on as age_on  # the house's one age reckoning, re-exported

# --- NHS number ------------------------------------------------------------------------------------------------
# Source: NHS Data Dictionary, "NHS NUMBER" (modulus 11 check): weight digits 1-9 by 10..2, sum, remainder mod 11,
# check digit = 11 - remainder; 11 becomes 0; 10 means the number is invalid (never issued).

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_NHS_SEPARATORS = re.compile(r"[\s\-]")


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None where the modulus-11 result is 10 (no valid number)."""
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("an NHS number check digit is computed from nine digits")
    total = sum(int(d) * w for d, w in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise_nhs_number(raw: str) -> str:
    """Spaces and dashes removed (people write "943 476 5919" or "943-476-5919"); nothing else changed."""
    return _NHS_SEPARATORS.sub("", raw.strip())


def nhs_number_problem(raw: str) -> str | None:
    """Why this is not a valid NHS number, in words for the person typing it; None if it is valid."""
    digits = normalise_nhs_number(raw)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return "NHS number must be 10 digits, like 943 476 5919"
    if nhs_check_digit(digits[:9]) != int(digits[9]):
        return "NHS number is not valid: check the digits (the last digit is a check digit)"
    return None


def is_valid_nhs_number(raw: str) -> bool:
    return nhs_number_problem(raw) is None


# --- UPN (unique pupil number) -----------------------------------------------------------------------------------
# Source: DfE CIN census validation rules 1510 (check letter), 1540 (characters 5-12 numeric), 1550 (character 13
# numeric or a letter other than I, O, S), the DfE's CIN census specification; the letter values for a
# temporary UPN's 13th character are from the DfE guide "Unique pupil numbers (UPN)" (same 23-letter alphabet).
# Rule 1530 (characters 2-4 a post-1998 LA code) needs the DfE's LA code list, which the system does not hold yet.

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: A-Z without I, O, S; index = value 0..22
_UPN_BODY = re.compile(r"^[0-9]{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]$")


def normalise_upn(raw: str) -> str:
    """Upper-case, spaces removed: UPNs are stored as 13 upper-case characters."""
    return re.sub(r"\s", "", raw).upper()


def upn_check_letter(body: str) -> str:
    """The check letter (rule 1510) for characters 2-13 of a UPN."""
    body = body.upper()
    if not _UPN_BODY.match(body):
        raise ValueError("a UPN check letter is computed from 11 digits and a digit or letter (not I, O, S)")
    total = 0
    for weight, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else UPN_LETTERS.index(char)
        total += weight * value
    return UPN_LETTERS[total % 23]


def upn_problem(raw: str) -> str | None:
    """Why this is not a valid UPN (rules 1510, 1540, 1550); None if it is valid."""
    upn = normalise_upn(raw)
    if len(upn) != 13:
        return "UPN must be 13 characters: a letter, 11 digits, then a digit or letter"
    if upn[0] not in UPN_LETTERS:
        return "UPN must start with a check letter (A to Z, not I, O or S)"
    if not upn[1:12].isascii() or not upn[1:12].isdigit():
        return "UPN characters 2 to 12 must be digits"
    if not (upn[12].isdigit() and upn[12].isascii()) and upn[12] not in UPN_LETTERS:
        return "UPN character 13 must be a digit or a letter other than I, O or S"
    if upn_check_letter(upn[1:]) != upn[0]:
        return "UPN check letter does not match the rest of the UPN: check it was typed correctly"
    return None


def is_valid_upn(raw: str) -> bool:
    return upn_problem(raw) is None


# Source: CIN census rules 1570 and 1580 (2024-25): LAchildID at most 20 characters, alphanumeric only.
def la_child_id_problem(raw: str) -> str | None:
    if not raw or len(raw) > 20 or not raw.isascii() or not raw.isalnum():
        return "Local child ID must be 1 to 20 letters or digits"
    return None


# --- Postcodes -----------------------------------------------------------------------------------------------------
# Source: the UK postcode format (Royal Mail Programmers' Guide; BS 7666): an outward code of 2-4 characters
# (area letters, district digit, optional digit or letter) and an inward code of a digit and two letters, the
# letters never C, I, K, M, O or V. GIR 0AA is the one historic exception.

_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA)$")


def normalise_postcode(raw: str) -> str:
    """Upper-case with one space before the inward code: "sw1a1aa" -> "SW1A 1AA"."""
    compact = re.sub(r"\s", "", raw).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def is_valid_postcode(raw: str) -> bool:
    return bool(_POSTCODE.match(re.sub(r"\s", "", raw).upper()))


def postcode_problem(raw: str) -> str | None:
    if not is_valid_postcode(raw):
        return "Postcode must be a UK postcode, like SW1A 1AA"
    return None


def postcode_district(postcode: str | None) -> str | None:
    """The outward code of a postcode ("LS8 2AB" -> "LS8"): where people are listed, enough to tell two of one name
    apart and for a worker to recognise the area, without the full address."""
    if not postcode or not postcode.strip():
        return None
    compact = re.sub(r"\s", "", postcode).upper()
    return compact[:-3] if len(compact) > 4 and is_valid_postcode(compact) else None


# --- Names for search ----------------------------------------------------------------------------------------------
# Search keys compare names as people mistype them: case, accents, hyphens, apostrophes and spaces do not matter
# ("O'Brien" = "obrien", "Zoë" = "Zoe", "Mary-Jane" = "Mary Jane"). Phonetic keys (Lawrence Philips' Metaphone,
# via jellyfish) group names that sound alike ("Smyth" = "Smith", "Jon" = "John").

SOUND_KEY_LENGTH = 20  # the width of the *_sound columns


def name_key(name: str) -> str:
    """Case-folded, accents stripped, letters and digits only. Idempotent: name_key(name_key(x)) == name_key(x)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # casefold again: decomposition can reveal characters that fold further (for example some ligatures).
    stripped = unicodedata.normalize("NFKD", stripped.casefold())
    return "".join(c for c in stripped if c.isalnum() and not unicodedata.combining(c))


def sound_key(name: str) -> str:
    """Phonetic key of a name (Metaphone of its search key), upper-case, at most 20 characters."""
    return sound_of_key(name_key(name))


@lru_cache(maxsize=65536)
def sound_of_key(key: str) -> str:
    """Phonetic key of an already normalised search key. Cached: a search scores thousands of records whose names
    repeat (a town has many Smiths), and Metaphone is the costly part of scoring."""
    ascii_only = "".join(c for c in key if c.isascii())
    if not ascii_only:
        return ""
    return jellyfish.metaphone(ascii_only).upper()[:SOUND_KEY_LENGTH]


def clean_name(raw: str) -> str:
    """A name as typed, with surrounding and repeated spaces removed (the stored form; never otherwise altered)."""
    return " ".join(raw.split())


# --- Dates -----------------------------------------------------------------------------------------------------------
# Sources: CIN census rules 8520 (birth on or before the reference date), 8525Q (exactly one of birth date and
# expected birth date), 8530Q (expected birth date no more than 9 months ahead; we allow 10 for late pregnancies
# and 30 days behind), 8535Q (death not before birth), 8775Q (a child over 25 is queried), 8750 (an unborn child's
# sex is U); the DfE's CIN census specification and validation rules.

MAX_AGE_YEARS = 120
CHILD_MAX_AGE_YEARS = 25
EXPECTED_BIRTH_MAX_DAYS_AHEAD = 305  # about 10 months
EXPECTED_BIRTH_MAX_DAYS_BEHIND = 30


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def date_problems(
    *,
    is_child: bool,
    date_of_birth: date | None,
    expected_date_of_birth: date | None,
    date_of_death: date | None,
    sex: str | None,
    today: date,
    check_expected_range: bool = True,
) -> dict[str, str]:
    """Problems with a person's dates, keyed by field. ``check_expected_range`` is off when the expected birth date
    was not changed (an old unborn record is not refused for other edits)."""
    problems: dict[str, str] = {}
    if date_of_birth is not None:
        if date_of_birth > today:
            problems["date_of_birth"] = "Date of birth must be today or in the past"
        elif date_of_birth < years_before(today, MAX_AGE_YEARS):
            problems["date_of_birth"] = f"Date of birth must be within the last {MAX_AGE_YEARS} years"
        elif is_child and date_of_birth <= years_before(today, CHILD_MAX_AGE_YEARS + 1):
            problems["date_of_birth"] = (
                f"A child must be under {CHILD_MAX_AGE_YEARS + 1}: check the date of "
                "birth, or record this person as an adult"
            )
    if expected_date_of_birth is not None:
        if not is_child:
            problems["expected_date_of_birth"] = "Only an unborn child has an expected date of birth"
        elif date_of_birth is not None:
            problems["expected_date_of_birth"] = "Give either the date of birth or the expected date of birth, not both"
        elif check_expected_range and (expected_date_of_birth - today).days > EXPECTED_BIRTH_MAX_DAYS_AHEAD:
            problems["expected_date_of_birth"] = "Expected date of birth must be within the next 10 months"
        elif check_expected_range and (today - expected_date_of_birth).days > EXPECTED_BIRTH_MAX_DAYS_BEHIND:
            problems["expected_date_of_birth"] = (
                "Expected date of birth is more than 30 days ago: if the child "
                "has been born, give the date of birth instead"
            )
        elif sex not in (None, "U"):
            problems["sex"] = "An unborn child's sex must be recorded as Unknown or unborn (CIN rule 8750)"
    if date_of_death is not None:
        if date_of_death > today:
            problems["date_of_death"] = "Date of death must be today or in the past"
        elif date_of_birth is not None and date_of_death < date_of_birth:
            problems["date_of_death"] = "Date of death must not be before the date of birth"
    return problems


# --- Match scoring (search-before-create) ---------------------------------------------------------------------------
# Source: record linkage as the NHS and ONS practise it: deterministic identifiers first (NHS number), then explainable
# probabilistic evidence per field (Fellegi-Sunter in spirit: agreement adds weight, disagreement on a reliable
# identifier takes it away), shown to a person who decides. The weights are set by hand for a search screen, not
# trained; they rank candidates, they never link anyone automatically.

WEIGHT_NHS_MATCH = 60
WEIGHT_NHS_MISMATCH = -50
WEIGHT_NAME_EXACT = 30
WEIGHT_NAME_SIMILAR_MAX = 27
WEIGHT_NAME_TRANSPOSED_PENALTY = 3
WEIGHT_ALIAS_PENALTY = 2
WEIGHT_DOB_MATCH = 25
WEIGHT_DOB_MISMATCH = -15
WEIGHT_POSTCODE_MATCH = 15
LAST_NAME_SIMILARITY = 80  # rapidfuzz ratio (0-100) at which two surnames are taken as the same name misspelt
FIRST_NAME_SIMILARITY = 75

REASON_NHS = "NHS number matches"
REASON_SAME_NAME = "same name"
REASON_SOUNDS_LIKE = "name sounds like"
REASON_TRANSPOSED = "names transposed"
REASON_ALIAS = "matches a name they are also known by"
REASON_DOB = "same date of birth"
REASON_POSTCODE = "same postcode"


@dataclass(frozen=True)
class MatchQuery:
    """What the searcher typed, already normalised (keys, 10-digit NHS number, "SW1A 1AA" postcode)."""

    first_key: str = ""
    last_key: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    postcode: str = ""

    @property
    def has_name(self) -> bool:
        return bool(self.first_key or self.last_key)

    @property
    def is_empty(self) -> bool:
        return not (self.has_name or self.date_of_birth or self.nhs_number or self.postcode)


@dataclass(frozen=True)
class MatchRecord:
    """What is on file for one person, for scoring."""

    first_key: str
    last_key: str
    date_of_birth: date | None = None
    nhs_number: str | None = None
    postcodes: frozenset[str] = frozenset()
    aliases: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MatchScore:
    score: int
    reasons: tuple[str, ...]
    matched: bool  # whether this record belongs among the candidates at all


def _part_matches(query: str, record: str, threshold: int) -> float | None:
    """Similarity (0-100) of one name part, or None when it does not match. An empty query part matches anything;
    a query that is the start of the name ("J", "Jo") matches it."""
    if not query:
        return 100.0
    if not record:
        return None
    if query == record:
        return 100.0
    if record.startswith(query):
        return 90.0
    sound = sound_of_key(query)
    if sound and sound == sound_of_key(record):
        return max(85.0, fuzz.ratio(query, record))
    similarity = fuzz.ratio(query, record)
    return similarity if similarity >= threshold else None


def _name_evidence(first: str, last: str, record_first: str, record_last: str) -> tuple[int, str] | None:
    if first == record_first and last == record_last:
        return WEIGHT_NAME_EXACT, REASON_SAME_NAME
    best: tuple[int, str] | None = None
    straight_last = _part_matches(last, record_last, LAST_NAME_SIMILARITY)
    straight_first = _part_matches(first, record_first, FIRST_NAME_SIMILARITY)
    if straight_last is not None and straight_first is not None:
        points = round(WEIGHT_NAME_SIMILAR_MAX * (straight_last + straight_first) / 200)
        best = (points, REASON_SOUNDS_LIKE)
    if first:
        # Transposed; a lone first name may be a surname typed in the wrong box.
        swapped_last = _part_matches(first, record_last, LAST_NAME_SIMILARITY)
        swapped_first = _part_matches(last, record_first, FIRST_NAME_SIMILARITY)
        if swapped_last is not None and swapped_first is not None:
            points = round(WEIGHT_NAME_SIMILAR_MAX * (swapped_last + swapped_first) / 200)
            points -= WEIGHT_NAME_TRANSPOSED_PENALTY
            if best is None or points > best[0]:
                best = (points, REASON_TRANSPOSED)
    return best


def score_match(query: MatchQuery, record: MatchRecord) -> MatchScore:
    """How well one record matches a search, with the reasons a worker is shown. Pure and deterministic."""
    points = 0
    reasons: list[str] = []
    nhs_matched = False
    if query.nhs_number and record.nhs_number:
        if query.nhs_number == record.nhs_number:
            points += WEIGHT_NHS_MATCH
            reasons.append(REASON_NHS)
            nhs_matched = True
        else:
            points += WEIGHT_NHS_MISMATCH
    name_matched = False
    if query.has_name:
        evidence = _name_evidence(query.first_key, query.last_key, record.first_key, record.last_key)
        for alias_first, alias_last in record.aliases:
            alias = _name_evidence(query.first_key, query.last_key, alias_first, alias_last)
            if alias is not None and (evidence is None or alias[0] - WEIGHT_ALIAS_PENALTY > evidence[0]):
                evidence = (alias[0] - WEIGHT_ALIAS_PENALTY, REASON_ALIAS)
        if evidence is not None:
            name_matched = True
            points += evidence[0]
            reasons.append(evidence[1])
    dob_matched = False
    if query.date_of_birth and record.date_of_birth:
        if query.date_of_birth == record.date_of_birth:
            points += WEIGHT_DOB_MATCH
            reasons.append(REASON_DOB)
            dob_matched = True
        else:
            points += WEIGHT_DOB_MISMATCH
    postcode_matched = bool(query.postcode) and query.postcode in record.postcodes
    if postcode_matched:
        points += WEIGHT_POSTCODE_MATCH
        reasons.append(REASON_POSTCODE)
    if nhs_matched:
        matched = True
    elif query.has_name:
        # A name was given: people with another name are not candidates, however many other details agree.
        matched = name_matched
    else:
        matched = dob_matched or postcode_matched
    return MatchScore(score=max(0, min(100, points)), reasons=tuple(reasons), matched=matched)
