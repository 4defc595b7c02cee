"""Conversation log retention and the data-subject rights (see, correct, delete)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from db.errors import DataError, NotFound
from db.models import (
    Broadcast,
    Consent,
    ConversationTurn,
    Delivery,
    Lead,
    LeadEvent,
    Person,
    RoleGrant,
    Subscription,
    utcnow,
)
from db.sql import rowcount

DEFAULT_RETENTION_DAYS = 90
OPEN = ("new", "claimed", "contacted", "unreachable")


def log_turn(
    session: Session,
    person_id: int | None,
    text: str,
    intent: str | None,
    confidence: float | None,
) -> ConversationTurn:
    turn = ConversationTurn(person_id=person_id, text=text, intent=intent, confidence=confidence)
    session.add(turn)
    session.flush()
    return turn


def log_turns(session: Session, turns: list[dict[str, Any]]) -> int:
    """Many turns in one statement. Each dict: person_id, text, intent, confidence,
    created_at (when the message came, not when the batch was written)."""
    if not turns:
        return 0
    session.execute(insert(ConversationTurn), turns)
    return len(turns)


def purge_old_turns(session: Session, days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Deletes log lines older than `days`; returns how many."""
    cutoff = utcnow() - timedelta(days=days)
    return rowcount(
        session.execute(delete(ConversationTurn).where(ConversationTurn.created_at < cutoff))
    )


def _iso(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def export_person_data(session: Session, person_id: int) -> dict[str, Any]:
    """Everything held about one person (for /du_lieu_cua_toi), JSON-serialisable."""
    p = session.get(Person, person_id)
    if p is None:
        raise NotFound(f"person {person_id}")
    leads = session.scalars(select(Lead).where(Lead.person_id == person_id).order_by(Lead.id))
    return {
        "person": {
            "telegram_id": p.telegram_id,
            "first_name": p.first_name,
            "locale": p.locale,
            "home_commune": p.home_commune.label if p.home_commune else None,
            "campaign_source": p.campaign_source,
            "created_at": _iso(p.created_at),
        },
        "roles": [
            {"role": g.role, "commune_id": g.commune_id, "granted_at": _iso(g.granted_at)}
            for g in session.scalars(
                select(RoleGrant).where(
                    RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None)
                )
            )
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "text_version": c.text_version,
                "granted_at": _iso(c.granted_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in session.scalars(
                select(Consent).where(Consent.person_id == person_id).order_by(Consent.id)
            )
        ],
        "subscriptions": [
            {
                "commune_id": s.commune_id,
                "opted_in_at": _iso(s.opted_in_at),
                "opted_out_at": _iso(s.opted_out_at),
            }
            for s in session.scalars(
                select(Subscription).where(Subscription.person_id == person_id)
            )
        ],
        "leads": [
            {
                "id": lead.id,
                "commune": lead.commune.label,
                "household": lead.household,
                "quote": lead.quote,
                "quote_total_vnd": lead.quote_total_vnd,
                "phone": lead.phone,
                "status": lead.status,
                "cards_enrolled": lead.cards_enrolled,
                "created_at": _iso(lead.created_at),
            }
            for lead in leads
        ],
        "conversation": [
            {"text": t.text, "intent": t.intent, "created_at": _iso(t.created_at)}
            for t in session.scalars(
                select(ConversationTurn)
                .where(ConversationTurn.person_id == person_id)
                .order_by(ConversationTurn.id)
            )
        ],
    }


CORRECTABLE = {"first_name", "locale", "home_commune_id", "phone"}


def correct_person_data(session: Session, person_id: int, **changes: Any) -> Person:
    """Fixes first_name, locale, home_commune_id, or phone (on the person's open leads)."""
    unknown = set(changes) - CORRECTABLE
    if unknown:
        raise DataError(f"cannot correct {', '.join(sorted(unknown))}")
    p = session.get(Person, person_id)
    if p is None:
        raise NotFound(f"person {person_id}")
    phone = changes.pop("phone", None)
    for k, v in changes.items():
        setattr(p, k, v)
    if phone is not None:
        session.execute(
            update(Lead)
            .where(Lead.person_id == person_id, Lead.status.in_(OPEN))
            .values(phone=phone, updated_at=utcnow())
        )
    session.flush()
    return p


def correct_phone(session: Session, person_id: int, phone: str) -> int:
    """The phone on the person's open leads (/sua_sdt); returns how many leads changed."""
    return rowcount(
        session.execute(
            update(Lead)
            .where(Lead.person_id == person_id, Lead.status.in_(OPEN))
            .values(phone=phone, updated_at=utcnow())
        )
    )


def delete_person_data(session: Session, person_id: int) -> dict[str, int]:
    """/xoa_du_lieu. Keeps only anonymous aggregates: leads keep status, commune, cards and
    owner agent; consents keep purpose, version and dates (marked withdrawn). Everything
    else about the person goes, including the person row."""
    p = session.get(Person, person_id)
    if p is None:
        raise NotFound(f"person {person_id}")
    now = utcnow()
    # Open leads can no longer be worked (no phone): close them as declined (actor NULL).
    open_leads = session.execute(
        select(Lead.id, Lead.status).where(Lead.person_id == person_id, Lead.status.in_(OPEN))
    ).all()
    for lead_id, status in open_leads:
        session.add(
            LeadEvent(lead_id=lead_id, actor_id=None, from_status=status, to_status="declined")
        )
    session.execute(
        update(Lead)
        .where(Lead.person_id == person_id, Lead.status.in_(OPEN))
        .values(status="declined")
    )
    lead_ids = select(Lead.id).where(Lead.person_id == person_id).scalar_subquery()
    session.execute(
        update(Consent)
        .where(Consent.person_id == person_id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    counts = {
        "lead_notes": rowcount(
            session.execute(
                update(LeadEvent)
                .where(LeadEvent.lead_id.in_(lead_ids), LeadEvent.note.is_not(None))
                .values(note=None)
            )
        ),
        "leads": rowcount(
            session.execute(
                update(Lead)
                .where(Lead.person_id == person_id)
                .values(person_id=None, phone=None, household=None, quote=None, updated_at=now)
            )
        ),
        "consents": rowcount(
            session.execute(
                update(Consent).where(Consent.person_id == person_id).values(person_id=None)
            )
        ),
        "conversation": rowcount(
            session.execute(delete(ConversationTurn).where(ConversationTurn.person_id == person_id))
        ),
        "subscriptions": rowcount(
            session.execute(delete(Subscription).where(Subscription.person_id == person_id))
        ),
    }
    # An agent deleting their data: their claimed leads go back to the commune's pool.
    session.execute(
        update(Lead)
        .where(Lead.owner_id == person_id, Lead.status == "claimed")
        .values(status="new", owner_id=None, updated_at=now)
    )
    # References that are not about this person's own data are detached, not deleted.
    session.execute(update(LeadEvent).where(LeadEvent.actor_id == person_id).values(actor_id=None))
    session.execute(update(Lead).where(Lead.owner_id == person_id).values(owner_id=None))
    session.execute(
        update(Delivery).where(Delivery.person_id == person_id).values(person_id=None, chat_id=None)
    )
    session.execute(
        update(RoleGrant).where(RoleGrant.granted_by_id == person_id).values(granted_by_id=None)
    )
    session.execute(delete(RoleGrant).where(RoleGrant.person_id == person_id))
    session.execute(
        update(Broadcast).where(Broadcast.author_id == person_id).values(author_id=None)
    )
    session.delete(p)
    session.flush()
    return counts
