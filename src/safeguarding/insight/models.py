"""Tables of the workforce (contracts and vacancies) and of the improvement plan.

Workforce (DfE "Children's social work workforce" definitions): each worker's contracts, permanent, agency or project
team, with start and leave dates, FTE and whether the post holds cases (the DfE caseload definition counts
case-holding FTE only); vacant posts with the dates they opened and were filled and whether an agency worker covers
them. Administrators enter them; the DfE measures (insight/workforce.py) are computed from them.

Improvement plan (Ofsted ILACS monitoring visits): findings and recommendations from an
inspection or monitoring visit letter, each with actions (owner, due date, done date) and the indicators
(insight/indicators.py keys) that show progress.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from safeguarding.core.db import Base, Timestamped
from safeguarding.core.users import Team, User


class WorkerContract(Base, Timestamped):
    __tablename__ = "worker_contract"
    __table_args__ = (
        Index("ix_worker_contract_user", "user_id", "started_on"),
        CheckConstraint("fte > 0 AND fte <= 1", name="fte_range"),
        CheckConstraint("left_on IS NULL OR left_on >= started_on", name="left_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # insight.workforce.EMPLOYMENT_TYPES: permanent | agency | project_team
    employment_type: Mapped[str] = mapped_column(String(20))
    agency_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200))
    started_on: Mapped[date] = mapped_column()
    left_on: Mapped[date | None] = mapped_column()
    fte: Mapped[float] = mapped_column(Float)
    case_holding: Mapped[bool] = mapped_column(default=True)
    # Agency workers covering a vacant post count in the DfE's "agency workers covering vacancies".
    covers_vacancy_id: Mapped[int | None] = mapped_column(ForeignKey("vacancy.id"))
    version: Mapped[int] = mapped_column(default=1)

    user: Mapped[User] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class Vacancy(Base, Timestamped):
    __tablename__ = "vacancy"
    __table_args__ = (
        CheckConstraint("fte > 0 AND fte <= 1", name="vacancy_fte_range"),
        CheckConstraint("filled_on IS NULL OR filled_on >= opened_on", name="filled_after_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    fte: Mapped[float] = mapped_column(Float)
    opened_on: Mapped[date] = mapped_column()
    filled_on: Mapped[date | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    team: Mapped[Team | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ImprovementItem(Base, Timestamped):
    """A finding or recommendation from an inspection or monitoring visit, as written in the letter."""

    __tablename__ = "improvement_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # insight.improvement.ITEM_KINDS
    source: Mapped[str] = mapped_column(String(200))  # e.g. "Monitoring visit letter, 12 March 2026"
    reported_on: Mapped[date] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    # Keys of insight.indicators.INDICATORS that show progress on this item.
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)

    actions: Mapped[list[ImprovementAction]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ImprovementAction.due_on"
    )

    __mapper_args__ = {"version_id_col": version}


class ImprovementAction(Base, Timestamped):
    __tablename__ = "improvement_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("improvement_item.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column()
    done_on: Mapped[date | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    item: Mapped[ImprovementItem] = relationship(back_populates="actions")

    __mapper_args__ = {"version_id_col": version}


class PostcodeDistrict(Base):
    """Where a postcode district (the outward code, "LS8") lies: the grid reference of its centre on the Ordnance
    Survey National Grid (metres east and north), for the distance between a child's home and their placement
    (``insight.distance``; the DfE measures it from the two postcodes of each placement). Reference data: loaded
    from the ONS or Ordnance Survey postcode products, not typed; ``source`` names the product and its date."""

    __tablename__ = "postcode_district"

    district: Mapped[str] = mapped_column(String(4), primary_key=True)
    easting: Mapped[int] = mapped_column()
    northing: Mapped[int] = mapped_column()
    # The DfE's three-digit code of the local authority most of the district lies in (as ``returns.la_code``): where
    # a placement is, in or out of the council's area (Annex A List 8). None where not known.
    la_code: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(200))
