"""Leads: a citizen's request to be contacted, claimed atomically by one agent of the commune."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.errors import InvalidTransition, NotFound, PermissionDenied
from db.models import Commune, Lead, LeadEvent, Province, RoleGrant, utcnow
from db.sql import rowcount

DEFAULT_DEDUP_WINDOW = timedelta(hours=24)
DEFAULT_BONUS_PER_CARD_VND = 20_000
OPEN_STATUSES = ("new", "claimed", "contacted", "unreachable")
# Outcomes an owning agent may record; 'claimed' and 'new' only via claim_lead/release_lead.
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"claimed"}),
    "claimed": frozenset({"new", "contacted", "enrolled", "declined", "unreachable"}),
    "contacted": frozenset({"enrolled", "declined", "unreachable"}),
    "unreachable": frozenset({"contacted", "enrolled", "declined"}),
    "enrolled": frozenset(),
    "declined": frozenset(),
}


def _event(
    session: Session, lead_id: int, actor_id: int | None, frm: str | None, to: str, note: str | None
) -> None:
    session.add(
        LeadEvent(lead_id=lead_id, actor_id=actor_id, from_status=frm, to_status=to, note=note)
    )


def create_or_update_lead(
    session: Session,
    person_id: int,
    commune_id: int,
    household: dict[str, Any] | None,
    quote: dict[str, Any] | None,
    quote_total_vnd: int | None,
    phone: str | None,
    window: timedelta = DEFAULT_DEDUP_WINDOW,
    now: datetime | None = None,
) -> tuple[Lead, bool]:
    """A repeat request by the same person within `window` updates their open lead.

    Returns (lead, created). The open lead keeps its owner and status.
    """
    now = now or utcnow()
    lead = session.scalars(
        select(Lead)
        .where(
            Lead.person_id == person_id,
            Lead.status.in_(OPEN_STATUSES),
            Lead.created_at >= now - window,
        )
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .with_for_update(of=Lead)
    ).first()
    if lead is not None:
        lead.commune_id = commune_id
        lead.household = household
        lead.quote = quote
        lead.quote_total_vnd = quote_total_vnd
        if phone:
            lead.phone = phone
        lead.updated_at = now
        _event(session, lead.id, person_id, lead.status, lead.status, "updated by repeat request")
        session.flush()
        return lead, False
    lead = Lead(
        person_id=person_id,
        commune_id=commune_id,
        household=household,
        quote=quote,
        quote_total_vnd=quote_total_vnd,
        phone=phone,
        status="new",
        created_at=now,
        updated_at=now,
    )
    session.add(lead)
    session.flush()
    _event(session, lead.id, person_id, None, "new", None)
    session.flush()
    return lead, True


def get_lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id}")
    return lead


def is_agent_of(session: Session, person_id: int, commune_id: int) -> bool:
    return (
        session.scalars(
            select(RoleGrant.id)
            .where(
                RoleGrant.person_id == person_id,
                RoleGrant.role == "agent",
                RoleGrant.commune_id == commune_id,
                RoleGrant.revoked_at.is_(None),
            )
            .limit(1)
        ).first()
        is not None
    )


def can_see_lead(session: Session, person_id: int, lead: Lead) -> bool:
    """Only agents of the lead's commune (and the citizen who asked) see a lead's details."""
    return lead.person_id == person_id or is_agent_of(session, person_id, lead.commune_id)


def agents_for_commune(session: Session, commune_id: int) -> list[int]:
    """Person ids of the active agents of a commune (to notify them of a new lead)."""
    return list(
        session.scalars(
            select(RoleGrant.person_id)
            .where(
                RoleGrant.role == "agent",
                RoleGrant.commune_id == commune_id,
                RoleGrant.revoked_at.is_(None),
            )
            .distinct()
            .order_by(RoleGrant.person_id)
        )
    )


def claim_lead(session: Session, lead_id: int, agent_person_id: int) -> bool:
    """Atomic: one conditional UPDATE; True only for the single agent that won the lead."""
    lead_commune = session.scalar(select(Lead.commune_id).where(Lead.id == lead_id))
    if lead_commune is None:
        raise NotFound(f"lead {lead_id}")
    if not is_agent_of(session, agent_person_id, lead_commune):
        raise PermissionDenied("only agents of the lead's commune may claim it")
    now = utcnow()
    won = (
        rowcount(
            session.execute(
                update(Lead)
                .where(Lead.id == lead_id, Lead.status == "new", Lead.owner_id.is_(None))
                .values(status="claimed", owner_id=agent_person_id, updated_at=now)
            )
        )
        == 1
    )
    if won:
        _event(session, lead_id, agent_person_id, "new", "claimed", None)
        session.flush()
    return won


def release_lead(
    session: Session, lead_id: int, agent_person_id: int, note: str | None = None
) -> bool:
    """The owner gives a claimed lead back to the pool of its commune."""
    done = (
        rowcount(
            session.execute(
                update(Lead)
                .where(
                    Lead.id == lead_id, Lead.status == "claimed", Lead.owner_id == agent_person_id
                )
                .values(status="new", owner_id=None, updated_at=utcnow())
            )
        )
        == 1
    )
    if done:
        _event(session, lead_id, agent_person_id, "claimed", "new", note)
        session.flush()
    return done


def record_outcome(
    session: Session,
    lead_id: int,
    agent_person_id: int,
    status: str,
    cards_enrolled: int | None = None,
    note: str | None = None,
) -> Lead:
    """Owner records contacted / enrolled (with card count) / declined / unreachable."""
    lead = session.scalars(
        select(Lead)
        .where(Lead.id == lead_id)
        .with_for_update(of=Lead)
        .execution_options(populate_existing=True)
    ).first()
    if lead is None:
        raise NotFound(f"lead {lead_id}")
    if lead.owner_id != agent_person_id:
        raise PermissionDenied("only the agent who claimed the lead may record outcomes")
    if status not in TRANSITIONS.get(lead.status, frozenset()) or status in ("new", "claimed"):
        raise InvalidTransition(f"{lead.status} -> {status} is not allowed")
    if status == "enrolled":
        if cards_enrolled is None or cards_enrolled < 1:
            raise InvalidTransition("enrolled needs cards_enrolled >= 1")
        lead.cards_enrolled = cards_enrolled
    frm = lead.status
    lead.status = status
    lead.updated_at = utcnow()
    _event(session, lead.id, agent_person_id, frm, status, note)
    session.flush()
    return lead


def open_leads_for_agent(session: Session, agent_person_id: int, limit: int = 50) -> list[Lead]:
    """Leads the agent owns that are still open, oldest first."""
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.owner_id == agent_person_id, Lead.status.in_(OPEN_STATUSES))
            .order_by(Lead.created_at, Lead.id)
            .limit(limit)
        )
    )


def unclaimed_leads_for_agent(
    session: Session, agent_person_id: int, limit: int = 50
) -> list[Lead]:
    """New leads in the agent's communes, oldest first."""
    communes = select(RoleGrant.commune_id).where(
        RoleGrant.person_id == agent_person_id,
        RoleGrant.role == "agent",
        RoleGrant.revoked_at.is_(None),
    )
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.status == "new", Lead.commune_id.in_(communes))
            .order_by(Lead.created_at, Lead.id)
            .limit(limit)
        )
    )


