"""Local settings that administrators change: a council's own standards, never statutory rules.

Each setting has a typed default here (with its source); the table holds only what a council has changed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from safeguarding.core.access import Action, Kind, actor_of, require_role
from safeguarding.core.audit import Actor, record
from safeguarding.core.db import Base, Database, utcnow
from safeguarding.core.errors import ValidationFailed
from safeguarding.core.users import User


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    label: str
    default: Any
    kind: type
    source: str
    minimum: float | None = None
    maximum: float | None = None
    # A text setting that must be one of these (an early help clock's anchor); shown in the message when not.
    choices: tuple[str, ...] = ()


# CIN census PPOutcome (N00833, code set CS131): the letters, and the settings mapping each outcome to one.
PP_OUTCOME_LETTERS: tuple[str, ...] = ("A", "B", "C")
PP_OUTCOME_SETTING_PREFIX = "returns.cin_census.pp_outcome."

DEFINITIONS: dict[str, SettingDefinition] = {
    d.key: d
    for d in [
        SettingDefinition(
            "rag.red.hours",
            "Red contacts: decision due within (hours)",
            4.0,
            float,
            "Surrey Police MASH: red 4 working hours",
            0.5,
            200,
        ),
        SettingDefinition(
            "rag.red.working_time", "Red contacts: count working hours only", True, bool, "Surrey Police MASH"
        ),
        SettingDefinition(
            "rag.amber.hours",
            "Amber contacts: decision due within (hours)",
            24.0,
            float,
            "Surrey Police MASH: amber 24 working hours",
            0.5,
            500,
        ),
        SettingDefinition(
            "rag.amber.working_time", "Amber contacts: count working hours only", True, bool, "Surrey Police MASH"
        ),
        SettingDefinition(
            "rag.green.hours",
            "Green contacts: decision due within (hours)",
            72.0,
            float,
            "Surrey Police MASH: green 72 hours",
            0.5,
            1000,
        ),
        SettingDefinition(
            "rag.green.working_time",
            "Green contacts: count working hours only",
            False,
            bool,
            "Surrey Police MASH: 72 hours, calendar",
        ),
        SettingDefinition("office.opens", "MASH office opens (HH:MM)", "09:00", str, "local office hours"),
        SettingDefinition("office.closes", "MASH office closes (HH:MM)", "17:00", str, "local office hours"),
        SettingDefinition(
            "partner_check.default_hours",
            "Partner checks: response due within (working hours)",
            8.0,
            float,
            "local MASH information-sharing agreement",
            0.5,
            500,
        ),
        SettingDefinition(
            "open_case.recently_closed_days",
            "Route contacts for cases closed within this many days to the last worker",
            0,
            int,
            "Wolverhampton routes cases closed within 28 days (its MASH procedures); off by default",
            0,
            365,
        ),
        SettingDefinition(
            "routing.acknowledge.working_days",
            "Contacts routed to an allocated worker: acknowledge within (working days)",
            1,
            int,
            "local MASH procedures: the allocated worker responds to a new contact on an open case by the next "
            "working day",
            0,
            10,
        ),
        SettingDefinition(
            "supervision.interval_days",
            "Supervision: each worker supervised at least every (days)",
            28,
            int,
            "local supervision policy (commonly monthly; Social Work England standard 4.8 asks for regular "
            "supervision)",
            7,
            90,
        ),
        SettingDefinition(
            "caseload.weight.child_protection",
            "Caseload weighting: a child on a child protection plan counts as",
            1.0,
            float,
            "local caseload weighting policy (1 = every child counts the same)",
            0.1,
            10,
        ),
        SettingDefinition(
            "caseload.weight.assessment",
            "Caseload weighting: a child being assessed counts as",
            1.0,
            float,
            "local caseload weighting policy (1 = every child counts the same)",
            0.1,
            10,
        ),
        # --- Supporting Families (early_help/outcomes_rules.py): what "significant and sustained" means here ---
        SettingDefinition(
            "supporting_families.minimum_needs",
            "Supporting Families: needs from the national framework a family must have",
            3,
            int,
            "Supporting Families programme guidance 2022 to 2025, chapters 4 and 5: at least three needs",
            1,
            10,
        ),
        SettingDefinition(
            "supporting_families.sustain_months",
            "Supporting Families: months after closure the progress must hold",
            6,
            int,
            "Supporting Families programme guidance 2022 to 2025, chapter 5: sustained six months after closure",
            0,
            24,
        ),
        SettingDefinition(
            "supporting_families.contact_breaks_sustainment",
            "Supporting Families: a contact or referral to social care in those months means not sustained",
            True,
            bool,
            "local claim rules (the council's internal audit of claims)",
        ),
        SettingDefinition(
            "signoff.no_further_action", "Manager sign-off required: no further action", True, bool, "local practice"
        ),
        SettingDefinition(
            "signoff.information_and_advice",
            "Manager sign-off required: information and advice",
            True,
            bool,
            "local practice",
        ),
        SettingDefinition("signoff.early_help", "Manager sign-off required: early help", True, bool, "local practice"),
        SettingDefinition(
            "signoff.referral_for_assessment",
            "Manager sign-off required: referral for assessment",
            True,
            bool,
            "local practice",
        ),
        SettingDefinition(
            "signoff.strategy_discussion",
            "Manager sign-off required: strategy discussion",
            True,
            bool,
            "local practice",
        ),
        SettingDefinition(
            "signoff.immediate_protection",
            "Manager sign-off required: immediate protection",
            False,
            bool,
            "immediate protection cannot wait for sign-off; the manager reviews afterwards",
        ),
        SettingDefinition("threshold.level1", "Level of need 1 name", "Universal", str, "local threshold document"),
        SettingDefinition("threshold.level2", "Level of need 2 name", "Early help", str, "local threshold document"),
        SettingDefinition(
            "threshold.level3", "Level of need 3 name", "Targeted / child in need", str, "local threshold document"
        ),
        SettingDefinition(
            "threshold.level4", "Level of need 4 name", "Specialist / child protection", str, "local threshold document"
        ),
        # --- timescales (timescales/rules.py): a council's own practice standards, each with its source -----------
        SettingDefinition(
            "timescales.cp_visit.working_days",
            "Child protection visits: at least every (working days)",
            10,
            int,
            "T13: Camden, Central Bedfordshire, Liverpool (every 10 working days)",
            1,
            60,
        ),
        SettingDefinition(
            "timescales.core_group.weeks",
            "Core groups after the first: at least every (weeks)",
            4,
            int,
            "T10: Newcastle 1.4.5 (every 4 weeks); Tees 6 weeks",
            1,
            12,
        ),
        SettingDefinition(
            "timescales.cin_review.weeks",
            "Child in need plan reviews: at least every (weeks)",
            12,
            int,
            "T15: City of York 3.1 (12 weeks)",
            1,
            52,
        ),
        SettingDefinition(
            "timescales.cin_visit.working_days",
            "Child in need visits: at least every (working days)",
            20,
            int,
            "T16: published LA sheet; Torbay (20 working days)",
            1,
            120,
        ),
        SettingDefinition(
            "timescales.stalled.working_days",
            "A case is stalled after this many working days without recorded activity",
            20,
            int,
            "local practice standard (issue 3: 20 working days)",
            1,
            250,
        ),
        SettingDefinition(
            "timescales.strategy_discussion.working_days",
            "Strategy discussion: held within (working days of the referral)",
            1,
            int,
            "T4: WT2023 says 'as soon as possible'; local standards 1-3 working days",
            0,
            10,
        ),
        SettingDefinition(
            "timescales.icpc.from_first_strategy_discussion",
            "ICPC clock runs from the strategy discussion that started section 47 (WT2018 wording) "
            "instead of the last one",
            False,
            bool,
            "T7: WT2023 Ch.4 counts from the last strategy discussion; WT2018 from the one that started the enquiry",
        ),
        SettingDefinition(
            "timescales.due_soon.working_days",
            "Deadlines show as due soon within (working days)",
            5,
            int,
            "local practice",
            0,
            30,
        ),
        # --- early help and Family Help (early_help/rules.py): every one a local standard, with its source -------
        SettingDefinition(
            "timescales.early_help.assessment.working_days",
            "Early help assessment: completed within (working days of the anchor below)",
            15,
            int,
            "EH1: Sefton 'Early help - Timescales' (15 working days); Hertfordshire (3 weeks of registration)",
            1,
            120,
        ),
        SettingDefinition(
            "timescales.early_help.assessment.anchor",
            "Early help assessment: counted from (started, consent, need_identified or decided)",
            "started",
            str,
            "EH1: Hertfordshire counts from registration (started); Sefton from identifying the need; others from "
            "the family's consent",
            choices=("started", "consent", "need_identified", "decided"),
        ),
        SettingDefinition(
            "timescales.early_help.first_meeting.weeks",
            "First team-around-the-family meeting: held within (weeks of the anchor below)",
            6,
            int,
            "EH2: Hertfordshire (6 weeks of registration); Lewisham (6 weeks of the decision); Sefton (first review "
            "within 6 weeks of completing the assessment)",
            1,
            26,
        ),
        SettingDefinition(
            "timescales.early_help.first_meeting.anchor",
            "First team-around-the-family meeting: counted from (started, decided, consent or assessment_completed)",
            "started",
            str,
            "EH2: Hertfordshire counts from registration (started); Lewisham from the decision; Sefton from the "
            "assessment's completion",
            choices=("started", "decided", "consent", "assessment_completed"),
        ),
        SettingDefinition(
            "timescales.early_help.review.weeks",
            "Team-around-the-family reviews: at least every (weeks)",
            6,
            int,
            "EH3: Hertfordshire, Lewisham, Derbyshire (6 weeks); Trafford 6-8; Worcestershire 6-12; Devon 12; Sefton "
            "3 months",
            1,
            26,
        ),
        SettingDefinition(
            "timescales.early_help.reassessment.months",
            "Early help reassessment: a new assessment after (months) while the episode is open",
            12,
            int,
            "EH4: Sefton 'Early help - Timescales' (a new assessment at 12 months if outcomes are not achieved)",
            1,
            36,
        ),
        *(
            SettingDefinition(
                f"early_help.closure.{key}",
                f"Early help closure reason offered: {label}",
                True,
                bool,
                "the council's list of reasons for closing early help (Lewisham, Sefton, Worcestershire)",
            )
            for key, label in (
                ("outcomes_achieved", "outcomes achieved"),
                ("consent_withdrawn", "the family withdrew their consent"),
                ("disengaged", "the family stopped taking part"),
                ("stepped_up", "stepped up to children's social care"),
                ("stepped_down", "stepped down to universal services"),
                ("moved_away", "moved out of the area"),
                ("transferred", "another service or council now leads"),
                ("child_turned_18", "the youngest child reached 18"),
            )
        ),
        SettingDefinition(
            "early_help.closure.local_reasons",
            "Early help closure: the council's own reasons, separated by semicolons",
            "",
            str,
            "the council's own list (for example 'Family Hub support continues; Referred to a specialist service')",
        ),
        # --- statutory returns (returns/cin_census): who the council is to the DfE ---
        SettingDefinition(
            "returns.la_code",
            "DfE local authority code (three digits)",
            999,
            int,
            "DfE 'LA codes' (Get Information about Schools), e.g. 938: the CIN census header's LEA and "
            "characters 2-4 of the UPNs the council allocates (the census checks them); 999 until set",
            201,
            999,
        ),
        # --- CIN census module 5 (family_network/rules.py): the PPOutcome letter each outcome is reported as ---
        # The letters A, B and C are the DfE's (code set CS131, rule 9011); which outcome each stands for was not
        # published where this project could read it (December 2026). The defaults are the project's reading; a
        # council corrects them here from the specification's code set CS131, with no new release.
        *(
            SettingDefinition(
                f"{PP_OUTCOME_SETTING_PREFIX}{key}",
                f"CIN census: the PPOutcome code for pre-proceedings that {label}",
                default,
                str,
                "DfE, Children in need census 2026 to 2027: specification, code set CS131 (the letters A, B and C); "
                "which outcome each letter stands for: check against CS131 (the defaults are this project's reading)",
                choices=PP_OUTCOME_LETTERS,
            )
            for key, label, default in (
                ("step_down", "stepped down (proceedings not needed)", "A"),
                ("proceedings", "stepped up (the council applies to court)", "B"),
                ("other", "ended for another reason", "C"),
            )
        ),
        # --- the kinship local offer (family_network/): what a council offers kinship families, as a list ---
        SettingDefinition(
            "kinship.local_offer",
            "Kinship local offer: the support a kinship family may be offered (one item a line)",
            [
                "Financial support (kinship allowance)",
                "Help with health and wellbeing",
                "Support with relationships, including family time (contact)",
                "Help with education and training",
                "Help with accommodation",
                "Independent legal advice",
                "Training and peer support for kinship carers",
            ],
            list,
            "Children's Wellbeing and Schools Act 2026 s5 (new s22H Children Act 1989): the council publishes its "
            "kinship local offer (financial support; services for health and wellbeing, relationships including "
            "contact, education and training, accommodation); the items are the council's own",
        ),
        # --- indicators (insight/indicators.py): rates per 10,000 children, as the DfE publishes them ---
        SettingDefinition(
            "population.children_under_18",
            "Child population (children under 18 living in the council's area; 0 until set)",
            0,
            int,
            "ONS mid-year population estimates, ages 0 to 17, as the DfE uses for rates per 10,000 children",
            0,
            5_000_000,
        ),
        SettingDefinition(
            "population.source",
            "Child population: its source and year",
            "",
            str,
            "for example 'ONS mid-2024 population estimates'; shown beside every rate per 10,000 children",
        ),
    ]
}


class LocalSetting(Base):
    __tablename__ = "local_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


LIST_ITEMS_MAX = 40
LIST_ITEM_LENGTH = 200


def parse_list(raw: Any) -> list[str]:
    """A list setting's items: a list, or text with one item a line; blank lines dropped, each item 1 to 200
    characters without control characters, no item twice, 1 to 40 items."""
    lines = raw if isinstance(raw, list) else str(raw).splitlines()
    items = [str(line).strip() for line in lines if str(line).strip()]
    if not items:
        raise ValueError("must have at least one item")
    if len(items) > LIST_ITEMS_MAX:
        raise ValueError(f"must have at most {LIST_ITEMS_MAX} items")
    seen: set[str] = set()
    for item in items:
        if len(item) > LIST_ITEM_LENGTH:
            raise ValueError(f"must have items of {LIST_ITEM_LENGTH} characters or fewer")
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in item):
            raise ValueError("must not contain control characters")
        if item.casefold() in seen:
            raise ValueError(f"has '{item}' twice")
        seen.add(item.casefold())
    return items


def parse_value(definition: SettingDefinition, raw: Any) -> Any:
    """Coerce a submitted value to the setting's type, or raise ValueError with a plain message."""
    if definition.kind is list:
        return parse_list(raw)
    if definition.kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "yes", "on", "1"}:
            return True
        if text in {"false", "no", "off", "0", ""}:
            return False
        raise ValueError("must be yes or no")
    if definition.kind in (int, float):
        try:
            value = definition.kind(str(raw).strip())
        except ValueError:
            raise ValueError("must be a number") from None
        if not math.isfinite(value):  # float() reads "nan" and "inf", which no deadline can be
            raise ValueError("must be a number")
        if definition.minimum is not None and value < definition.minimum:
            raise ValueError(f"must be at least {definition.minimum:g}")
        if definition.maximum is not None and value > definition.maximum:
            raise ValueError(f"must be at most {definition.maximum:g}")
        return value
    text = str(raw).strip()
    if not text and definition.default == "":
        return text  # a text that is optional (its default is empty), such as a figure's source
    if not text or len(text) > 200:
        raise ValueError("must be between 1 and 200 characters")
    if definition.choices and text not in definition.choices:
        raise ValueError(f"must be one of: {', '.join(definition.choices)}")
    if definition.key.startswith("office.") and not _is_hhmm(text):
        raise ValueError("must be a time as HH:MM")
    return text


