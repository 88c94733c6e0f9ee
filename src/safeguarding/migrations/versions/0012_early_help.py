"""early help: the episode of early help or Family Help with its family members, consent to the assessment and to
sharing with each agency, the early help assessment, the family plan and its needs (each with an outcome at
closure), the team around the family and its meetings and reviews, and the lead practitioners' history

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:57:49.522205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import safeguarding.core.db


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "early_help_episode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_agency_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("request_reason", sa.Text(), nullable=True),
        sa.Column("need_identified_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("lead_practitioner_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure_reason", sa.String(length=60), nullable=True),
        sa.Column("closure_note", sa.Text(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("declined_reason", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(family_name) <= 200", name=op.f("ck_early_help_episode_family_name_length")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["app_user.id"], name=op.f("fk_early_help_episode_closed_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], name=op.f("fk_early_help_episode_contact_id_contact")),
        sa.ForeignKeyConstraint(
            ["lead_practitioner_id"], ["app_user.id"], name=op.f("fk_early_help_episode_lead_practitioner_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_episode_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_agency_id"],
            ["partner_agency.id"],
            name=op.f("fk_early_help_episode_requested_by_agency_id_partner_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["app_user.id"], name=op.f("fk_early_help_episode_requested_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_early_help_episode_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_episode")),
    )
    with op.batch_alter_table("early_help_episode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_help_episode_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_early_help_episode_lead", ["lead_practitioner_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_early_help_episode_requested_by_agency_id"), ["requested_by_agency_id"], unique=False
        )
        batch_op.create_index("ix_early_help_episode_status", ["status", "started_on"], unique=False)

    op.create_table(
        "early_help_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("reassessment", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"], ["app_user.id"], name=op.f("fk_early_help_assessment_assessed_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_assessment_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_assessment_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_assessment")),
    )
    with op.batch_alter_table("early_help_assessment", schema=None) as batch_op:
        batch_op.create_index("ix_early_help_assessment_episode", ["episode_id", "started_on"], unique=False)

    op.create_table(
        "early_help_family_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_family_member_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_early_help_family_member_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_family_member")),
    )
    with op.batch_alter_table("early_help_family_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_help_family_member_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index("ix_early_help_family_member_person", ["person_id"], unique=False)

    op.create_table(
        "early_help_family_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_family_plan_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_family_plan_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_family_plan")),
    )
    with op.batch_alter_table("early_help_family_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_help_family_plan_episode_id"), ["episode_id"], unique=False)

    op.create_table(
        "early_help_lead_practitioner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("to_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["partner_agency.id"], name=op.f("fk_early_help_lead_practitioner_agency_id_partner_agency")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_lead_practitioner_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_lead_practitioner_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_early_help_lead_practitioner_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_lead_practitioner")),
    )
    with op.batch_alter_table("early_help_lead_practitioner", schema=None) as batch_op:
        batch_op.create_index("ix_early_help_lead_practitioner_episode", ["episode_id", "from_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_help_lead_practitioner_user_id"), ["user_id"], unique=False)

    op.create_table(
        "early_help_taf_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("family_attended", sa.Boolean(), nullable=True),
        sa.Column("attendees", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_taf_meeting_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_taf_meeting_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_taf_meeting")),
    )
    with op.batch_alter_table("early_help_taf_meeting", schema=None) as batch_op:
        batch_op.create_index("ix_early_help_taf_meeting_episode", ["episode_id", "held_on"], unique=False)

    op.create_table(
        "early_help_taf_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("agency_name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["partner_agency.id"], name=op.f("fk_early_help_taf_member_agency_id_partner_agency")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_taf_member_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_taf_member_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_early_help_taf_member_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_taf_member")),
    )
    with op.batch_alter_table("early_help_taf_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_help_taf_member_episode_id"), ["episode_id"], unique=False)

    op.create_table(
        "early_help_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("agency_name", sa.String(length=200), nullable=True),
        sa.Column("given_by_member_id", sa.Integer(), nullable=True),
        sa.Column("given_by_name", sa.String(length=200), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawal_response", sa.String(length=40), nullable=True),
        sa.Column("safeguarding_contact_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["partner_agency.id"], name=op.f("fk_early_help_consent_agency_id_partner_agency")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_consent_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["given_by_member_id"],
            ["early_help_family_member.id"],
            name=op.f("fk_early_help_consent_given_by_member_id_early_help_family_member"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_consent_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["safeguarding_contact_id"],
            ["contact.id"],
            name=op.f("fk_early_help_consent_safeguarding_contact_id_contact"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_early_help_consent_withdrawn_recorded_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_consent")),
    )
    with op.batch_alter_table("early_help_consent", schema=None) as batch_op:
        batch_op.create_index("ix_early_help_consent_episode", ["episode_id", "scope"], unique=False)

    op.create_table(
        "early_help_family_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("intended_outcome", sa.Text(), nullable=True),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", safeguarding.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(description) <= 2000", name=op.f("ck_early_help_family_need_description_length")),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["early_help_assessment.id"],
            name=op.f("fk_early_help_family_need_assessment_id_early_help_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["early_help_episode.id"],
            name=op.f("fk_early_help_family_need_episode_id_early_help_episode"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["early_help_family_member.id"],
            name=op.f("fk_early_help_family_need_member_id_early_help_family_member"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["early_help_family_plan.id"],
            name=op.f("fk_early_help_family_need_plan_id_early_help_family_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_early_help_family_need_recorded_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_help_family_need")),
    )
    with op.batch_alter_table("early_help_family_need", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_help_family_need_episode_id"), ["episode_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("early_help_family_need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_help_family_need_episode_id"))

    op.drop_table("early_help_family_need")
    with op.batch_alter_table("early_help_consent", schema=None) as batch_op:
        batch_op.drop_index("ix_early_help_consent_episode")

    op.drop_table("early_help_consent")
    with op.batch_alter_table("early_help_taf_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_help_taf_member_episode_id"))

    op.drop_table("early_help_taf_member")
    with op.batch_alter_table("early_help_taf_meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_early_help_taf_meeting_episode")

    op.drop_table("early_help_taf_meeting")
    with op.batch_alter_table("early_help_lead_practitioner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_help_lead_practitioner_user_id"))
        batch_op.drop_index("ix_early_help_lead_practitioner_episode")

    op.drop_table("early_help_lead_practitioner")
    with op.batch_alter_table("early_help_family_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_help_family_plan_episode_id"))

    op.drop_table("early_help_family_plan")
    with op.batch_alter_table("early_help_family_member", schema=None) as batch_op:
        batch_op.drop_index("ix_early_help_family_member_person")
        batch_op.drop_index(batch_op.f("ix_early_help_family_member_episode_id"))

    op.drop_table("early_help_family_member")
    with op.batch_alter_table("early_help_assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_early_help_assessment_episode")

    op.drop_table("early_help_assessment")
    with op.batch_alter_table("early_help_episode", schema=None) as batch_op:
        batch_op.drop_index("ix_early_help_episode_status")
        batch_op.drop_index(batch_op.f("ix_early_help_episode_requested_by_agency_id"))
        batch_op.drop_index("ix_early_help_episode_lead")
        batch_op.drop_index(batch_op.f("ix_early_help_episode_contact_id"))

    op.drop_table("early_help_episode")
