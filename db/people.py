"""People, roles, consents and campaign subscriptions."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.errors import DataError, NotFound
from db.models import ROLES, Consent, Person, RoleGrant, Subscription, utcnow
from db.sql import rowcount


def get_person(session: Session, telegram_id: int) -> Person | None:
    return session.scalars(select(Person).where(Person.telegram_id == telegram_id)).first()


def get_or_create_person(
    session: Session,
    telegram_id: int,
    first_name: str | None = None,
    locale: str | None = None,
    campaign_source: str | None = None,
) -> tuple[Person, bool]:
    """Returns (person, created). Fills blanks of pre-registered agents on first contact."""
    person = get_person(session, telegram_id)
    created = False
    if person is None:
        # INSERT .. ON CONFLICT DO NOTHING: two first updates of a new user may race.
        ins = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        created = bool(
            session.execute(
                ins(Person)
                .values(
                    telegram_id=telegram_id,
                    first_name=first_name,
                    locale=locale or "vi",
                    campaign_source=campaign_source,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["telegram_id"])
                .returning(Person.id)
            ).first()
        )
        person = get_person(session, telegram_id)
        if person is None:  # only if someone deleted it in between
            raise NotFound(f"person with telegram id {telegram_id}")
        if created:
            return person, True
    if first_name and not person.first_name:
        person.first_name = first_name
    if campaign_source and not person.campaign_source:
        person.campaign_source = campaign_source  # first touch wins
    if locale and person.locale != locale:
        person.locale = locale
    return person, False


def set_home_commune(session: Session, person_id: int, commune_id: int | None) -> None:
    session.execute(update(Person).where(Person.id == person_id).values(home_commune_id=commune_id))


def grant_role(
    session: Session,
    person_id: int,
    role: str,
    commune_id: int | None = None,
    granted_by_id: int | None = None,
) -> RoleGrant:
    """Idempotent: an active identical grant is returned unchanged."""
    if role not in ROLES:
        raise DataError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if role in ("agent", "cadre") and commune_id is None:
        raise DataError(f"role {role} needs a commune scope")
    existing = session.scalars(
        select(RoleGrant).where(
            RoleGrant.person_id == person_id,
            RoleGrant.role == role,
            RoleGrant.commune_id.is_(None)
            if commune_id is None
            else RoleGrant.commune_id == commune_id,
            RoleGrant.revoked_at.is_(None),
        )
    ).first()
    if existing is not None:
        return existing
    grant = RoleGrant(
        person_id=person_id, role=role, commune_id=commune_id, granted_by_id=granted_by_id
    )
    session.add(grant)
    session.flush()
    return grant


def revoke_role(session: Session, person_id: int, role: str, commune_id: int | None = None) -> int:
    stmt = update(RoleGrant).where(
        RoleGrant.person_id == person_id, RoleGrant.role == role, RoleGrant.revoked_at.is_(None)
    )
    if commune_id is not None:
        stmt = stmt.where(RoleGrant.commune_id == commune_id)
    return rowcount(session.execute(stmt.values(revoked_at=utcnow())))


def roles_of(session: Session, person_id: int) -> list[RoleGrant]:
    return list(
        session.scalars(
            select(RoleGrant)
            .where(RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None))
            .order_by(RoleGrant.id)
        )
    )


def has_role(session: Session, person_id: int, role: str, commune_id: int | None = None) -> bool:
    stmt = select(RoleGrant.id).where(
        RoleGrant.person_id == person_id, RoleGrant.role == role, RoleGrant.revoked_at.is_(None)
    )
    if commune_id is not None:
        stmt = stmt.where(RoleGrant.commune_id == commune_id)
    return session.scalars(stmt.limit(1)).first() is not None


# --- consents -----------------------------------------------------------------------------


def grant_consent(session: Session, person_id: int, purpose: str, text_version: str) -> Consent:
    current = active_consent(session, person_id, purpose)
    if current is not None and current.text_version == text_version:
        return current
    if current is not None:
        current.withdrawn_at = utcnow()  # superseded by the new text version
    consent = Consent(person_id=person_id, purpose=purpose, text_version=text_version)
    session.add(consent)
    session.flush()
    return consent


def active_consent(session: Session, person_id: int, purpose: str) -> Consent | None:
    return session.scalars(
        select(Consent)
        .where(
            Consent.person_id == person_id,
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
        )
        .order_by(Consent.granted_at.desc(), Consent.id.desc())
    ).first()


def has_consent(session: Session, person_id: int, purpose: str) -> bool:
    return active_consent(session, person_id, purpose) is not None


def withdraw_consent(session: Session, person_id: int, purpose: str) -> int:
    return rowcount(
        session.execute(
            update(Consent)
            .where(
                Consent.person_id == person_id,
                Consent.purpose == purpose,
                Consent.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=utcnow())
        )
    )


# --- subscriptions ------------------------------------------------------------------------


def subscribe(session: Session, person_id: int, commune_id: int) -> Subscription:
    sub = session.scalars(
        select(Subscription).where(
            Subscription.person_id == person_id,
            Subscription.commune_id == commune_id,
            Subscription.opted_out_at.is_(None),
        )
    ).first()
    if sub is None:
        if session.get(Person, person_id) is None:
            raise NotFound(f"person {person_id}")
        sub = Subscription(person_id=person_id, commune_id=commune_id)
        session.add(sub)
        session.flush()
    return sub


def unsubscribe(session: Session, person_id: int, commune_id: int | None = None) -> int:
    """Opt out of one commune's messages, or of all when commune_id is None."""
    stmt = update(Subscription).where(
        Subscription.person_id == person_id, Subscription.opted_out_at.is_(None)
    )
    if commune_id is not None:
        stmt = stmt.where(Subscription.commune_id == commune_id)
    return rowcount(session.execute(stmt.values(opted_out_at=utcnow())))


def active_subscriptions(session: Session, person_id: int) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription).where(
                Subscription.person_id == person_id, Subscription.opted_out_at.is_(None)
            )
        )
    )