def _is_hhmm(text: str) -> bool:
    parts = text.split(":")
    return len(parts) == 2 and all(p.isdigit() for p in parts) and 0 <= int(parts[0]) < 24 and 0 <= int(parts[1]) < 60


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def get_all(session: Session) -> dict[str, Any]:
    values = {key: d.default for key, d in DEFINITIONS.items()}
    # Columns, not objects: most pages read the settings (office hours, thresholds) on every view.
    for key, value_json in session.execute(select(LocalSetting.key, LocalSetting.value_json)):
        if key in DEFINITIONS:
            values[key] = json.loads(value_json)
    return values


def get(session: Session, key: str) -> Any:
    row = session.get(LocalSetting, key)
    return json.loads(row.value_json) if row else DEFINITIONS[key].default


def put(session: Session, key: str, value: Any, user_id: int | None) -> None:
    definition = DEFINITIONS[key]
    parsed = parse_value(definition, value)
    row = session.get(LocalSetting, key)
    if row is None:
        session.add(LocalSetting(key=key, value_json=json.dumps(parsed), updated_by_id=user_id))
    else:
        row.value_json = json.dumps(parsed)
        row.updated_at = utcnow()
        row.updated_by_id = user_id


# --- administration ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingRow:
    definition: SettingDefinition
    value: Any
    changed_from_default: bool
    updated_at: datetime | None
    updated_by_id: int | None


