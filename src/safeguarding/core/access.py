"""The one access policy: may this user do this to this record?

Every service call asks :func:`authorize` (or :func:`require`); every list and search is scoped by the same facts.
Decisions are made from:

- **role**: the table :data:`PERMISSIONS` says which roles may do which action to which kind of record;
- **agency**: a partner practitioner reaches only records their own agency owns (contacts it made, checks
  addressed to it), and never a person's record;
- **allocation and team**: given by the record itself (``AccessSubject.allocated_user_ids`` / ``team_id``), used
  where a rule is scoped to allocated work;
- **restriction**: a restricted person (for example a staff member's relative) is visible only to the users named
  on the restriction, or to someone who has broken the glass with a stated reason. Break-glass is audited and
  shown to managers.

Refusals are audited by ``require`` / ``require_role`` so that the audit row survives the refused request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from safeguarding.core.audit import Actor, record, record_refusal
from safeguarding.core.db import Database, utcnow
from safeguarding.core.errors import AccessDenied, ValidationFailed
from safeguarding.core.restrictions import BreakGlassAccess, PersonRestriction, PersonRestrictionGrant
from safeguarding.core.users import Role, User

R = Role


class Kind(StrEnum):
    """Kinds of record the policy knows."""

    PERSON = "person"
    CONTACT = "contact"
    CONTACT_OUTCOME = "contact_outcome"  # what a referrer may know: the outcome of their own contact
    PARTNER_CHECK = "partner_check"
    DECISION = "decision"
    MASH_DASHBOARD = "mash_dashboard"
    AUDIT_LOG = "audit_log"
    LOCAL_SETTINGS = "local_settings"
    USER_ACCOUNT = "user_account"
    REFERRAL = "referral"
    # --- case work (casework/): the statutory record of a child's episode of need ---------------------------
    CASE = "case"  # assessments, strategy discussions, s47, conferences, plans, visits, closure
    CASE_NOTE = "case_note"
    CHRONOLOGY = "chronology"
    ALLOCATION = "allocation"
    SUPERVISION = "supervision"
    # --- timescales (timescales/): deadlines derived from events, and drift --------------------------------
    DUE_WORK = "due_work"  # a worker's own due page; LIST = team and service views
    # --- exploitation (exploitation/) ---------------------------------------------------------------------
    EXPLOITATION_SCREENING = "exploitation_screening"
    EXPLOITATION_CONTEXT = "exploitation_context"  # places, peer groups, schools, online spaces as subjects
    INTELLIGENCE = "intelligence"  # raw text is further limited by the item's handling code
    NETWORK = "network"
    MISSING_EPISODE = "missing_episode"
    MACE = "mace"
    DISRUPTION = "disruption"
    # --- children in care (children_in_care/) ------------------------------------------------------------
    CARE_RECORD = "care_record"  # periods of care, legal status, placements, episodes, visits, health
    LOOKED_AFTER_REVIEW = "looked_after_review"
    CARE_EDUCATION = "care_education"  # the personal education plan: the virtual school's part of the record
    ADOPTERS = "adopters"  # prospective adopters and their assessment (children_in_care/permanence_*)
    # --- returns and insight (returns/) -------------------------------------------------------------------
    STATUTORY_RETURN = "statutory_return"
    INDICATORS = "indicators"  # the indicators page: figures, trends and the children behind them
    WORKFORCE = "workforce"  # contracts, vacancies, DfE workforce measures and caseloads
    IMPROVEMENT_PLAN = "improvement_plan"  # inspection findings, actions and their evidence
    # --- care leavers (children_in_care/care_leaver_*): eligibility, the personal adviser's work, OC3 facts ------
    CARE_LEAVER = "care_leaver"
    # --- early help and Family Help (early_help/) ----------------------------------------------------------------
    EARLY_HELP = "early_help"  # an episode: consent, assessment, family plan, team around the family, closure
    EARLY_HELP_HISTORY = "early_help_history"  # a person's early help episodes, read beside a contact or a case
    SUPPORTING_FAMILIES = "supporting_families"  # the families with significant and sustained progress, for a claim
    # --- the person index (people/duplicates/) ---------------------------------------------------------------------
    DUPLICATE_PAIR = "duplicate_pair"  # a proposed pair of records that may be one person, with its evidence
    PERSON_MERGE = "person_merge"  # two records of one person made one (CREATE), and its undoing (UPDATE: unmerge)


class Action(StrEnum):
    VIEW = "view"
    LIST = "list"
    SEARCH = "search"
    CREATE = "create"
    UPDATE = "update"
    SCREEN = "screen"  # RAG-rate, route, record screening notes
    DECIDE = "decide"
    SIGN_OFF = "sign_off"
    REQUEST = "request"  # ask a partner for a check
    RESPOND = "respond"  # a partner answers a check
    EXPORT = "export"
    MANAGE = "manage"
    BREAK_GLASS = "break_glass"


STAFF_CASEWORK = frozenset(
    {R.MASH_WORKER, R.MASH_MANAGER, R.SOCIAL_WORKER, R.TEAM_MANAGER, R.EXPLOITATION_PRACTITIONER}
)
MANAGERS = frozenset({R.MASH_MANAGER, R.TEAM_MANAGER})
MASH = frozenset({R.MASH_WORKER, R.MASH_MANAGER})
# Directors and heads of service: read-only across the service. They are granted read actions only (VIEW and LIST
# of figures, drift, the workforce, the improvement plan, the MASH's decisions, the audit log), never a change and
# never a child's record (tests/core/test_service_leader.py holds them to it).
SERVICE_LEADERS = frozenset({R.SERVICE_LEADER})
READ_ACTIONS = frozenset({Action.VIEW, Action.LIST, Action.EXPORT})
IRO = R.INDEPENDENT_REVIEWING_OFFICER
EARLY_HELP_STAFF = frozenset({R.EARLY_HELP_PRACTITIONER, R.EARLY_HELP_MANAGER})
CARE_WORKERS = frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER})

# Who may do what to which kind of record. A (kind, action) pair that is not here is refused to everyone.
PERMISSIONS: dict[tuple[Kind, Action], frozenset[Role]] = {
    # The council's early help staff search the person index before adding a family not yet known to it, open a
    # record to tell a match apart, and add the family (early_help/): reading and adding, not changing, the index.
    (Kind.PERSON, Action.VIEW): STAFF_CASEWORK | EARLY_HELP_STAFF,
    (Kind.PERSON, Action.SEARCH): STAFF_CASEWORK | EARLY_HELP_STAFF,
    (Kind.PERSON, Action.CREATE): STAFF_CASEWORK | EARLY_HELP_STAFF,
    (Kind.PERSON, Action.UPDATE): STAFF_CASEWORK,
    (Kind.PERSON, Action.BREAK_GLASS): STAFF_CASEWORK,
    (Kind.PERSON, Action.MANAGE): frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR}),
    # Early help staff tell the front door of a safeguarding concern in a family they work with (early_help/).
    (Kind.CONTACT, Action.CREATE): frozenset({R.PARTNER_PRACTITIONER, R.EARLY_HELP_PRACTITIONER, R.EARLY_HELP_MANAGER})
    | MASH,
    (Kind.CONTACT, Action.VIEW): STAFF_CASEWORK,
    (Kind.CONTACT, Action.LIST): MASH | frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CONTACT, Action.SCREEN): MASH,
    (Kind.CONTACT, Action.UPDATE): MASH,
    # The allocated worker (or their manager) acknowledges and notes a contact routed to them (front_door).
    (Kind.CONTACT, Action.RESPOND): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CONTACT_OUTCOME, Action.VIEW): frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.CONTACT_OUTCOME, Action.LIST): frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.PARTNER_CHECK, Action.REQUEST): MASH,
    (Kind.PARTNER_CHECK, Action.VIEW): MASH | frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.PARTNER_CHECK, Action.LIST): MASH | frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.PARTNER_CHECK, Action.RESPOND): frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.DECISION, Action.DECIDE): MASH,
    (Kind.DECISION, Action.SIGN_OFF): frozenset({R.MASH_MANAGER}),
    (Kind.REFERRAL, Action.VIEW): STAFF_CASEWORK | frozenset({R.PERFORMANCE_ANALYST}),
    (Kind.MASH_DASHBOARD, Action.VIEW): frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.PERFORMANCE_ANALYST})
    | SERVICE_LEADERS,
    # Service leaders read the log (the audit of decisions); marking break-glass reviewed stays with managers.
    (Kind.AUDIT_LOG, Action.VIEW): frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR}) | SERVICE_LEADERS,
    (Kind.AUDIT_LOG, Action.EXPORT): frozenset({R.MASH_MANAGER, R.TEAM_MANAGER, R.ADMINISTRATOR}) | SERVICE_LEADERS,
    # Marking a break-glass access reviewed is a practice judgement: managers, not administrators.
    (Kind.AUDIT_LOG, Action.SIGN_OFF): MANAGERS,
    (Kind.LOCAL_SETTINGS, Action.VIEW): frozenset({R.ADMINISTRATOR, R.MASH_MANAGER}),
    (Kind.LOCAL_SETTINGS, Action.MANAGE): frozenset({R.ADMINISTRATOR}),
    (Kind.USER_ACCOUNT, Action.MANAGE): frozenset({R.ADMINISTRATOR}),
    # --- case work (owned by casework/) -----------------------------------------------------------------------
    # Reading a child's case (episodes, assessments, plans, conferences, visits): everyone who works cases, and
    # the performance analyst, who validates the CIN census from exactly these dates and codes. MASH staff read it
    # to screen new contacts about open cases; exploitation practitioners to work alongside the allocated worker.
    (Kind.CASE, Action.VIEW): STAFF_CASEWORK | frozenset({R.PERFORMANCE_ANALYST}),
    # Recording case events: social workers and team managers. casework.case_access further limits a social worker
    # to the children allocated to them; a team manager may record on any case (covering an absent worker).
    (Kind.CASE, Action.CREATE): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CASE, Action.UPDATE): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    # Authorising an assessment and signing off a closure are management decisions (WT2023 ch.3: the manager
    # authorises the assessment; the CIN census completion date is that authorisation).
    (Kind.CASE, Action.SIGN_OFF): frozenset({R.TEAM_MANAGER}),
    # Case notes, supervision oversight and curated chronologies are the narrative of the child's life: read by
    # case-working staff only. The analyst sees the case's dates and codes but not the narrative: the returns do
    # not need it (data minimisation, UK GDPR article 5(1)(c)). Partners never see any of it.
    (Kind.CASE_NOTE, Action.VIEW): STAFF_CASEWORK,
    (Kind.CASE_NOTE, Action.CREATE): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CASE_NOTE, Action.UPDATE): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CHRONOLOGY, Action.VIEW): STAFF_CASEWORK,
    (Kind.CHRONOLOGY, Action.CREATE): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CHRONOLOGY, Action.UPDATE): frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    # Allocating and transferring children, and the list of unallocated children: team managers.
    (Kind.ALLOCATION, Action.CREATE): frozenset({R.TEAM_MANAGER}),
    (Kind.ALLOCATION, Action.LIST): frozenset({R.TEAM_MANAGER}),
    # Supervision: recorded by team managers; a worker reads their own (casework.supervision.view_supervision).
    (Kind.SUPERVISION, Action.CREATE): frozenset({R.TEAM_MANAGER}),
    (Kind.SUPERVISION, Action.LIST): frozenset({R.TEAM_MANAGER, R.SOCIAL_WORKER}),
    (Kind.SUPERVISION, Action.VIEW): frozenset({R.TEAM_MANAGER, R.SOCIAL_WORKER}),
    # --- timescales (owned by timescales/) ------------------------------------------------------------------
    # VIEW: a worker's own due page and the explanation of a deadline on a child allocated to them (team
    # managers: any). MANAGE: the team page (a team manager's oversight of their team). LIST: the service page
    # across the council -- team managers see the children; performance analysts see the figures only.
    (Kind.DUE_WORK, Action.VIEW): frozenset(
        {
            R.SOCIAL_WORKER,
            R.TEAM_MANAGER,
            R.EXPLOITATION_PRACTITIONER,
            R.PERSONAL_ADVISER,
            R.EARLY_HELP_PRACTITIONER,
            R.EARLY_HELP_MANAGER,
        }
    ),
    (Kind.DUE_WORK, Action.MANAGE): frozenset({R.TEAM_MANAGER}),
    (Kind.DUE_WORK, Action.LIST): frozenset({R.TEAM_MANAGER, R.PERFORMANCE_ANALYST}) | SERVICE_LEADERS,
    # --- exploitation (owned by exploitation/) --------------------------------------------------------------
    # Screening, contexts, intelligence, missing episodes (H3; exploitation/screening, contexts, intelligence,
    # missing). Screening and missing episodes are case work any case-working role records; contexts are the
    # exploitation team's cases; intelligence is the most sensitive data: partners submit and read their own
    # agency's items (AGENCY_SCOPED), staff read sanitised items, and the raw text is further limited by
    # may_read_raw_intelligence.
    (Kind.EXPLOITATION_SCREENING, Action.VIEW): STAFF_CASEWORK,
    (Kind.EXPLOITATION_SCREENING, Action.LIST): STAFF_CASEWORK,
    (Kind.EXPLOITATION_SCREENING, Action.CREATE): STAFF_CASEWORK,
    (Kind.EXPLOITATION_CONTEXT, Action.VIEW): STAFF_CASEWORK,
    (Kind.EXPLOITATION_CONTEXT, Action.LIST): STAFF_CASEWORK,
    (Kind.EXPLOITATION_CONTEXT, Action.CREATE): STAFF_CASEWORK,
    (Kind.EXPLOITATION_CONTEXT, Action.UPDATE): frozenset(
        {R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER}
    ),
    (Kind.INTELLIGENCE, Action.CREATE): frozenset(
        {R.PARTNER_PRACTITIONER, R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER}
    ),
    (Kind.INTELLIGENCE, Action.VIEW): frozenset({R.PARTNER_PRACTITIONER}) | STAFF_CASEWORK,
    (Kind.INTELLIGENCE, Action.LIST): frozenset(
        {R.PARTNER_PRACTITIONER, R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER}
    ),
    (Kind.INTELLIGENCE, Action.SEARCH): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER}),
    (Kind.INTELLIGENCE, Action.UPDATE): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER}),
    # "Who saw this item": managers.
    (Kind.INTELLIGENCE, Action.MANAGE): MANAGERS,
    (Kind.MISSING_EPISODE, Action.VIEW): STAFF_CASEWORK,
    (Kind.MISSING_EPISODE, Action.LIST): STAFF_CASEWORK,
    (Kind.MISSING_EPISODE, Action.CREATE): STAFF_CASEWORK,
    (Kind.MISSING_EPISODE, Action.UPDATE): STAFF_CASEWORK,
    # The network, MACE and disruption (exploitation/network_service, mace, disruption). A child-centred network
    # (VIEW) is part of working with the child; whole-council analyses (LIST) are the exploitation team's and its
    # managers'. Partners get nothing: what partners know arrives at the panel through their attendance.
    (Kind.NETWORK, Action.VIEW): STAFF_CASEWORK,
    (Kind.NETWORK, Action.LIST): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER}),
    (Kind.MACE, Action.VIEW): STAFF_CASEWORK,
    (Kind.MACE, Action.LIST): STAFF_CASEWORK,
    (Kind.MACE, Action.CREATE): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER}),
    (Kind.MACE, Action.UPDATE): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER}),
    (Kind.DISRUPTION, Action.VIEW): STAFF_CASEWORK,
    (Kind.DISRUPTION, Action.LIST): STAFF_CASEWORK,
    # The council is a first responder for NRM referrals: the child's own social worker may refer too.
    (Kind.DISRUPTION, Action.CREATE): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.SOCIAL_WORKER}),
    (Kind.DISRUPTION, Action.UPDATE): frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.SOCIAL_WORKER}),
    # --- returns and insight (owned by returns/) ------------------------------------------------------------
    # Statutory returns: analysts prepare them; team managers see the data problems in their service. Findings name
    # children by LAchildID; opening a child's record is still the person policy's decision.
    (Kind.STATUTORY_RETURN, Action.VIEW): frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER}) | SERVICE_LEADERS,
    (Kind.STATUTORY_RETURN, Action.UPDATE): frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER}),
    (Kind.STATUTORY_RETURN, Action.EXPORT): frozenset({R.PERFORMANCE_ANALYST}),
    # Insight (insight/: indicators, workforce, improvement): leaders (managers) and analysts read the figures; the
    # children behind a figure are listed for them all, but names only for roles that may open a person's record
    # (PERSON VIEW), never a restricted child's unless unlocked; analysts see LAchildIDs. Administrators enter
    # contracts and vacancies; the improvement plan is kept by analysts and team managers.
    (Kind.INDICATORS, Action.VIEW): frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER})
    | SERVICE_LEADERS,
    (Kind.WORKFORCE, Action.VIEW): frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.ADMINISTRATOR})
    | SERVICE_LEADERS,
    (Kind.WORKFORCE, Action.UPDATE): frozenset({R.ADMINISTRATOR}),
    (Kind.IMPROVEMENT_PLAN, Action.VIEW): frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER, R.MASH_MANAGER})
    | SERVICE_LEADERS,
    (Kind.IMPROVEMENT_PLAN, Action.UPDATE): frozenset({R.PERFORMANCE_ANALYST, R.TEAM_MANAGER}),
    # --- children in care (owned by children_in_care/) --------------------------------------------------------
    # The child's care record (legal status, placements, episodes, visits, health) is read by everyone who works cases,
    # the placements team, the analyst (the SSDA903 is made from its dates and codes) and the IRO -- an IRO only for
    # the children named to them (children_in_care.service limits it, as case work limits a social worker to the
    # children allocated to them). Coming into and leaving care, a change of legal status and visits are the social
    # worker's and their manager's; placements and carers are also the placements team's. The IRO records the reviews
    # they chair; the virtual school reads and records education only, never the rest of the record.
    (Kind.CARE_RECORD, Action.VIEW): STAFF_CASEWORK | frozenset({IRO, R.PLACEMENTS_OFFICER, R.PERFORMANCE_ANALYST}),
    (Kind.CARE_RECORD, Action.LIST): frozenset({R.TEAM_MANAGER, R.PLACEMENTS_OFFICER, IRO}),
    (Kind.CARE_RECORD, Action.CREATE): CARE_WORKERS,
    (Kind.CARE_RECORD, Action.UPDATE): CARE_WORKERS | frozenset({R.PLACEMENTS_OFFICER}),
    (Kind.LOOKED_AFTER_REVIEW, Action.VIEW): STAFF_CASEWORK | frozenset({IRO, R.PERFORMANCE_ANALYST}),
    (Kind.LOOKED_AFTER_REVIEW, Action.LIST): frozenset({IRO, R.TEAM_MANAGER}),
    (Kind.LOOKED_AFTER_REVIEW, Action.CREATE): frozenset({IRO, R.TEAM_MANAGER}),
    (Kind.CARE_EDUCATION, Action.VIEW): CARE_WORKERS | frozenset({R.VIRTUAL_SCHOOL, IRO}),
    (Kind.CARE_EDUCATION, Action.LIST): frozenset({R.VIRTUAL_SCHOOL}),
    (Kind.CARE_EDUCATION, Action.CREATE): CARE_WORKERS | frozenset({R.VIRTUAL_SCHOOL}),
    # Prospective adopters are not children's records: the council's family finding (the placements team) and team
    # managers keep them; a child's social worker sees the family matched with their child on the child's record.
    (Kind.ADOPTERS, Action.LIST): frozenset({R.TEAM_MANAGER, R.PLACEMENTS_OFFICER}),
    (Kind.ADOPTERS, Action.VIEW): frozenset({R.TEAM_MANAGER, R.PLACEMENTS_OFFICER}),
    (Kind.ADOPTERS, Action.CREATE): frozenset({R.TEAM_MANAGER, R.PLACEMENTS_OFFICER}),
    (Kind.ADOPTERS, Action.UPDATE): frozenset({R.TEAM_MANAGER, R.PLACEMENTS_OFFICER}),
    # --- care leavers (owned by children_in_care/care_leaver_service.py) ------------------------------------------
    # The personal adviser reads and records the work with their own care leavers (ALLOCATED_ONLY below): contacts,
    # the needs assessment, the pathway plan and its reviews, the OC3 facts. They do not open the person's record,
    # case notes or anyone else's care leavers (data minimisation, UK GDPR article 5(1)(c)). Social workers read a
    # care leaver's record (an eligible child is still looked after and still theirs); team managers oversee every
    # care leaver, open the record and name the adviser.
    (Kind.CARE_LEAVER, Action.VIEW): frozenset({R.PERSONAL_ADVISER, R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    (Kind.CARE_LEAVER, Action.LIST): frozenset({R.PERSONAL_ADVISER, R.TEAM_MANAGER}),
    (Kind.CARE_LEAVER, Action.CREATE): frozenset({R.TEAM_MANAGER}),
    (Kind.CARE_LEAVER, Action.UPDATE): frozenset({R.PERSONAL_ADVISER, R.TEAM_MANAGER}),
    (Kind.CARE_LEAVER, Action.MANAGE): frozenset({R.TEAM_MANAGER}),  # name or change the personal adviser
    # --- early help and Family Help (owned by early_help/) -----------------------------------------------------------
    # The council's early help practitioners and managers work every episode. A partner practitioner (a school, a
    # health visitor, a family hub) asks for early help for a family through the portal (CREATE: a request the
    # council takes up) and works the episodes they lead (LEAD_SCOPED below) and no others; they never open the
    # person's record or anything of social care's (the FFP guide's "proportionate case-system access for partners,
    # especially those taking the lead practitioner role"). Managers take up or decline partners' requests and name
    # or change the lead practitioner (MANAGE). The MASH and social care read a person's early help history beside a
    # contact or a case (EARLY_HELP_HISTORY); the MASH also starts an episode from a contact decided "early help".
    (Kind.EARLY_HELP, Action.VIEW): EARLY_HELP_STAFF | frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.EARLY_HELP, Action.LIST): EARLY_HELP_STAFF | frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.EARLY_HELP, Action.CREATE): EARLY_HELP_STAFF | MASH | frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.EARLY_HELP, Action.UPDATE): EARLY_HELP_STAFF | frozenset({R.PARTNER_PRACTITIONER}),
    (Kind.EARLY_HELP, Action.MANAGE): frozenset({R.EARLY_HELP_MANAGER}),
    (Kind.EARLY_HELP_HISTORY, Action.VIEW): EARLY_HELP_STAFF | MASH | frozenset({R.SOCIAL_WORKER, R.TEAM_MANAGER}),
    # Supporting Families (early_help/outcomes.py): early help managers list the families with significant and
    # sustained progress, with the evidence, and download them for the council's claim or report. The progress on
    # each need is recorded on the episode by those who work it (EARLY_HELP UPDATE).
    (Kind.SUPPORTING_FAMILIES, Action.LIST): frozenset({R.EARLY_HELP_MANAGER}),
    (Kind.SUPPORTING_FAMILIES, Action.EXPORT): frozenset({R.EARLY_HELP_MANAGER}),
    # --- the person index (owned by people/duplicates/) --------------------------------------------------------------
    # Data quality officers keep the index: the queue of proposed duplicates (LIST), a pair's evidence (VIEW), the
    # duplicate check run on demand (CREATE), "not the same person" (DECIDE), a merge (PERSON_MERGE CREATE) and an
    # unmerge (PERSON_MERGE UPDATE). A restricted person's pair follows the restriction (person_ids on the subject):
    # an officer not named on it never sees the pair. Nobody else merges: a merge moves a child's whole record.
    (Kind.DUPLICATE_PAIR, Action.LIST): frozenset({R.DATA_QUALITY_OFFICER}),
    (Kind.DUPLICATE_PAIR, Action.VIEW): frozenset({R.DATA_QUALITY_OFFICER}),
    (Kind.DUPLICATE_PAIR, Action.CREATE): frozenset({R.DATA_QUALITY_OFFICER}),
    (Kind.DUPLICATE_PAIR, Action.DECIDE): frozenset({R.DATA_QUALITY_OFFICER}),
    (Kind.PERSON_MERGE, Action.VIEW): frozenset({R.DATA_QUALITY_OFFICER}),
    (Kind.PERSON_MERGE, Action.CREATE): frozenset({R.DATA_QUALITY_OFFICER}),
    (Kind.PERSON_MERGE, Action.UPDATE): frozenset({R.DATA_QUALITY_OFFICER}),
}

# Roles that reach a record of these kinds only where they are named on it (``AccessSubject.allocated_user_ids``):
# a personal adviser works with the care leavers named to them and no others. A subject without an id (a list, a
# page of one's own) is scoped by the service's query instead.
ALLOCATED_ONLY: dict[Kind, frozenset[Role]] = {
    Kind.CARE_LEAVER: frozenset({R.PERSONAL_ADVISER}),
}

# Kinds whose records a partner practitioner reaches only when their own agency owns the record.
AGENCY_SCOPED = frozenset({Kind.CONTACT, Kind.CONTACT_OUTCOME, Kind.PARTNER_CHECK, Kind.INTELLIGENCE})

# Kinds whose records a partner practitioner reaches only where they are named on the record
# (``AccessSubject.allocated_user_ids``: the lead practitioner of an early help episode). Lists are scoped by the
# service's query (a subject without an id).
LEAD_SCOPED = frozenset({Kind.EARLY_HELP})

BREAK_GLASS_HOURS = 8


# --- decisions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessSubject:
    """The facts about one record that the policy needs. Services build it from their own models."""

    kind: Kind
    id: object = None
    # Agency that owns the record (made the contact, was asked for the check).
    agency_id: int | None = None
    # People the record is about; a restricted one among them restricts the whole record.
    person_ids: tuple[int, ...] = ()
    allocated_user_ids: tuple[int, ...] = ()
    team_id: int | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    # True where the refusal is only because of a restriction the user could break the glass on.
    break_glass_possible: bool = False
    restricted_person_ids: tuple[int, ...] = field(default=())


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, username=user.username, role=str(user.role))


def role_may(user: User, kind: Kind, action: Action) -> bool:
    return user.active and Role(user.role) in PERMISSIONS.get((kind, action), frozenset())


def restricted_among(session: Session, person_ids: Iterable[int]) -> set[int]:
    ids = set(person_ids)
    if not ids:
        return set()
    return set(session.scalars(select(PersonRestriction.person_id).where(PersonRestriction.person_id.in_(ids))))


def _unlocked_for(session: Session, user: User, person_ids: set[int]) -> set[int]:
    """Of these restricted people, those this user is named on or has a live break-glass for."""
    if not person_ids:
        return set()
    granted = set(
        session.scalars(
            select(PersonRestrictionGrant.person_id).where(
                PersonRestrictionGrant.user_id == user.id, PersonRestrictionGrant.person_id.in_(person_ids)
            )
        )
    )
    broken = set(
        session.scalars(
            select(BreakGlassAccess.person_id).where(
                BreakGlassAccess.user_id == user.id,
                BreakGlassAccess.person_id.in_(person_ids),
                BreakGlassAccess.expires_at > utcnow(),
            )
        )
    )
    return granted | broken


def locked_for(session: Session, user: User, person_ids: Iterable[int]) -> set[int]:
    """Of these people, the restricted ones this user may not open (not named, no live break-glass)."""
    restricted = restricted_among(session, person_ids)
    return restricted - _unlocked_for(session, user, restricted)


def authorize(session: Session, user: User, action: Action, subject: AccessSubject) -> Decision:
    return _decide(user, action, subject, lambda ids: locked_for(session, user, ids))


def hidden_people(session: Session, user: User, person_ids: Iterable[int], *, kind: Kind = Kind.PERSON) -> set[int]:
    """Of the people on a list, the restricted ones this user may not open: lists show them without their names.
    One query for the list; the policy's own check runs only for the (rare) restricted people. ``kind`` is the
    record the list shows them in, for roles that reach people only through it (a data quality officer reads a
    duplicate pair, never the person's record)."""
    return {
        p
        for p in restricted_among(session, person_ids)
        if not authorize(session, user, Action.VIEW, AccessSubject(kind=kind, id=p, person_ids=(p,))).allowed
    }


def authorize_each(session: Session, user: User, asks: Iterable[tuple[Action, AccessSubject]]) -> list[Decision]:
    """``authorize`` for several questions a page asks at once (may this user write, sign off, allocate ...): the
    same rules, with the people's restrictions read once for all of them instead of once a question."""
    asks = list(asks)
    people = {i for _action, subject in asks for i in subject.person_ids}
    locked = locked_for(session, user, people) if people and not user.is_partner else set()
    return [_decide(user, action, subject, lambda ids: locked & set(ids)) for action, subject in asks]


def _decide(
    user: User, action: Action, subject: AccessSubject, locked_among: Callable[[Iterable[int]], set[int]]
) -> Decision:
    if not user.active:
        return Decision(False, "account is not active")
    if not role_may(user, subject.kind, action):
        return Decision(False, f"role {user.role} may not {action} {subject.kind}")
    if user.is_partner:
        if subject.kind in LEAD_SCOPED:
            if subject.id is not None and user.id not in subject.allocated_user_ids:
                return Decision(False, "partners see only the families they lead")
            return Decision(True, "the family's lead practitioner")
        if subject.kind not in AGENCY_SCOPED:
            return Decision(False, "partner agencies see only their own contacts and checks")
        if subject.id is not None and (user.agency_id is None or subject.agency_id != user.agency_id):
            return Decision(False, "record belongs to another agency")
        # Partners never open person records, so restriction does not widen or narrow what they see.
        return Decision(True, "own agency's record")
    if (
        subject.id is not None
        and Role(user.role) in ALLOCATED_ONLY.get(subject.kind, frozenset())
        and user.id not in subject.allocated_user_ids
    ):
        return Decision(False, f"{subject.kind} not allocated to this {user.role}")
    if subject.person_ids:
        locked = locked_among(subject.person_ids)
        if locked:
            return Decision(
                False,
                "restricted record",
                break_glass_possible=role_may(user, Kind.PERSON, Action.BREAK_GLASS),
                restricted_person_ids=tuple(sorted(locked)),
            )
    return Decision(True, "permitted by role")


def require(session: Session, database: Database, user: User, action: Action, subject: AccessSubject) -> Decision:
    """Authorize or raise AccessDenied. The refusal is audited: it survives the rollback of the refused request."""
    return enforce(session, user, action, subject, authorize(session, user, action, subject))


def enforce(session: Session, user: User, action: Action, subject: AccessSubject, decision: Decision) -> Decision:
    """``require`` with the policy's decision already taken (by ``authorize_each``, for this same question)."""
    if not decision.allowed:
        person_id = subject.person_ids[0] if len(subject.person_ids) == 1 else None
        record(
            session,
            actor_of(user),
            str(action),
            str(subject.kind),
            subject.id,
            person_id=person_id,
            reason=decision.reason,
            outcome="refused",
            survive_rollback=True,
        )
        error = AccessDenied(f"You do not have access to this {subject.kind.replace('_', ' ')}.")
        error.decision = decision  # type: ignore[attr-defined]
        raise error
    return decision


def require_role(database: Database, user: User, kind: Kind, action: Action) -> None:
    """For pages that are not about one record (queues, dashboards, settings)."""
    if role_may(user, kind, action):
        return
    reason = f"role {user.role} may not {action} {kind}"
    session = object_session(user)
    if session is not None:
        # Queue on the request's own session: a second connection would wait on SQLite's write lock.
        record(session, actor_of(user), str(action), str(kind), reason=reason, outcome="refused", survive_rollback=True)
    else:
        record_refusal(database, actor_of(user), str(action), str(kind), reason=reason)
    raise AccessDenied(f"You do not have access to {kind.replace('_', ' ')}.")


def break_glass(session: Session, user: User, person_id: int, reason: str) -> BreakGlassAccess:
    """Open a restricted record in an emergency. The reason is required and the access is time-limited."""
    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationFailed({"reason": "Give the reason for breaking the glass (at least 10 characters)"})
    if not role_may(user, Kind.PERSON, Action.BREAK_GLASS):
        raise AccessDenied("Your role may not break the glass on a restricted record.")
    access = BreakGlassAccess(
        person_id=person_id,
        user_id=user.id,
        reason=reason[:2000],
        expires_at=utcnow() + timedelta(hours=BREAK_GLASS_HOURS),
    )
    session.add(access)
    record(session, actor_of(user), "break_glass", "person", person_id, person_id=person_id, reason=reason)
    return access


# --- intelligence handling codes (owned by exploitation/; College of Policing APP, Intelligence management) -----
#
# 3x5x2 handling code P: lawful sharing permitted; C: sharing permitted subject to the conditions attached. Even
# under P, dissemination is of the *sanitised* text (sanitisation removes what identifies a source); the raw text
# stays with the exploitation team and the MASH that triage it. Under C only the exploitation team reads the raw
# text. A partner reads their own agency's items in full and nobody else's. Every page, API, export and search
# result of the exploitation capability asks these two functions.

RAW_INTELLIGENCE_READERS: dict[str, frozenset[Role]] = {
    "P": frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER, R.MASH_MANAGER, R.MASH_WORKER}),
    "C": frozenset({R.EXPLOITATION_PRACTITIONER, R.TEAM_MANAGER}),
}