def bonus_per_card(session: Session, commune_id: int) -> int:
    """Commune setting, else province setting, else 20,000 VND."""
    row = session.execute(
        select(Commune.bonus_per_card_vnd, Province.bonus_per_card_vnd)
        .join(Province, Commune.province_id == Province.id)
        .where(Commune.id == commune_id)
    ).first()
    if row is None:
        raise NotFound(f"commune {commune_id}")
    for value in row:
        if value is not None:
            return int(value)
    return DEFAULT_BONUS_PER_CARD_VND


@dataclass(frozen=True)
class AgentStats:
    agent_person_id: int
    start: date
    end: date  # exclusive
    claimed: int
    contacted: int
    enrolled: int
    declined: int
    unreachable: int
    cards: int
    bonus_vnd: int


def agent_stats(session: Session, agent_person_id: int, start: date, end: date) -> AgentStats:
    """Outcomes the agent recorded in [start, end) (UTC days); bonus = cards x area rate."""
    lo = datetime.combine(start, time.min, UTC)
    hi = datetime.combine(end, time.min, UTC)
    counts: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(LeadEvent.to_status, func.count(func.distinct(LeadEvent.lead_id)))
            .where(
                LeadEvent.actor_id == agent_person_id,
                LeadEvent.at >= lo,
                LeadEvent.at < hi,
                LeadEvent.from_status.is_distinct_from(LeadEvent.to_status),
            )
            .group_by(LeadEvent.to_status)
        ).all()
    )
    enrolled = session.execute(
        select(Lead.commune_id, func.sum(Lead.cards_enrolled))
        .join(LeadEvent, LeadEvent.lead_id == Lead.id)
        .where(
            LeadEvent.actor_id == agent_person_id,
            LeadEvent.to_status == "enrolled",
            LeadEvent.at >= lo,
            LeadEvent.at < hi,
            Lead.status == "enrolled",
        )
        .group_by(Lead.commune_id)
    ).all()
    cards = sum(int(n or 0) for _, n in enrolled)
    bonus = sum(int(n or 0) * bonus_per_card(session, cid) for cid, n in enrolled)
    return AgentStats(
        agent_person_id,
        start,
        end,
        claimed=counts.get("claimed", 0),
        contacted=counts.get("contacted", 0),
        enrolled=counts.get("enrolled", 0),
        declined=counts.get("declined", 0),
        unreachable=counts.get("unreachable", 0),
        cards=cards,
        bonus_vnd=bonus,
    )
