"""lead follow-up: lead_notifications, renewal_reminders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("skipped_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('offer', 'remind', 'escalate', 'owner_remind', 'released', "
            "'citizen_claimed')",
            name=op.f("ck_lead_notifications_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_notifications_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_lead_notifications_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_notifications")),
        sa.UniqueConstraint(
            "lead_id", "kind", "round", "chat_id", name=op.f("uq_lead_notifications_lead_id")
        ),
    )
    with op.batch_alter_table("lead_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_notifications_lead_id"), ["lead_id"], unique=False
        )
        batch_op.create_index(
            "ix_lead_notifications_pending", ["sent_at", "claimed_at"], unique=False
        )

    op.create_table(
        "renewal_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("card_end", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('month', 'week')", name=op.f("ck_renewal_reminders_kind")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_renewal_reminders_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_reminders")),
        sa.UniqueConstraint("lead_id", "kind", name=op.f("uq_renewal_reminders_lead_id")),
    )
    with op.batch_alter_table("renewal_reminders", schema=None) as batch_op:
        batch_op.create_index("ix_renewal_reminders_due", ["sent_at", "due_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("renewal_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_renewal_reminders_due")
    op.drop_table("renewal_reminders")
    with op.batch_alter_table("lead_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_notifications_pending")
        batch_op.drop_index(batch_op.f("ix_lead_notifications_lead_id"))
    op.drop_table("lead_notifications")