class IntelligenceFacts(Protocol):
    """What the policy needs to know about an intelligence item (exploitation.models.IntelligenceItem)."""

    @property
    def submitted_by_agency_id(self) -> int | None: ...
    @property
    def submitted_by_id(self) -> int: ...
    @property
    def handling_code(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def sanitised_text(self) -> str | None: ...


def may_read_raw_intelligence(user: User, item: IntelligenceFacts) -> bool:
    """May this user read the item's raw (unsanitised) text?"""
    if not user.active or not role_may(user, Kind.INTELLIGENCE, Action.VIEW):
        return False
    if user.is_partner:
        return user.agency_id is not None and item.submitted_by_agency_id == user.agency_id
    if item.submitted_by_id == user.id:
        return True
    return Role(user.role) in RAW_INTELLIGENCE_READERS.get(item.handling_code, frozenset())


def may_view_intelligence(user: User, item: IntelligenceFacts) -> bool:
    """May this user know the item exists at all (grading, subjects, sanitised text)? Staff who may not read the
    raw text see an item only once it is sanitised for wider sharing."""
    if not role_may(user, Kind.INTELLIGENCE, Action.VIEW):
        return False
    if may_read_raw_intelligence(user, item):
        return True
    if user.is_partner:
        return False
    return str(item.status) == "sanitised" and bool(item.sanitised_text)
