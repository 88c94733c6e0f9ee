"""What a form or another service gives the people service: a person's details, an address, another name, a
search. Each form's input is read by one function (``read``), which collects every field's message and refuses
with all of them at once (``ValidationFailed``); text is kept as typed, the service cleans it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from safeguarding.core.errors import ValidationFailed
from safeguarding.core.form_fields import date_field, record_id
from safeguarding.people import rules
from safeguarding.people.models import PersonKind

DATE_LABELS = {
    "date_of_birth": "Date of birth",
    "expected_date_of_birth": "Expected date of birth",
    "date_of_death": "Date of death",
    "address.moved_in": "Date moved in",
    "moved_in": "Date moved in",
    "started": "Date the relationship started",
    "ended": "Date it ended",
}
SEARCH_FIELDS = ("first_name", "last_name", "date_of_birth", "nhs_number", "postcode")

# The service's own checks of what was read (some need the database): shown with the form's problems, so that a
# date that cannot be read does not hide a missing name.
Problems = Callable[..., Mapping[str, str]]


def form_date(form: Mapping[str, str], name: str, errors: dict[str, str]) -> date | None:
    """An optional date of a people form, labelled as its pages label it."""
    return date_field(form.get(name), name, DATE_LABELS.get(name, "Date"), errors, required=False)


def _refuse(errors: dict[str, str], more: Mapping[str, str]) -> None:
    """Refuse with the form's problems and, beside them, the service's for the other fields."""
    if errors:
        raise ValidationFailed(errors | {k: v for k, v in more.items() if k not in errors})


def _no_problems(*_: object) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class AliasInput:
    first_name: str
    last_name: str


@dataclass(frozen=True)
class AddressInput:
    line1: str
    line2: str = ""
    town: str = ""
    postcode: str = ""
    moved_in: date | None = None

    @classmethod
    def read(cls, form: Mapping[str, str], *, prefix: str = "", problems: Problems = _no_problems) -> AddressInput:
        """The address as typed (fields ``line1`` ... ``moved_in``, after ``prefix``); ``problems(address)`` are the
        service's checks, shown beside a date that cannot be read."""
        errors: dict[str, str] = {}
        address = cls._from(form, prefix, errors)
        _refuse(errors, problems(address) if errors else {})
        return address

    @classmethod
    def _from(cls, form: Mapping[str, str], prefix: str, errors: dict[str, str]) -> AddressInput:
        return cls(
            line1=form.get(f"{prefix}line1", ""),
            line2=form.get(f"{prefix}line2", ""),
            town=form.get(f"{prefix}town", ""),
            postcode=form.get(f"{prefix}postcode", ""),
            moved_in=form_date(form, f"{prefix}moved_in", errors),
        )

    @staticmethod
    def given(form: Mapping[str, str], prefix: str) -> bool:
        """Whether an optional address (the new person's first) was filled in at all."""
        return any(form.get(f"{prefix}{k}", "").strip() for k in ("line1", "line2", "town", "postcode"))


@dataclass(frozen=True)
class PersonInput:
    """A person's details as a form or another service gives them. Text is as typed; the service cleans it."""

    first_name: str
    last_name: str
    kind: str = PersonKind.CHILD
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    date_of_death: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    nhs_number: str | None = None
    upn: str | None = None
    upn_unknown: str | None = None
    la_child_id: str | None = None
    notes: str | None = None
    aliases: Sequence[AliasInput] = ()
    address: AddressInput | None = None

    @classmethod
    def read(cls, form: Mapping[str, str], *, problems: Problems = _no_problems) -> PersonInput:
        """A new person from the form: details, one other name and a first address (both optional).
        ``problems(person)`` are the service's checks, shown beside a date that cannot be read."""
        errors: dict[str, str] = {}
        person = cls.details(form, errors, with_extras=True)
        _refuse(errors, problems(person) if errors else {})
        return person

    @classmethod
    def details(cls, form: Mapping[str, str], errors: dict[str, str], *, with_extras: bool) -> PersonInput:
        """The fields of the person form; a date that cannot be read is named in ``errors`` (and left out)."""
        address = None
        aliases: list[AliasInput] = []
        if with_extras:
            if AddressInput.given(form, "address."):
                address = AddressInput._from(form, "address.", errors)
            aliases = [AliasInput(form.get("aliases.0.first_name", ""), form.get("aliases.0.last_name", ""))]
        return cls(
            kind=form.get("kind", PersonKind.CHILD),
            first_name=form.get("first_name", ""),
            last_name=form.get("last_name", ""),
            date_of_birth=form_date(form, "date_of_birth", errors),
            expected_date_of_birth=form_date(form, "expected_date_of_birth", errors),
            date_of_death=form_date(form, "date_of_death", errors),
            sex=form.get("sex") or None,
            ethnicity=form.get("ethnicity") or None,
            nhs_number=form.get("nhs_number") or None,
            upn=form.get("upn") or None,
            upn_unknown=form.get("upn_unknown") or None,
            la_child_id=form.get("la_child_id") or None,
            notes=form.get("notes") or None,
            aliases=aliases,
            address=address,
        )


@dataclass(frozen=True)
class PersonChange:
    """A change to a person's details, with the version of the record the form was filled in from."""

    version: int
    details: PersonInput

    @classmethod
    def read(cls, form: Mapping[str, str], *, problems: Problems = _no_problems) -> PersonChange:
        errors: dict[str, str] = {}
        details = PersonInput.details(form, errors, with_extras=False)
        version = record_id(form.get("version"))
        if version is None:
            errors["version"] = "The form is missing the record's version: reload the page and try again"
        _refuse(errors, problems(details) if errors else {})
        assert version is not None
        return cls(version, details)


@dataclass(frozen=True)
class SearchQuery:
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    postcode: str = ""

    def terms(self) -> dict[str, str]:
        """The terms as given, for the audit log."""
        given = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else "",
            "nhs_number": self.nhs_number,
            "postcode": self.postcode,
        }
        return {k: v for k, v in given.items() if v}

    @classmethod
    def read(cls, params: Mapping[str, str]) -> tuple[SearchQuery, dict[str, str]]:
        """The search a page asks for, and what is wrong with it: a mistyped NHS number or postcode is pointed out
        rather than silently matching nobody (the search is not run while anything is wrong)."""
        errors: dict[str, str] = {}
        if params.get("nhs_number", "").strip() and (problem := rules.nhs_number_problem(params["nhs_number"])):
            errors["nhs_number"] = problem
        if params.get("postcode", "").strip() and (problem := rules.postcode_problem(params["postcode"])):
            errors["postcode"] = problem
        query = cls(
            first_name=params.get("first_name", "").strip(),
            last_name=params.get("last_name", "").strip(),
            date_of_birth=form_date(params, "date_of_birth", errors),
            nhs_number=params.get("nhs_number", "").strip(),
            postcode=params.get("postcode", "").strip(),
        )
        return query, errors