def rows(session: Session) -> list[SettingRow]:
    stored = {row.key: row for row in session.scalars(select(LocalSetting))}
    result = []
    for key, definition in DEFINITIONS.items():
        row = stored.get(key)
        value = json.loads(row.value_json) if row else definition.default
        result.append(
            SettingRow(
                definition,
                value,
                value != definition.default,
                row.updated_at if row else None,
                row.updated_by_id if row else None,
            )
        )
    return result


def view_settings(session: Session, database: Database, user: User) -> list[SettingRow]:
    """Every setting with its source and current value (administrators, and MASH managers read-only)."""
    require_role(database, user, Kind.LOCAL_SETTINGS, Action.VIEW)
    return rows(session)


def save_all(session: Session, database: Database, user: User, submitted: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every submitted setting first, then save them together; each change is audited old -> new.

    A setting left out of ``submitted`` keeps its value, except yes/no settings: an unticked box is not sent by
    a browser, so a missing yes/no means "no" when ``submitted`` is a whole form (``__form__`` present).
    Returns the changes made, by key.
    """
    require_role(database, user, Kind.LOCAL_SETTINGS, Action.MANAGE)
    return apply_changes(session, validate(session, submitted), actor_of(user), user.id)


def validate(session: Session, submitted: Mapping[str, Any]) -> dict[str, Any]:
    """Parse every submitted value; raise ValidationFailed naming each setting at fault (nothing is written)."""
    whole_form = "__form__" in submitted
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for key in submitted:
        if key != "__form__" and key not in DEFINITIONS:
            errors[key] = f"There is no setting called {key}"
    for key, definition in DEFINITIONS.items():
        if key in submitted:
            raw = submitted[key]
        elif whole_form and definition.kind is bool:
            raw = False
        else:
            continue
        try:
            parsed[key] = parse_value(definition, raw)
        except ValueError as exc:
            errors[key] = f"{definition.label} {exc}"
    opens, closes = parsed.get("office.opens"), parsed.get("office.closes")
    opens = opens if opens is not None else get(session, "office.opens")
    closes = closes if closes is not None else get(session, "office.closes")
    if "office.opens" not in errors and "office.closes" not in errors and _minutes(opens) >= _minutes(closes):
        errors["office.closes"] = "MASH office closes must be later than it opens"
    _check_pp_outcome_letters(session, parsed, errors)
    if errors:
        raise ValidationFailed(errors)
    return parsed


def _check_pp_outcome_letters(session: Session, parsed: Mapping[str, Any], errors: dict[str, str]) -> None:
    """Two outcomes reported as one letter would make the census's PPOutcome mean nothing: each letter once."""
    keys = [key for key in DEFINITIONS if key.startswith(PP_OUTCOME_SETTING_PREFIX)]
    if any(key in errors for key in keys):
        return
    seen: dict[str, str] = {}
    for key in keys:
        letter = parsed[key] if key in parsed else get(session, key)
        if letter in seen:
            errors[key] = (
                f"{DEFINITIONS[key].label} must not be {letter}: that is already the code for pre-proceedings that "
                f"{DEFINITIONS[seen[letter]].label.split(' that ', 1)[1]}"
            )
        else:
            seen[letter] = key


def apply_changes(session: Session, parsed: Mapping[str, Any], actor: Actor, user_id: int | None) -> dict[str, Any]:
    """Save validated values that differ from the current ones, auditing each with its old and new value."""
    current = get_all(session)
    changes: dict[str, Any] = {}
    for key, value in parsed.items():
        if value == current[key]:
            continue
        put(session, key, value, user_id)
        changes[key] = {"old": current[key], "new": value}
        record(session, actor, "update", "local_setting", key, detail={"old": current[key], "new": value})
    return changes
