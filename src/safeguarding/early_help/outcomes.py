"""Supporting Families outcomes: each need of a family's plan mapped to a national headline outcome, progress recorded
on it with its evidence, and the families with significant and sustained progress listed for the council's claim or
report (rules: ``outcomes_rules``; "sustained" is the council's settings ``supporting_families.*``).

- On an episode (those who work it: ``Kind.EARLY_HELP``): :func:`episode_outcomes` reads the needs, their mapping,
  their reviews and the family's standing; :func:`map_need` and :func:`record_progress` write.
- For early help managers (``Kind.SUPPORTING_FAMILIES``): :func:`families` lists every family with a mapped need and
  its verdict, the sustained ones first, with the evidence; :func:`families_csv` is the same as a download.

Each family's facts are read in a fixed number of statements for the whole list (never a query a family).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguarding.casework.models import Referral
from safeguarding.core import access, local_settings
from safeguarding.core.access import AccessSubject, Action, Kind
from safeguarding.core.audit import record
from safeguarding.core.calendar import today_in_london
from safeguarding.core.dates import long_date
from safeguarding.core.db import Database
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, record_id, text_field
from safeguarding.core.spreadsheet import spreadsheet_text
from safeguarding.core.users import User
from safeguarding.early_help import service
from safeguarding.early_help.models import (
    EarlyHelpAssessment,
    EarlyHelpEpisode,
    EarlyHelpFamilyMember,
    FamilyNeed,
    FamilyPlan,
)
from safeguarding.early_help.outcomes_rules import (
    EVIDENCE_MAX_CHARS,
    FRAMEWORK,
    HEADLINE_OUTCOMES,
    PROGRESS_LABELS,
    FamilyProgress,
    NeedProgress,
    Progress,
    Standing,
    SustainRules,
    Verdict,
    judge,
)
from safeguarding.early_help.transitions_models import SupportingFamiliesNeed, SupportingFamiliesReview
from safeguarding.front_door.models import Contact, ContactSubject

STANDING_LABELS: Mapping[str, str] = {
    Standing.SUSTAINED: "Significant and sustained progress",
    Standing.SUSTAINING: "Outcomes achieved, not yet sustained",
    Standing.NOT_YET: "Not yet",
}
CSV_COLUMNS = (
    "Family",
    "Episode",
    "Early help started",
    "Early help closed",
    "Standing",
    "Sustained from",
    "Headline outcome",
    "Latest progress",
    "Recorded on",
    "Evidence",
    "What is missing",
)


@dataclass(frozen=True)
class NeedLine:
    need: FamilyNeed
    mapped: SupportingFamiliesNeed | None
    reviews: list[SupportingFamiliesReview]


@dataclass(frozen=True)
class EpisodeOutcomes:
    episode: EarlyHelpEpisode
    needs: list[NeedLine]
    verdict: Verdict
    rules: SustainRules


@dataclass(frozen=True)
class FamilyLine:
    episode: EarlyHelpEpisode
    verdict: Verdict
    needs: list[tuple[str, SupportingFamiliesReview | None]]  # headline code, latest review


def _rules(session: Session) -> SustainRules:
    return SustainRules.from_settings(local_settings.get_all(session))


def _audit(
    session: Session,
    user: User,
    action: str,
    target: str,
    target_id: object,
    episode: EarlyHelpEpisode,
    **detail: object,
) -> None:
    people: list[int | None] = [m.person_id for m in episode.members if m.person_id is not None] or [None]
    for person_id in people:
        record(
            session,
            access.actor_of(user),
            action,
            target,
            target_id,
            person_id=person_id,
            detail={"episode": episode.id, **detail},
        )


# --- reading the facts of many families at once -------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    needs: dict[int, list[FamilyNeed]]
    mapped: dict[int, SupportingFamiliesNeed]  # by need id
    reviews: dict[int, list[SupportingFamiliesReview]]  # by sf need id, in date order
    assessed: dict[int, date]
    planned: set[int]
    social_care: dict[int, list[date]]  # by episode: contacts and referrals about its children


def _facts(session: Session, episodes: Sequence[EarlyHelpEpisode]) -> _Facts:
    ids = [e.id for e in episodes]
    needs: dict[int, list[FamilyNeed]] = {}
    mapped: dict[int, SupportingFamiliesNeed] = {}
    reviews: dict[int, list[SupportingFamiliesReview]] = {}
    assessed: dict[int, date] = {}
    social_care: dict[int, list[date]] = {}
    if not ids:
        return _Facts(needs, mapped, reviews, assessed, set(), social_care)
    for need in session.scalars(select(FamilyNeed).where(FamilyNeed.episode_id.in_(ids)).order_by(FamilyNeed.id)):
        needs.setdefault(need.episode_id, []).append(need)
    for row in session.scalars(select(SupportingFamiliesNeed).where(SupportingFamiliesNeed.episode_id.in_(ids))):
        mapped[row.need_id] = row
    if mapped:
        for review in session.scalars(
            select(SupportingFamiliesReview)
            .where(SupportingFamiliesReview.sf_need_id.in_([m.id for m in mapped.values()]))
            .order_by(SupportingFamiliesReview.recorded_on, SupportingFamiliesReview.id)
        ):
            reviews.setdefault(review.sf_need_id, []).append(review)
    for episode_id, completed in session.execute(
        select(EarlyHelpAssessment.episode_id, func.min(EarlyHelpAssessment.completed_on))
        .where(EarlyHelpAssessment.episode_id.in_(ids), EarlyHelpAssessment.completed_on.is_not(None))
        .group_by(EarlyHelpAssessment.episode_id)
    ):
        if completed is not None:
            assessed[episode_id] = completed
    planned = set(session.scalars(select(FamilyPlan.episode_id).where(FamilyPlan.episode_id.in_(ids)).distinct()))
    closed = {e.id for e in episodes if e.closed_on is not None}
    if closed:
        children: dict[int, set[int]] = {}
        for episode_id, person_id in session.execute(
            select(EarlyHelpFamilyMember.episode_id, EarlyHelpFamilyMember.person_id).where(
                EarlyHelpFamilyMember.episode_id.in_(closed), EarlyHelpFamilyMember.person_id.is_not(None)
            )
        ):
            if person_id is not None:
                children.setdefault(person_id, set()).add(episode_id)
        if children:
            people = list(children)
            days: list[tuple[int | None, date]] = [
                (person_id, received.date())
                for person_id, received in session.execute(
                    select(ContactSubject.person_id, Contact.received_at)
                    .join(Contact, Contact.id == ContactSubject.contact_id)
                    .where(ContactSubject.person_id.in_(people))
                )
            ]
            days += list(
                session.execute(
                    select(Referral.person_id, Referral.referral_date).where(Referral.person_id.in_(people))
                )
            )
            for person_id, day in days:
                for episode_id in children.get(person_id or 0, ()):
                    social_care.setdefault(episode_id, []).append(day)
    return _Facts(needs, mapped, reviews, assessed, planned, social_care)


def _progress(episode: EarlyHelpEpisode, facts: _Facts) -> FamilyProgress:
    needs = []
    for need in facts.needs.get(episode.id, []):
        mapped = facts.mapped.get(need.id)
        if mapped is None or mapped.framework != FRAMEWORK:
            continue
        needs.append(
            NeedProgress(
                mapped.headline,
                need.identified_on,
                [(r.recorded_on, Progress(r.progress), r.evidence) for r in facts.reviews.get(mapped.id, [])],
            )
        )
    return FamilyProgress(
        needs=needs,
        has_lead_practitioner=episode.lead_practitioner_id is not None,
        assessed_on=facts.assessed.get(episode.id),
        has_plan=episode.id in facts.planned,
        closed_on=episode.closed_on,
        social_care_since_closure=facts.social_care.get(episode.id, []),
    )


# --- an episode's outcomes ---------------------------------------------------------------------------------------


def episode_outcomes(session: Session, database: Database, user: User, episode_id: int) -> EpisodeOutcomes:
    episode = service.episode_for(session, database, user, episode_id, Action.VIEW)
    facts = _facts(session, [episode])
    rules = _rules(session)
    lines = []
    for need in facts.needs.get(episode.id, []):
        mapped = facts.mapped.get(need.id)
        lines.append(NeedLine(need, mapped, facts.reviews.get(mapped.id, []) if mapped else []))
    _audit(session, user, "view", "supporting_families", episode.id, episode)
    return EpisodeOutcomes(episode, lines, judge(_progress(episode, facts), rules, today_in_london()), rules)


def map_need(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> SupportingFamiliesNeed:
    """Map one of the family's needs to a headline outcome of the national framework (or change its mapping)."""
    episode = service.episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    need = session.get(FamilyNeed, record_id(form.get("need_id")) or 0)
    if need is None or need.episode_id != episode.id:
        errors["need_id"] = "Choose one of the family's needs"
    headline = (form.get("headline") or "").strip()
    if headline not in HEADLINE_OUTCOMES:
        errors["headline"] = "Select the headline outcome the need is mapped to"
    if errors:
        raise ValidationFailed(errors)
    assert need is not None
    mapped = session.scalar(select(SupportingFamiliesNeed).where(SupportingFamiliesNeed.need_id == need.id))
    if mapped is None:
        mapped = SupportingFamiliesNeed(
            need_id=need.id, episode_id=episode.id, headline=headline, framework=FRAMEWORK, mapped_by_id=user.id
        )
        session.add(mapped)
    else:
        mapped.headline, mapped.framework, mapped.mapped_by_id = headline, FRAMEWORK, user.id
    session.flush()
    _audit(session, user, "update", "supporting_families_need", mapped.id, episode, need=need.id, headline=headline)
    return mapped


