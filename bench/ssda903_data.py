"""A synthetic SSDA903 return and last year's, deterministic from a seed (bench/ssda903.py; the tests' clean return).

Each child gets one life story (birth, periods of care made of episodes, placement moves and legal status changes,
social workers, reviews, missing episodes, a decision to place for adoption and an adoption for some, care leavers
around their 17th to 21st birthdays) and each year's return is cut from the same story, so last year's return
agrees with this year's as a real council's does. The data is meant to be clean: a return generated here validates
with no errors (tests/returns/test_ssda903_rules.py checks it), and ``defects`` adds a share of the mistakes councils
really send.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from safeguarding.people.rules import upn_check_letter
from safeguarding.returns.ssda903.rules import age_on, birthday
from safeguarding.returns.ssda903.tables import (
    DOLO_FIRST_YEAR,
    Ad1Row,
    ChildRecord,
    CollectionYear,
    DoloRow,
    EpisodeRow,
    HeaderRow,
    MissingRow,
    Oc2Row,
    Oc3Row,
    PlacedAdoptionRow,
    PrevPermRow,
    ReviewRow,
    SwEpisodeRow,
    UascRow,
)

# The Ofsted URN of a foster placement is its fostering service's: the council's own (PR1) or an agency's (PR4).
FOSTERING_URNS = {"PR1": "SC400001", "PR4": "SC400002"}
ADOPTION_AGENCY_URN = "SC400003"  # a placement for adoption's: its adoption agency's
PLACEMENTS = [("U4", "PR1"), ("U6", "PR1"), ("U6", "PR4"), ("U3", "PR1"), ("K2", "PR4"), ("U1", "PR1")]
ETHNIC = ["WBRI", "WBRI", "WBRI", "MWBC", "BAFR", "AIND", "WOTH", "BCRB", "APKN"]
LEAVING = ["E13", "E4A", "E4A", "E8", "E41", "E47"]


@dataclass
class Story:
    child: str
    sex: str
    dob: date
    ethnic: str
    upn: str
    episodes: list[EpisodeRow] = field(default_factory=list)  # the whole history, closed where it ended
    sw: list[SwEpisodeRow] = field(default_factory=list)
    missing: list[MissingRow] = field(default_factory=list)
    dolo: list[DoloRow] = field(default_factory=list)
    reviews: list[date] = field(default_factory=list)
    uasc: bool = False
    date_placed: date | None = None
    adoption: Ad1Row | None = None
    care_leaver: bool = False


def _postcode(rng: random.Random) -> str:
    return f"{rng.choice(['AB', 'LS', 'M', 'B', 'NE', 'SW'])}{rng.randrange(1, 20)} {rng.randrange(1, 10)}"


def story(n: int, rng: random.Random, year: CollectionYear) -> Story:
    end = year.end
    care_leaver = rng.random() < 0.05
    if care_leaver:
        dob = end - timedelta(days=rng.randrange(17 * 365 + 5, 21 * 365))
        if year.start <= birthday(dob, 17) <= end:
            # Their care is before the returns generated: one turning 17 this year would have been looked after
            # since their 16th birthday, in this year's or last year's return (rule 1002). Born a year earlier.
            dob -= timedelta(days=366)
    else:
        dob = end - timedelta(days=rng.randrange(60, 17 * 365))
    body = f"{rng.randrange(100, 999)}{rng.randrange(100):02d}{n:06d}"[:11] + str(n % 10)
    s = Story(
        child=f"C{n:07d}",
        sex=rng.choice("12"),
        dob=dob,
        ethnic=rng.choice(ETHNIC),
        upn=upn_check_letter(body) + body if rng.random() < 0.95 else "UN5",
        care_leaver=care_leaver,
    )
    if care_leaver:
        return s
    adoption = dob > end - timedelta(days=5 * 365) and rng.random() < 0.12
    start = max(dob + timedelta(days=rng.randrange(1, 60)), end - timedelta(days=rng.randrange(20, 4 * 365)))
    if start >= end - timedelta(days=3):
        start = end - timedelta(days=10)
    eighteen = birthday(dob, 18)
    leaves = rng.random() < 0.3 or eighteen <= end + timedelta(days=400)
    finish = min(start + timedelta(days=rng.randrange(60, 5 * 365)), eighteen) if leaves else None
    if finish is not None and finish > end:
        finish = None
    cin = rng.choice(["N1", "N1", "N2", "N4", "N5", "N8"])
    home = _postcode(rng)
    sw_id = f"SW{rng.randrange(10_000, 99_999)}"
    s.sw.append(
        SwEpisodeRow(
            s.child,
            sw_id=sw_id,
            sw_decom=min(start, year.start) - timedelta(days=rng.randrange(0, 300)),
            sw_reason="OTHERS",
        )
    )
    day, ls, rne = start, rng.choice(["C2", "C2", "C1", "V2"]), "S"
    place, provider = rng.choice(PLACEMENTS)
    if ls == "V2" and place == "K2":
        place, provider = "U6", "PR1"
    stop = finish or end + timedelta(days=400)
    place_kept: EpisodeRow | None = None
    while True:
        length = rng.randrange(30, 330)
        next_day = day + timedelta(days=length)
        e = EpisodeRow(
            s.child,
            decom=day,
            rne=rne,
            ls=ls,
            cin=cin,
            place=place,
            place_provider=provider,
            home_post=home,
            pl_post=_postcode(rng),
            urn=f"SC{rng.randrange(100_000, 999_999)}" if place == "K2" else _fostering_urn(place, provider),
        )
        if place == "K2" or e.pl_post == home:
            e.pl_post = "ZZ9 9"
        if place_kept is not None:  # a change of legal status only: the same placement
            e.pl_post, e.urn, place_kept = place_kept.pl_post, place_kept.urn, None
        s.episodes.append(e)
        if next_day >= stop:
            if finish is not None:
                e.dec, e.rec = finish, ("E17" if finish >= eighteen else rng.choice(LEAVING))
            break
        e.dec, e.rec = next_day, "X1"
        if adoption and ls in ("C1", "C2") and age_on(dob, next_day) is not None and next_day < end:
            # a placement order, then placed for adoption, then adopted
            s.date_placed = next_day - timedelta(days=rng.randrange(1, 20))
            if s.date_placed <= day:
                s.date_placed = day + timedelta(days=1)
                next_day = max(next_day, day + timedelta(days=3))
                e.dec = next_day
            e.reason_place_change = None
            order = EpisodeRow(**{**_fields(e), "decom": next_day, "rne": "L", "ls": "E1", "dec": None, "rec": None})
            s.episodes.append(order)
            placed_on = next_day + timedelta(days=rng.randrange(30, 120))
            order.dec, order.rec, order.reason_place_change = placed_on, "X1", "CARPL"
            adopted = placed_on + timedelta(days=rng.randrange(60, 200))
            matched = placed_on - timedelta(days=rng.randrange(5, 25))
            a6 = EpisodeRow(
                s.child,
                decom=placed_on,
                rne="P",
                ls="E1",
                cin=cin,
                place="A6",
                place_provider="PR1",
                home_post=home,
                pl_post="ZZ8 8",
                urn=ADOPTION_AGENCY_URN,
            )
            s.episodes.append(a6)
            if adopted <= end:
                a6.dec, a6.rec = adopted, "E11"
                s.adoption = Ad1Row(
                    s.child,
                    dob=dob,
                    date_int=s.date_placed,
                    date_match=matched,
                    foster_care="0",
                    nb_adoptr="2",
                    sex_adoptr="MF",
                    ls_adoptr="L11",
                )
            break
        place2, provider2 = rng.choice(PLACEMENTS)
        if rng.random() < 0.2 and ls in ("C1",):
            ls, rne, place_kept = "C2", "L", e
        else:
            if (place2, provider2) == (place, provider):
                place2, provider2 = ("U4", "PR4") if place != "U4" else ("U6", "PR4")
            if ls == "V2" and place2 == "K2":
                place2, provider2 = ("U3", "PR4") if place != "U3" else ("U4", "PR4")
            place, provider, rne = place2, provider2, "P"
            e.reason_place_change = rng.choice(["CARPL", "CREQO", "CHILD", "LAREQ"])
        day = next_day
    last = s.episodes[-1]
    # social workers change every year or so, the first before care began
    while True:
        sw = s.sw[-1]
        change = sw.sw_decom + timedelta(days=rng.randrange(150, 600))  # type: ignore[operator]
        if change >= (last.dec or end) or change > end:
            break
        sw.sw_dec = change
        s.sw.append(
            SwEpisodeRow(
                s.child,
                sw_id=f"SW{rng.randrange(10_000, 99_999)}",
                sw_decom=change,
                sw_reason=rng.choice(["MANAGE", "LEFTRL", "ORGRST", "PCCHAN"]),
            )
        )
    s.reviews = [start + timedelta(days=20)]
    while s.reviews[-1] + timedelta(days=180) < (last.dec or end):
        s.reviews.append(s.reviews[-1] + timedelta(days=180))
    if rng.random() < 0.08:
        holder = rng.choice(s.episodes)
        gone = holder.decom + timedelta(days=1)  # type: ignore[operator]
        if holder.dec is None or gone + timedelta(days=3) < holder.dec:
            s.missing.append(
                MissingRow(s.child, missing=rng.choice("MA"), mis_start=gone, mis_end=gone + timedelta(days=2))
            )
    # A deprivation of liberty order inside a stay in a children's home, for one child in ten who has one (chosen by
    # the child's number, so the random stories of the others stay as they were).
    held = next(
        (
            e
            for e in s.episodes
            if e.place == "K2" and e.decom and (e.dec is None or e.dec > e.decom + timedelta(days=6))
        ),
        None,
    )
    if n % 10 == 3 and held is not None and held.decom is not None:
        s.dolo.append(
            DoloRow(
                s.child,
                dolo_start=held.decom + timedelta(days=2),
                dolo_end=held.dec - timedelta(days=2) if held.dec is not None else None,
            )
        )
    s.uasc = rng.random() < 0.03 and age_on(dob, start) is not None and (age_on(dob, start) or 0) >= 12
    if s.uasc:  # no home postcode, so no distance (rules 392b, 406)
        for e in s.episodes:
            e.home_post = None
    return s


def _fostering_urn(place: str, provider: str) -> str | None:
    return FOSTERING_URNS.get(provider) if place.startswith("U") else None


def _fields(e: EpisodeRow) -> dict[str, object]:
    return {name: getattr(e, name) for name in EpisodeRow.__dataclass_fields__}


def cut(s: Story, year: CollectionYear) -> ChildRecord | None:
    """The child's rows in the return for ``year``, or None where the child is not in it."""
    start, end = year.start, year.end
    record = ChildRecord(s.child)
    for e in s.episodes:
        if e.decom is not None and e.decom <= end and (e.dec is None or e.dec >= start):
            if e.dec is not None and e.dec > end:
                e = replace(e, dec=None, rec=None, reason_place_change=None)
            record.episodes.append(replace(e))
    oc3 = s.care_leaver and any(start <= birthday(s.dob, n) <= end for n in range(17, 22))
    if not record.episodes and not oc3:
        return None
    age_end = age_on(s.dob, end) or 0
    mother = "0" if s.sex == "2" and age_end >= 11 and record.episodes else None
    record.header.append(HeaderRow(s.child, sex=s.sex, dob=s.dob, ethnic=s.ethnic, upn=s.upn, mother=mother))
    if oc3:
        record.oc3.append(Oc3Row(s.child, dob=s.dob, in_touch="YES", activ="F2", accom="U1"))
        return record
    for sw in s.sw:
        if sw.sw_decom is not None and sw.sw_decom <= end and (sw.sw_dec is None or sw.sw_dec >= start):
            cut_sw = replace(sw, dob=s.dob)
            if cut_sw.sw_dec is not None and cut_sw.sw_dec > end:
                cut_sw.sw_dec = None
            record.sw_episodes.append(cut_sw)
    for day in s.reviews:
        if start <= day <= end:
            record.reviews.append(
                ReviewRow(s.child, dob=s.dob, review=day, review_code="PN0" if (age_on(s.dob, day) or 0) < 4 else "PN1")
            )
    for m in s.missing:
        if m.mis_start is not None and start <= m.mis_start and m.mis_end is not None and m.mis_end <= end:
            record.missing.append(replace(m, dob=s.dob))
    if year.year >= DOLO_FIRST_YEAR:
        for d in s.dolo:
            if d.dolo_start is not None and d.dolo_start <= end and (d.dolo_end is None or d.dolo_end >= start):
                record.dolo.append(
                    replace(d, dob=s.dob, dolo_end=d.dolo_end if d.dolo_end is not None and d.dolo_end <= end else None)
                )
    if s.uasc:
        eighteen = birthday(s.dob, 18)
        record.uasc.append(UascRow(s.child, sex=s.sex, dob=s.dob, duc=eighteen if eighteen <= end else None))
    first = record.episodes[0]
    if first.rne == "S" and first.decom is not None and first.decom >= start:
        record.prev_perm.append(PrevPermRow(s.child, dob=s.dob, prev_perm="Z1"))
    if s.date_placed is not None and s.date_placed <= end:
        record.placed.append(PlacedAdoptionRow(s.child, dob=s.dob, date_placed=s.date_placed))
    if s.adoption is not None and any(e.rec == "E11" for e in record.episodes):
        record.ad1.append(replace(s.adoption))
    last = record.episodes[-1]
    period_start = _period_start(record.episodes)
    if last.dec is None and period_start is not None and period_start <= start and last.ls not in ("V3", "V4"):
        age_start = age_on(s.dob, start) or 0
        oc2 = Oc2Row(
            s.child,
            dob=s.dob,
            convicted="0" if age_end >= 10 else None,
            health_check="1" if age_end < 5 else None,
            immunisations="1",
            teeth_check="1",
            health_assessment="1",
            substance_misuse="0",
        )
        turning = (age_start, age_end) in ((3, 4), (16, 17))  # a score for them too (rule 197B)
        if (age_start >= 4 and age_end < 17) or turning:
            oc2.sdq_score = str((len(s.child) * 7 + age_end) % 41)
        record.oc2.append(oc2)
    record.sort()
    return record


def _period_start(episodes: list[EpisodeRow]) -> date | None:
    found = None
    for e in episodes:
        if e.rne == "S" or found is None:
            found = e.decom
    return found


def generate(children: int, seed: int, year: CollectionYear) -> tuple[list[ChildRecord], list[ChildRecord]]:
    """This year's return and last year's, cut from the same stories."""
    rng = random.Random(seed)
    last_year = CollectionYear(year.year - 1) if year.year - 1 >= 2024 else None
    current: list[ChildRecord] = []
    previous: list[ChildRecord] = []
    n = 0
    while len(current) < children:
        n += 1
        s = story(n, rng, year)
        record = cut(s, year)
        if record is not None:
            current.append(record)
        if last_year is not None and (before := cut(s, last_year)) is not None:
            previous.append(before)
    return current, previous
