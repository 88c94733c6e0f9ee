"""Pure rules of a child in care: the SSDA903 code sets, the order events must come in, and the SSDA903 episodes
derived from the events of care (never typed).

Source: DfE, "Children looked after return (SSDA903): guide" and its code sets, as restated by the D2I validator
(data-to-insight/csc-validator-be-903, rules 143, 225, 434, 436, 501, 502).

An episode is "a period during which the legal status, placement and carer stay the same". A new episode starts on
the day any of them changes, with its reason (RNE):

- ``S`` started to be looked after;
- ``L`` legal status only;
- ``P`` placement and carer(s);
- ``T`` placement, same carer(s);
- ``U`` legal status and placement, same carer(s);
- ``B`` legal status, placement and carer(s).

Decided here, following the DfE's wording:

- A change of carer with no change of placement type or address opens a ``P`` episode: the 903 has no "carer only"
  reason, and the DfE counts a new carer as a new placement (with its own PLACE, provider and postcode, kept).
- Changes on the same day make one episode with the reason of all of them together (a new legal status and a new
  carer on 3 May is one ``B`` episode, not an ``L`` then a ``P`` episode of no length); changes on the day the
  child came into care belong to the ``S`` episode.
- The episode before a new one ends the day the new one starts (DEC = the next DECOM, REC ``X1``): episodes of a
  period are contiguous and never overlap (D2I rule 501). The reason for a placement change (REASON_PLACE_CHANGE)
  is recorded on the episode that *ends* with the move, as the D2I rule 225 reads it ("REC X1 and the next episode's
  RNE is P, B, T or U").
- A change that changes nothing (the same legal status recorded again) opens no episode.

``episodes`` takes and gives plain values (``CareChange`` in, ``Episode`` out, with ``Episode.row()`` in the DfE's
column names), so the SSDA903 export can call it without the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Final

from safeguarding.core.dates import long_date

# --- code sets (SSDA903) ----------------------------------------------------------------------------------------

LEGAL_STATUSES: Final = MappingProxyType(
    {
        "C1": "Interim care order",
        "C2": "Full care order",
        "E1": "Placement order granted",
        "V2": "Single period of accommodation under section 20",
        "V3": "Agreed series of short-term breaks, individual episodes recorded",
        "V4": "Agreed series of short-term breaks, agreements recorded",
        "L1": "Police protection and in local authority accommodation",
        "L2": "Emergency protection order",
        "L3": "Child assessment order and in local authority accommodation",
        "J1": "Remanded to local authority or youth detention accommodation",
        "J2": "Placed in local authority accommodation under PACE 1984",
        "J3": "Sentenced to a youth rehabilitation order with residence or intensive fostering requirement",
    }
)
# D1 (freeing order) is invalid for episodes from December 2005 (DfE; D2I rule 445): not offered.

CATEGORIES_OF_NEED: Final = MappingProxyType(
    {
        "N1": "Abuse or neglect",
        "N2": "Child's disability",
        "N3": "Parental disability or illness",
        "N4": "Family in acute stress",
        "N5": "Family dysfunction",
        "N6": "Socially unacceptable behaviour",
        "N7": "Low income",
        "N8": "Absent parenting",
    }
)

# The 2025-26 list: H5, P2 and Z1 are no longer valid, Z1 split into Z11-Z14.
PLACEMENT_TYPES: Final = MappingProxyType(
    {
        "U1": "Foster placement with relative or friend, long term",
        "U2": "Foster placement with relative or friend who is also an approved adopter",
        "U3": "Foster placement with relative or friend, other",
        "U4": "Other foster placement, long term",
        "U5": "Other foster placement with a carer who is also an approved adopter",
        "U6": "Other foster placement, other",
        "A3": "Placed for adoption with parental consent, with current foster carers",
        "A4": "Placed for adoption with parental consent, not with current foster carers",
        "A5": "Placed for adoption under a placement order, with current foster carers",
        "A6": "Placed for adoption under a placement order, not with current foster carers",
        "K1": "Secure children's home",
        "K2": "Children's home",
        "K3": "Supported accommodation",
        "P1": "Placed with own parents or others with parental responsibility",
        "P3": "Residential employment",
        "R1": "Residential care home",
        "R2": "NHS or health trust or other medical or nursing establishment",
        "R3": "Family centre or mother and baby unit",
        "R5": "Young offender institution or prison",
        "S1": "Residential school",
        "T0": "Temporary move of any type",
        "T1": "Temporary period in hospital",
        "T2": "Temporary absence on holiday",
        "T3": "Temporary accommodation while the usual foster carer is on holiday",
        "T4": "Temporary accommodation of 7 days or less for other reasons",
        "Z11": "Other placement (Z11)",
        "Z12": "Other placement (Z12)",
        "Z13": "Other placement (Z13)",
        "Z14": "Other placement (Z14)",
    }
)
TEMPORARY_PLACEMENTS: Final = frozenset({"T0", "T1", "T2", "T3", "T4"})
# PLACE_PROVIDER is not required for temporary and "other" placements.
NO_PROVIDER_PLACEMENTS: Final = TEMPORARY_PLACEMENTS | {"Z11", "Z12", "Z13", "Z14"}
# Placements with no Ofsted URN (SSDA903 rule 222): with parents, residential employment, custody, temporary and
# "other" placements. A foster placement's URN is its fostering service's; a children's home's, the home's.
NO_URN_PLACEMENTS: Final = NO_PROVIDER_PLACEMENTS | {"P1", "P3", "R5"}

PLACEMENT_PROVIDERS: Final = MappingProxyType(
    {
        "PR0": "Parents or a person with parental responsibility",
        "PR1": "The council's own provision",
        "PR2": "Another council's provision",
        "PR3": "Other public provision (for example the NHS)",
        "PR4": "Private provision",
        "PR5": "Voluntary or third sector provision",
    }
)

REASONS_PLACEMENT_CHANGED: Final = MappingProxyType(
    {
        "CARPL": "Change to or carrying out the care plan",
        "CLOSE": "Resignation of the carer or closure of the provision",
        "ALLEG": "Allegation (section 47)",
        "STAND": "Concern about standards of care",
        "APPRR": "Approval of the carer removed",
        "CREQB": "Carer asked for the placement to end because of the child's behaviour",
        "CREQO": "Carer asked for the placement to end for other reasons",
        "CHILD": "Child asked for the placement to end",
        "LAREQ": "The responsible or area council asked for the placement to end",
        "PLACE": "Change in the status of the placement only",
        "CUSTOD": "Custody arrangement",
        "OTHER": "Other",
    }
)

# REC: why an episode ended. X1 is written by ``episodes``; the others are reasons for leaving care.
X1: Final = "X1"
REASONS_LEFT_CARE: Final = MappingProxyType(
    {
        "E11": "Adopted: application unopposed",
        "E12": "Adopted: consent dispensed with",
        "E13": "Left care to live with parents, relatives or others without parental responsibility",
        "E14": "Accommodation on remand ended",
        "E15": "Age assessment found the child to be 18 or over",
        "E16": "Child moved abroad",
        "E17": "Aged 18 or over and stayed with their carers (staying put)",
        "E2": "Died",
        "E3": "Care taken over by another council",
        "E4A": "Returned home to parents or relatives as part of the care plan",
        "E4B": "Returned home to parents or relatives, not part of the care plan",
        "E41": "Child arrangements order granted",
        "E45": "Special guardianship order: former foster carer who is a relative or friend",
        "E46": "Special guardianship order: former foster carer, other",
        "E47": "Special guardianship order: carer who is a relative or friend, not a former foster carer",
        "E48": "Special guardianship order: other",
        "E5": "Moved into independent living with support",
        "E6": "Moved into independent living without support",
        "E7": "Moved to residential care funded by adult social care",
        "E8": "Period of care ended for any other reason",
        "E9": "Sentenced to custody",
    }
)

REVIEW_PARTICIPATION: Final = MappingProxyType(
    {
        "PN0": "Child under 4 at the time of the review",
        "PN1": "Attended and spoke for themselves",
        "PN2": "Attended and an advocate spoke for them",
        "PN3": "Attended and conveyed their views without words",
        "PN4": "Attended but did not contribute",
        "PN5": "Did not attend and gave their views to an advocate to put",
        "PN6": "Did not attend and conveyed their views another way",
        "PN7": "Did not attend and no views were conveyed",
    }
)

REASONS_FOR_NEW_EPISODE: Final = MappingProxyType(
    {
        "S": "Started to be looked after",
        "L": "Change of legal status only",
        "P": "Change of placement and carer",
        "T": "Change of placement, same carer",
        "U": "Change of legal status and placement, same carer",
        "B": "Change of legal status, placement and carer",
    }
)

# --- events of care ---------------------------------------------------------------------------------------------

START, LEGAL_STATUS, PLACEMENT, CARER, LEAVE = "start", "legal_status", "placement", "carer", "leave"
CHANGE_KINDS: Final = (START, LEGAL_STATUS, PLACEMENT, CARER, LEAVE)
# Within one day: the start first, the leaving last.
_DAY_ORDER: Final = {START: 0, LEGAL_STATUS: 1, PLACEMENT: 1, CARER: 1, LEAVE: 2}

CHANGE_NAMES: Final = MappingProxyType(
    {
        START: "Came into care",
        LEGAL_STATUS: "Change of legal status",
        PLACEMENT: "Change of placement",
        CARER: "Change of carer",
        LEAVE: "Left care",
    }
)


@dataclass(frozen=True)
class CareChange:
    """One event of care, as plain values. Only the fields its kind sets are read: a start sets them all (but the
    reasons); a change of legal status ``legal_status``; a change of placement the placement's fields and its
    reason; a change of carer ``carer`` (and its reason); leaving care ``reason_ended``."""

    kind: str
    on: date
    legal_status: str | None = None
    category_of_need: str | None = None
    placement_type: str | None = None
    placement_provider: str | None = None
    carer: str | None = None
    placement_postcode: str | None = None
    home_postcode: str | None = None
    urn: str | None = None
    reason_place_change: str | None = None
    reason_ended: str | None = None
    id: int = 0  # the record it came from: ties are broken by it, so the order is the order of recording


@dataclass(frozen=True)
class Episode:
    """One SSDA903 episode (the Episodes table's columns, lower-cased)."""

    decom: date
    rne: str
    ls: str | None
    cin: str | None
    place: str | None
    place_provider: str | None
    pl_post: str | None
    home_post: str | None
    urn: str | None
    dec: date | None = None
    rec: str | None = None
    reason_place_change: str | None = None
    carer: str | None = field(default=None, compare=False)  # not in the return: what tells P from T

    def row(self) -> dict[str, str]:
        """The episode as the DfE's CSV row (dates DD/MM/YYYY, postcodes as the DfE asks for them)."""

        def day(value: date | None) -> str:
            return value.strftime("%d/%m/%Y") if value else ""

        return {
            "DECOM": day(self.decom),
            "RNE": self.rne,
            "LS": self.ls or "",
            "CIN": self.cin or "",
            "PLACE": self.place or "",
            "PLACE_PROVIDER": self.place_provider or "",
            "DEC": day(self.dec),
            "REC": self.rec or "",
            "REASON_PLACE_CHANGE": self.reason_place_change or "",
            "HOME_POST": partial_postcode(self.home_post),
            "PL_POST": partial_postcode(self.pl_post),
            "URN": self.urn or "",
        }

    @property
    def open(self) -> bool:
        return self.dec is None


def in_order(changes: Iterable[CareChange]) -> list[CareChange]:
    return sorted(changes, key=lambda c: (c.on, _DAY_ORDER.get(c.kind, 1), c.id))


def rne_for(legal_status_changed: bool, placement_changed: bool, carer_changed: bool) -> str | None:
    """The reason for a new episode from what changed on its day; None when nothing did."""
    if legal_status_changed:
        if placement_changed or carer_changed:
            return "B" if carer_changed else "U"
        return "L"
    if carer_changed:
        return "P"
    if placement_changed:
        return "T"
    return None


def episodes(changes: Iterable[CareChange]) -> list[Episode]:
    """The SSDA903 episodes of a child, earliest first, derived from the events of their periods of care (any order).

    Events before the first start, or between a leaving and the next start, are ignored (the services refuse
    them: ``order_problem``)."""
    out: list[Episode] = []
    ordered = in_order(changes)
    index = 0
    current: Episode | None = None  # the open episode of the period of care in progress
    while index < len(ordered):
        day = ordered[index].on
        todays: list[CareChange] = []
        while index < len(ordered) and ordered[index].on == day:
            todays.append(ordered[index])
            index += 1
        for change in todays:
            if change.kind == START and current is None:
                current = Episode(
                    decom=day,
                    rne="S",
                    ls=change.legal_status,
                    cin=change.category_of_need,
                    place=change.placement_type,
                    place_provider=change.placement_provider,
                    pl_post=change.placement_postcode,
                    home_post=change.home_postcode,
                    urn=change.urn,
                    carer=change.carer,
                )
        if current is None:
            continue
        state = current
        reason: str | None = None
        leaving: CareChange | None = None
        for change in todays:
            if change.kind == LEGAL_STATUS:
                state = replace(state, ls=change.legal_status)
            elif change.kind == PLACEMENT:
                state = replace(
                    state,
                    place=change.placement_type,
                    place_provider=change.placement_provider,
                    pl_post=change.placement_postcode,
                    urn=change.urn,
                    carer=change.carer,
                )
                reason = change.reason_place_change or reason
            elif change.kind == CARER:
                state = replace(state, carer=change.carer)
                reason = change.reason_place_change or reason
            elif change.kind == LEAVE:
                leaving = change
        # What the day changed, all its events together (a change undone the same day changed nothing).
        carer_changed = state.carer != current.carer
        placement_changed = carer_changed or _placement_of_episode(state) != _placement_of_episode(current)
        ls_changed = state.ls != current.ls
        rne = rne_for(ls_changed, placement_changed, carer_changed)
        if current.decom == day:
            current = replace(state, rne=current.rne)  # the day's changes belong to the episode begun today
        elif rne is not None:
            out.append(replace(current, dec=day, rec=X1, reason_place_change=reason if rne != "L" else None))
            current = replace(state, decom=day, rne=rne, dec=None, rec=None, reason_place_change=None)
        if leaving is not None:
            out.append(replace(current, dec=day, rec=leaving.reason_ended))
            current = None
    if current is not None:
        out.append(current)
    return out


def _placement_of_episode(episode: Episode) -> tuple[str | None, ...]:
    return (episode.place, episode.place_provider, episode.pl_post, episode.urn)


@dataclass(frozen=True)
class CareNow:
    """Where a child in care is on a day: the open episode's values, and since when each has held."""

    legal_status: str | None
    category_of_need: str | None
    placement_type: str | None
    placement_provider: str | None
    carer: str | None
    placement_postcode: str | None
    urn: str | None
    in_care_since: date
    placed_since: date
    left_on: date | None = None
    reason_left: str | None = None


def care_now(changes: Sequence[CareChange]) -> CareNow | None:
    """The current (last) episode of the events of one period of care, or None when it has none."""
    derived = episodes(changes)
    if not derived:
        return None
    last = derived[-1]
    placed = len(derived) - 1  # the episode the current placement began with: back over legal status changes
    while placed > 0 and derived[placed].rne == "L" and derived[placed - 1].rec == X1:
        placed -= 1
    started = len(derived) - 1
    while started > 0 and derived[started].rne != "S":
        started -= 1
    left = last.rec if last.rec and last.rec != X1 else None
    return CareNow(
        legal_status=last.ls,
        category_of_need=last.cin,
        placement_type=last.place,
        placement_provider=last.place_provider,
        carer=last.carer,
        placement_postcode=last.pl_post,
        urn=last.urn,
        in_care_since=derived[started].decom,
        placed_since=derived[placed].decom,
        left_on=last.dec if left else None,
        reason_left=left,
    )


# --- the order of events ------------------------------------------------------------------------------------------


def order_problem(existing: Sequence[CareChange], change: CareChange, *, replacing: int | None = None) -> str | None:
    """Why ``change`` cannot be recorded in this period of care (``existing``: its events already recorded;
    ``replacing``: the id of the one being corrected), in plain English, or None when it may. A change comes after
    the child came into care and the change before it, before the change after it and before the child left care:
    a placement cannot end before it starts."""
    others = in_order(c for c in existing if c.id != replacing)
    name = CHANGE_NAMES.get(change.kind, "This event").lower()
    if change.kind == START:
        first = next((c for c in others if c.kind != START), None)
        if first is not None and first.on < change.on:
            return (
                f"The child came into care on {long_date(change.on)}, after the "
                f"{CHANGE_NAMES[first.kind].lower()} on {long_date(first.on)}: coming into care comes first"
            )
        return None
    start = next((c for c in others if c.kind == START), None)
    left = next((c for c in others if c.kind == LEAVE), None)
    if start is None:
        return "Record the child coming into care first"
    if change.on < start.on:
        return f"The {name} is dated {long_date(change.on)}, before the child came into care on {long_date(start.on)}"
    if change.kind == LEAVE and left is not None:
        return f"The child already left care on {long_date(left.on)}"
    if change.kind != LEAVE and left is not None and change.on > left.on:
        return f"The {name} is dated {long_date(change.on)}, after the child left care on {long_date(left.on)}"
    changes = [c for c in others if c.kind not in (START, LEAVE)]
    original = next((c for c in existing if c.id == replacing), None) if replacing is not None else None
    if original is None or change.kind == LEAVE:
        previous, following = (changes[-1] if changes else start), None
    else:
        key = (original.on, original.id)
        before = [c for c in changes if (c.on, c.id) < key]
        previous = before[-1] if before else start
        following = next((c for c in changes if (c.on, c.id) > key), left)
    ends = "care cannot end" if change.kind == LEAVE else "a placement cannot end"
    if change.on < previous.on:
        what = "the child came into care" if previous.kind == START else f"the {CHANGE_NAMES[previous.kind].lower()}"
        return (
            f"The {name} is dated {long_date(change.on)}, before {what} on {long_date(previous.on)}: {ends} before "
            "it starts. If that date was wrong, correct it first"
        )
    if following is not None and change.on > following.on:
        return (
            f"The {name} would then be dated {long_date(change.on)}, after the "
            f"{CHANGE_NAMES[following.kind].lower()} on {long_date(following.on)} that ends it: a placement cannot "
            "end before it starts"
        )
    return None


def dated_within_care(periods: Sequence[tuple[date, date | None]], on: date, what: str) -> str | None:
    """A review or visit must fall within a period of care: the plain reason it does not, or None."""
    if not periods:
        return f"The child has no period of care: a {what} is recorded once they are in care"
    if any(start <= on and (end is None or on <= end) for start, end in periods):
        return None
    first = min(start for start, _ in periods)
    if on < first:
        return f"The {what} is dated {long_date(on)}, before the child came into care on {long_date(first)}"
    # After a period ended: name the end of the last period before the date (and the next start, if any).
    ended = max(end for start, end in periods if end is not None and end < on)
    later = min((start for start, _ in periods if start > on), default=None)
    again = f" and before they came back into care on {long_date(later)}" if later is not None else ""
    return f"The {what} is dated {long_date(on)}, after the child left care on {long_date(ended)}{again}"


# --- postcodes and references -------------------------------------------------------------------------------------

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_URN = re.compile(r"^(SC)?[0-9]{6,7}$")


def normal_postcode(text: str) -> str | None:
    """A UK postcode in capitals with one space (``SW1A 1AA``), or None when it is not one."""
    match = _POSTCODE.match(re.sub(r"\s+", " ", text.strip().upper()))
    return f"{match.group(1)} {match.group(2)}" if match else None


def partial_postcode(postcode: str | None) -> str:
    """The postcode as the SSDA903 asks for it: the outward code and the first character of the inward code."""
    if not postcode:
        return ""
    return postcode[:-2]


def normal_urn(text: str) -> str | None:
    """An Ofsted unique reference number (six or seven digits, ``SC`` before a children's home's), or None."""
    value = text.strip().upper().replace(" ", "")
    return value if _URN.match(value) else None