def record_progress(
    session: Session, database: Database, user: User, episode_id: int, form: Mapping[str, str]
) -> SupportingFamiliesReview:
    """Progress on a mapped need on a day, with its evidence (the data source the framework names for the need)."""
    episode = service.episode_for(session, database, user, episode_id, Action.UPDATE)
    errors: dict[str, str] = {}
    mapped = session.get(SupportingFamiliesNeed, record_id(form.get("sf_need_id")) or 0)
    if mapped is None or mapped.episode_id != episode.id:
        errors["sf_need_id"] = "Choose a need mapped to a headline outcome"
    on = date_field(form.get("recorded_on"), "recorded_on", "the date of the progress", errors)
    if on is not None and "recorded_on" not in errors:
        if on > today_in_london():
            errors["recorded_on"] = "The date of the progress must be today or in the past"
        elif on < episode.started_on:
            errors["recorded_on"] = (
                "The date of the progress must be on or after the start of the early help "
                f"({long_date(episode.started_on)})"
            )
    raw = (form.get("progress") or "").strip()
    if raw not in {p.value for p in Progress}:
        errors["progress"] = "Select the progress on the need"
    evidence = text_field(
        form.get("evidence"), "evidence", "the evidence of the progress", errors, limit=EVIDENCE_MAX_CHARS
    )
    if errors:
        raise ValidationFailed(errors)
    assert mapped is not None and on is not None and evidence is not None
    review = SupportingFamiliesReview(
        sf_need_id=mapped.id, recorded_on=on, progress=raw, evidence=evidence, recorded_by_id=user.id
    )
    session.add(review)
    session.flush()
    _audit(session, user, "create", "supporting_families_review", review.id, episode, progress=raw)
    return review


