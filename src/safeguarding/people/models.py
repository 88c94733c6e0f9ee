"""Tables for people: children and adults, aliases, addresses with history, family relationships."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, ScalarSelect, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped, utcnow
from safeguarding.people import rules


class PersonKind(StrEnum):
    CHILD = "child"
    ADULT = "adult"


class RelationshipKind(StrEnum):
    """Family relationships. ``parent`` and ``carer`` read "A is parent/carer of B"; the rest are symmetric."""

    PARENT = "parent"
    CARER = "carer"
    SIBLING = "sibling"
    HALF_SIBLING = "half_sibling"
    HOUSEHOLD_MEMBER = "household_member"


SYMMETRIC_RELATIONSHIPS = frozenset(
    {RelationshipKind.SIBLING, RelationshipKind.HALF_SIBLING, RelationshipKind.HOUSEHOLD_MEMBER}
)


class Person(Base, Timestamped):
    __tablename__ = "person"
    __table_args__ = (
        # Search before create reads the people of a name nearest in date of birth in the index's order (0021).
        Index("ix_person_names_birth", "last_name_key", "first_name_key", "date_of_birth"),
        Index("ix_person_sound_birth", "last_name_sound", "first_name_sound", "date_of_birth"),
        CheckConstraint("length(first_name) <= 100 AND length(last_name) <= 100", name="name_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PersonKind] = mapped_column(String(10))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(index=True)
    expected_date_of_birth: Mapped[date | None] = mapped_column()
    date_of_death: Mapped[date | None] = mapped_column()
    sex: Mapped[str | None] = mapped_column(String(1))  # core.codes.SEXES
    ethnicity: Mapped[str | None] = mapped_column(String(4))  # core.codes.ETHNICITIES
    nhs_number: Mapped[str | None] = mapped_column(String(10), unique=True)
    upn: Mapped[str | None] = mapped_column(String(13), unique=True)
    upn_unknown: Mapped[str | None] = mapped_column(String(3))
    # Stable identifier for DfE returns (CIN census LAchildID: at most 20 alphanumeric characters).
    la_child_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Normalised search keys, kept by people.records on every write.
    first_name_key: Mapped[str] = mapped_column(String(100), default="")
    last_name_key: Mapped[str] = mapped_column(String(100), default="")
    first_name_sound: Mapped[str] = mapped_column(String(20), default="")
    last_name_sound: Mapped[str] = mapped_column(String(20), default="")
    notes: Mapped[str | None] = mapped_column(Text)
    # Set when this record was merged into another (people/duplicates/): the record is kept, never deleted, so old
    # links and audit rows still name it; pages and searches lead to the survivor. Cleared by an unmerge.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)

    aliases: Mapped[list[PersonAlias]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonAlias.id"
    )
    addresses: Mapped[list[Address]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Address.moved_in.desc()"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def current_address(self) -> Address | None:
        return next((a for a in self.addresses if a.moved_out is None), None)

    @property
    def postcode_district(self) -> str | None:
        """The district of the current address's postcode, where people are listed (load ``addresses`` with the
        list's people in one statement)."""
        address = self.current_address
        return rules.postcode_district(address.postcode) if address is not None else None


class PersonAlias(Base):
    """Another name a person is or was known by (maiden name, nickname, street name, misspelling on file)."""

    __tablename__ = "person_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name_key: Mapped[str] = mapped_column(String(100), default="")
    last_name_key: Mapped[str] = mapped_column(String(100), default="", index=True)
    last_name_sound: Mapped[str] = mapped_column(String(20), default="", index=True)

    person: Mapped[Person] = relationship(back_populates="aliases")


class Address(Base):
    """Where a person lives or lived; the current address has no move-out date."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str | None] = mapped_column(String(100))
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)  # normalised "SW1A 1AA"
    moved_in: Mapped[date | None] = mapped_column()
    moved_out: Mapped[date | None] = mapped_column()

    person: Mapped[Person] = relationship(back_populates="addresses")

    @property
    def one_line(self) -> str:
        return ", ".join(p for p in [self.line1, self.line2, self.town, self.postcode] if p)


def current_postcode(person_id: ColumnElement[int] | Mapped[int]) -> ScalarSelect[str | None]:
    """The postcode of a person's current address (as ``Person.current_address`` chooses it), as a column of the
    caller's statement: lists read it in the same statement as their rows, never with a query a row."""
    return (
        select(Address.postcode)
        .where(Address.person_id == person_id, Address.moved_out.is_(None))
        .order_by(Address.moved_in.desc(), Address.id)
        .limit(1)
        .scalar_subquery()
    )


class FamilyRelationship(Base):
    """A family tie between two people, dated and sourced."""

    __tablename__ = "family_relationship"
    __table_args__ = (CheckConstraint("from_person_id <> to_person_id", name="not_self"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    from_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    to_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RelationshipKind] = mapped_column(String(20))
    started: Mapped[date | None] = mapped_column()
    ended: Mapped[date | None] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    from_person: Mapped[Person] = relationship(foreign_keys=[from_person_id])
    to_person: Mapped[Person] = relationship(foreign_keys=[to_person_id])
