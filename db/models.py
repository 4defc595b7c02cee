"""SQLAlchemy 2.0 typed models. Schema changes go through Alembic (db/migrations) only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LEAD_STATUSES = ("new", "claimed", "contacted", "enrolled", "declined", "unreachable")
ROLES = ("citizen", "agent", "cadre", "admin")
BROADCAST_STATUSES = ("draft", "scheduled", "sending", "done", "cancelled")
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "blocked")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones), always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, int: Integer}


# --- places -------------------------------------------------------------------------------


class Province(Base):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # official code
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. hai_phong (policy engine)
    division_type: Mapped[str] = mapped_column(String(40))
    search_key: Mapped[str] = mapped_column(String(100), index=True)
    source_version: Mapped[str] = mapped_column(String(60))  # vietnam-provinces==2025.10.1
    bonus_per_card_vnd: Mapped[int | None]

    communes: Mapped[list[Commune]] = relationship(back_populates="province")


class Commune(Base):
    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # official ward code
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    codename: Mapped[str] = mapped_column(String(100))
    division_type: Mapped[str] = mapped_column(String(20))  # xã / phường / đặc khu
    search_key: Mapped[str] = mapped_column(String(100), index=True)  # name without the prefix
    source_version: Mapped[str] = mapped_column(String(60))
    bonus_per_card_vnd: Mapped[int | None]

    province: Mapped[Province] = relationship(back_populates="communes", lazy="joined")

    @property
    def label(self) -> str:
        return f"{self.name}, {self.province.name}"


# --- people and roles ---------------------------------------------------------------------


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="vi")
    home_commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"))
    campaign_source: Mapped[str | None] = mapped_column(String(64))  # /start deep-link payload
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    home_commune: Mapped[Commune | None] = relationship()


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_commune_active", "commune_id", "opted_out_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    opted_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    opted_out_at: Mapped[datetime | None]


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL after the person deleted their data: the withdrawal record stays, anonymous.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))  # contact_by_agent, campaign_news, ...
    text_version: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("communes.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


# --- leads --------------------------------------------------------------------------------


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(_in("status", LEAD_STATUSES), name="status"),
        Index("ix_leads_commune_status", "commune_id", "status"),
        Index("ix_leads_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    household: Mapped[dict[str, Any] | None]
    quote: Mapped[dict[str, Any] | None]
    quote_total_vnd: Mapped[int | None] = mapped_column(BigInteger)
    phone: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="new")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    cards_enrolled: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    commune: Mapped[Commune] = relationship()


class LeadEvent(Base):
    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


# --- broadcasts ---------------------------------------------------------------------------


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (CheckConstraint(_in("status", BROADCAST_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    button_text: Mapped[str | None] = mapped_column(String(100))
    button_url: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(10))  # None = every locale
    scheduled_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    communes: Mapped[list[BroadcastCommune]] = relationship(cascade="all, delete-orphan")


class BroadcastCommune(Base):
    __tablename__ = "broadcast_communes"

    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), primary_key=True)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


# --- coverage -----------------------------------------------------------------------------


class CoverageTarget(Base):
    __tablename__ = "coverage_targets"
    __table_args__ = (UniqueConstraint("commune_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    year: Mapped[int]
    target_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class CoverageCount(Base):
    __tablename__ = "coverage_counts"
    __table_args__ = (UniqueConstraint("commune_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    as_of: Mapped[date] = mapped_column(Date)
    population: Mapped[int]
    insured: Mapped[int]


# --- conversation log ---------------------------------------------------------------------


class ConversationTurn(Base):
    __tablename__ = "conversation_turns"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(80))
    confidence: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# --- lead follow-up (agents) -----------------------------------------------------------------

NOTIFICATION_KINDS = (
    "offer",
    "remind",
    "escalate",
    "owner_remind",
    "released",
    "citizen_claimed",
)
RENEWAL_KINDS = ("month", "week")


class LeadNotification(Base):
    """One message about a lead to one person, claimed (inserted) before it is sent.

    The unique key makes sending idempotent across workers and restarts: whoever inserts the
    row sends the message. `round` counts claims: a released lead is offered again (round+1).
    """

    __tablename__ = "lead_notifications"
    __table_args__ = (
        UniqueConstraint("lead_id", "kind", "round", "chat_id"),
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="kind"),
        Index("ix_lead_notifications_pending", "sent_at", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    round: Mapped[int] = mapped_column(default=1)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)  # a worker took the sending
    sent_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]  # the agent pressed "Bỏ qua"
    closed_at: Mapped[datetime | None]  # edited after the lead was taken


class RenewalReminder(Base):
    """A reminder to renew a card before it ends, for the citizen and the owning agent."""

    __tablename__ = "renewal_reminders"
    __table_args__ = (
        UniqueConstraint("lead_id", "kind"),
        CheckConstraint(_in("kind", RENEWAL_KINDS), name="kind"),
        Index("ix_renewal_reminders_due", "sent_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    kind: Mapped[str] = mapped_column(String(10))  # month / week ahead of card_end
    card_end: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