# --- the managers' list and its download ----------------------------------------------------------------------------


def families(session: Session, database: Database, user: User, *, show: str = "sustained") -> list[FamilyLine]:
    """Every family with a need mapped to the framework and its verdict under the council's rules today; ``show``
    "sustained" keeps only the families with significant and sustained progress, "all" every one (sustained first)."""
    access.require(session, database, user, Action.LIST, AccessSubject(Kind.SUPPORTING_FAMILIES))
    record(session, access.actor_of(user), "list", "supporting_families", detail={"show": show})
    return _lines(session, show)


def _lines(session: Session, show: str) -> list[FamilyLine]:
    episodes = list(
        session.scalars(
            select(EarlyHelpEpisode)
            .where(
                EarlyHelpEpisode.id.in_(select(SupportingFamiliesNeed.episode_id).distinct()),
            )
            .order_by(EarlyHelpEpisode.family_name, EarlyHelpEpisode.id)
        )
    )
    facts = _facts(session, episodes)
    rules, today = _rules(session), today_in_london()
    order = {Standing.SUSTAINED: 0, Standing.SUSTAINING: 1, Standing.NOT_YET: 2}
    lines = []
    for episode in episodes:
        verdict = judge(_progress(episode, facts), rules, today)
        if show != "all" and not verdict.sustained:
            continue
        needs = []
        for need in facts.needs.get(episode.id, []):
            mapped = facts.mapped.get(need.id)
            if mapped is not None:
                latest = facts.reviews.get(mapped.id, [])
                needs.append((mapped.headline, latest[-1] if latest else None))
        lines.append(FamilyLine(episode, verdict, needs))
    lines.sort(key=lambda line: order[line.verdict.standing])
    return lines


def families_csv(session: Session, database: Database, user: User, *, show: str = "sustained") -> str:
    """The list as CSV, a row per mapped need, for the council's claim or report. Cells that a spreadsheet would run
    as a formula are quoted as text."""
    access.require(session, database, user, Action.EXPORT, AccessSubject(Kind.SUPPORTING_FAMILIES))
    lines = _lines(session, show)
    record(
        session, access.actor_of(user), "export", "supporting_families", detail={"show": show, "families": len(lines)}
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        e, v = line.episode, line.verdict
        head = [
            e.family_name,
            e.reference,
            long_date(e.started_on),
            long_date(e.closed_on) if e.closed_on else "",
            STANDING_LABELS[v.standing],
            long_date(v.sustained_from) if v.sustained_from else "",
        ]
        for headline, latest in line.needs or [("", None)]:
            writer.writerow(
                [
                    spreadsheet_text(c)
                    for c in (
                        *head,
                        HEADLINE_OUTCOMES.get(headline, ""),
                        PROGRESS_LABELS[Progress(latest.progress)] if latest else "",
                        long_date(latest.recorded_on) if latest else "",
                        latest.evidence if latest else "",
                        "; ".join(v.reasons),
                    )
                ]
            )
    return out.getvalue()
