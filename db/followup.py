"""Lead follow-up: who is told what about a lead, and when (issue 7, agents).

Every message about a lead is first *claimed* as a `LeadNotification` row (insert guarded by a
unique key), then sent, then marked sent. Whoever inserted the row sends; everyone else sees
the row and does nothing, so a restart, a second worker or the lead hook racing the scanner
never sends twice. A row claimed but never marked sent (crashed worker) is retried after
`stale`. Reminders and escalations are rows too, so their timestamps live in the database.

`round` counts claims: round r is offered while the lead is new after r-1 claims; a lead
released back to the pool (by its owner, by the scanner, or by the owner deleting their data)
is offered again in round r+1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db import leads as db_leads
from db.errors import InvalidTransition, NotFound, PermissionDenied
from db.models import (
    Lead,
    LeadEvent,
    LeadNotification,
    Person,
    RenewalReminder,
    RoleGrant,
    utcnow,
)
from db.sql import dialect, rowcount

AUTO_RELEASE_NOTE = "tự động trả lại: quá hạn chưa ghi kết quả"
BUTTON_KINDS = ("offer", "remind")  # messages carrying the "Nhận" button
MAX_ATTEMPTS = 3


# --- policy -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    remind_after: timedelta = timedelta(minutes=30)  # unclaimed: remind the commune's agents
    escalate_after: timedelta = timedelta(minutes=120)  # unclaimed: tell the commune's cadres
    owner_remind_after: timedelta = timedelta(hours=24)  # claimed, no outcome: remind owner
    release_after: timedelta = timedelta(hours=72)  # claimed, no outcome: back to the pool
    stale: timedelta = timedelta(minutes=2)  # claimed sending never confirmed: retry
    quiet_hours: tuple[int, int] = (21, 7)  # local hours [start, end); equal = never quiet
    timezone: str = "Asia/Ho_Chi_Minh"
    renewal_days: tuple[int, ...] = (30, 7)  # month / week before the card ends


def in_quiet_hours(now: datetime, quiet_hours: tuple[int, int], tz: str) -> bool:
    start, end = quiet_hours
    if start == end:
        return False
    hour = now.astimezone(ZoneInfo(tz)).hour
    return start <= hour < end if start < end else hour >= start or hour < end


def local_today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover


# --- views (plain data: nothing ORM leaves a session) --------------------------------------------


@dataclass(frozen=True)
class LeadCard:
    id: int
    status: str
    round: int
    commune_id: int
    commune: str
    citizen_name: str | None
    household: dict[str, Any] | None
    quote_total_vnd: int | None
    phone: str | None  # only filled for the owner (and the citizen themself)
    owner_id: int | None
    owner_name: str | None
    cards_enrolled: int
    created_at: datetime


@dataclass(frozen=True)
class Outgoing:
    """A claimed message to send, then `mark_sent` / `mark_failed`."""

    id: int
    kind: str
    lead_id: int
    round: int
    chat_id: int
    locale: str
    card: LeadCard
    since: datetime | None = None  # when the waiting started (reminders)
    agent_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Closing:
    """A sent offer/remind message to edit now that the lead was taken (or re-offered)."""

    id: int
    lead_id: int
    chat_id: int
    message_id: int
    locale: str
    status: str
    owner_name: str | None
    is_owner: bool


@dataclass(frozen=True)
class ClaimOutcome:
    won: bool
    card: LeadCard
    citizen_notice: Outgoing | None = None


@dataclass(frozen=True)
class Viewer:
    person_id: int
    first_name: str | None
    locale: str
    agent_communes: tuple[int, ...]
    cadre_communes: tuple[int, ...]

    @property
    def is_agent(self) -> bool:
        return bool(self.agent_communes)


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    from_status: str | None
    to_status: str
    actor: str | None
    note: str | None


@dataclass(frozen=True)
class LeadDetail:
    card: LeadCard
    history: tuple[HistoryLine, ...]
    viewer_is_owner: bool
    viewer_is_agent: bool
    renewals: tuple[tuple[str, date, date, bool], ...] = ()  # kind, card_end, due_on, sent


@dataclass(frozen=True)
class RenewalOut:
    id: int
    lead_id: int
    kind: str
    card_end: date
    cards: int
    citizen_chat: int | None
    citizen_locale: str
    citizen_name: str | None
    owner_chat: int | None
    owner_locale: str
    owner_name: str | None


@dataclass
class ScanResult:
    """What one scanner pass found to do; the bot sends and marks each."""

    outgoing: list[Outgoing] = field(default_factory=list)
    closings: list[Closing] = field(default_factory=list)
    renewals: list[RenewalOut] = field(default_factory=list)
    released: list[int] = field(default_factory=list)


# --- small queries ------------------------------------------------------------------------------


def _person(s: Session, person_id: int | None) -> Person | None:
    return s.get(Person, person_id) if person_id is not None else None


def _name(s: Session, person_id: int | None) -> str | None:
    p = _person(s, person_id)
    return p.first_name if p else None


def claims_count(s: Session, lead_id: int) -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(LeadEvent)
            .where(LeadEvent.lead_id == lead_id, LeadEvent.to_status == "claimed")
        )
        or 0
    )


def current_round(s: Session, lead: Lead) -> int:
    claims = claims_count(s, lead.id)
    return claims + 1 if lead.status == "new" else max(claims, 1)


def last_claimed_at(s: Session, lead_id: int) -> datetime | None:
    return s.scalar(
        select(func.max(LeadEvent.at)).where(
            LeadEvent.lead_id == lead_id, LeadEvent.to_status == "claimed"
        )
    )


def cadres_for_commune(s: Session, commune_id: int) -> list[int]:
    return list(
        s.scalars(
            select(RoleGrant.person_id)
            .where(
                RoleGrant.role == "cadre",
                RoleGrant.commune_id == commune_id,
                RoleGrant.revoked_at.is_(None),
            )
            .distinct()
            .order_by(RoleGrant.person_id)
        )
    )


def _load_lead(s: Session, lead_id: int) -> Lead:
    lead = s.scalars(
        select(Lead).where(Lead.id == lead_id).execution_options(populate_existing=True)
    ).first()
    if lead is None:
        raise NotFound(f"lead {lead_id}")
    return lead


def card(s: Session, lead: Lead, show_phone: bool = False, round_: int | None = None) -> LeadCard:
    citizen = _person(s, lead.person_id)
    return LeadCard(
        id=lead.id,
        status=lead.status,
        round=round_ if round_ is not None else current_round(s, lead),
        commune_id=lead.commune_id,
        commune=lead.commune.label,
        citizen_name=citizen.first_name if citizen else None,
        household=lead.household,
        quote_total_vnd=lead.quote_total_vnd,
        phone=lead.phone if show_phone else None,
        owner_id=lead.owner_id,
        owner_name=_name(s, lead.owner_id),
        cards_enrolled=lead.cards_enrolled,
        created_at=lead.created_at,
    )


def _claim_row(
    s: Session, lead_id: int, kind: str, round_: int, person: Person, now: datetime
) -> int | None:
    """Insert the row unless it exists (any worker); the id only for the one that inserted."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect(s) == "postgresql" else sqlite.insert
    stmt = (
        insert(LeadNotification)
        .values(
            lead_id=lead_id,
            person_id=person.id,
            kind=kind,
            round=round_,
            chat_id=person.telegram_id,
            attempts=1,
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["lead_id", "kind", "round", "chat_id"])
        .returning(LeadNotification.id)
    )
    return s.scalar(stmt)


def _existing_chats(s: Session, lead_id: int, kind: str, round_: int) -> set[int]:
    return set(
        s.scalars(
            select(LeadNotification.chat_id).where(
                LeadNotification.lead_id == lead_id,
                LeadNotification.kind == kind,
                LeadNotification.round == round_,
            )
        )
    )


def _send_to(
    s: Session,
    lead: Lead,
    kind: str,
    round_: int,
    person_ids: Iterable[int],
    now: datetime,
    show_phone: bool = False,
    since: datetime | None = None,
    agent_names: tuple[str, ...] = (),
) -> list[Outgoing]:
    done = _existing_chats(s, lead.id, kind, round_)
    out: list[Outgoing] = []
    view: LeadCard | None = None
    for pid in person_ids:
        person = _person(s, pid)
        if person is None or person.telegram_id in done:
            continue
        nid = _claim_row(s, lead.id, kind, round_, person, now)
        if nid is None:
            continue
        view = view or card(s, lead, show_phone=show_phone, round_=round_)
        out.append(
            Outgoing(
                nid,
                kind,
                lead.id,
                round_,
                person.telegram_id,
                person.locale or "vi",
                view,
                since,
                agent_names,
            )
        )
    return out


def _agent_names(s: Session, commune_id: int) -> tuple[str, ...]:
    return tuple(_name(s, a) or "?" for a in db_leads.agents_for_commune(s, commune_id))


# --- sending bookkeeping --------------------------------------------------------------------------


def mark_sent(s: Session, notification_id: int, message_id: int | None) -> None:
    s.execute(
        update(LeadNotification)
        .where(LeadNotification.id == notification_id)
        .values(sent_at=utcnow(), message_id=message_id, last_error=None)
    )


def mark_failed(s: Session, notification_id: int, error: str, permanent: bool = False) -> None:
    """Transient failures are retried by `retry_stale`; permanent ones (blocked) never."""
    values: dict[str, Any] = {"last_error": error[:500]}
    if permanent:
        values["closed_at"] = utcnow()
    s.execute(
        update(LeadNotification).where(LeadNotification.id == notification_id).values(**values)
    )


def mark_closed(s: Session, notification_ids: Iterable[int]) -> None:
    ids = list(notification_ids)
    if ids:
        s.execute(
            update(LeadNotification)
            .where(LeadNotification.id.in_(ids), LeadNotification.closed_at.is_(None))
            .values(closed_at=utcnow())
        )


def _still_relevant(s: Session, row: LeadNotification, lead: Lead) -> bool:
    if row.kind in BUTTON_KINDS:
        return lead.status == "new" and current_round(s, lead) == row.round
    if row.kind == "escalate":
        return lead.status == "new"
    if row.kind == "owner_remind":
        return lead.status == "claimed" and lead.owner_id == row.person_id
    if row.kind == "citizen_claimed":
        return lead.person_id is not None and lead.owner_id is not None
    return True


def retry_stale(
    s: Session, now: datetime | None = None, stale: timedelta = timedelta(minutes=2)
) -> list[Outgoing]:
    """Rows claimed long ago and never marked sent: take them again (conditional update)."""
    now = now or utcnow()
    rows = s.scalars(
        select(LeadNotification).where(
            LeadNotification.sent_at.is_(None),
            LeadNotification.closed_at.is_(None),
            LeadNotification.claimed_at < now - stale,
            LeadNotification.attempts < MAX_ATTEMPTS,
        )
    ).all()
    out: list[Outgoing] = []
    for row in rows:
        taken = rowcount(
            s.execute(
                update(LeadNotification)
                .where(
                    LeadNotification.id == row.id,
                    LeadNotification.claimed_at == row.claimed_at,
                    LeadNotification.sent_at.is_(None),
                )
                .values(claimed_at=now, attempts=LeadNotification.attempts + 1)
            )
        )
        if taken != 1:
            continue
        lead = _load_lead(s, row.lead_id)
        if not _still_relevant(s, row, lead):
            mark_closed(s, [row.id])
            continue
        show_phone = row.kind == "owner_remind"
        since = None
        if row.kind in ("remind", "escalate"):
            since = _first_offer_at(s, lead.id, row.round) or lead.updated_at
        elif row.kind == "owner_remind":
            since = last_claimed_at(s, lead.id)
        person = _person(s, row.person_id)
        out.append(
            Outgoing(
                row.id,
                row.kind,
                lead.id,
                row.round,
                row.chat_id,
                (person.locale if person else None) or "vi",
                card(s, lead, show_phone=show_phone, round_=row.round),
                since,
                _agent_names(s, lead.commune_id) if row.kind == "escalate" else (),
            )
        )
    return out


# --- new leads: offers ----------------------------------------------------------------------------


def pending_offers(
    s: Session, lead_id: int | None = None, now: datetime | None = None
) -> list[Outgoing]:
    """Offer every new lead to each agent of its commune once per round (a lead with no agent
    goes straight to the commune's cadres). Not subject to quiet hours."""
    now = now or utcnow()
    stmt = select(Lead).where(Lead.status == "new").order_by(Lead.created_at, Lead.id)
    if lead_id is not None:
        stmt = stmt.where(Lead.id == lead_id)
    out: list[Outgoing] = []
    for lead in s.scalars(stmt).all():
        r = current_round(s, lead)
        agents = db_leads.agents_for_commune(s, lead.commune_id)
        if agents:
            out += _send_to(s, lead, "offer", r, agents, now)
        else:
            out += _send_to(
                s, lead, "escalate", r, cadres_for_commune(s, lead.commune_id), now, since=now
            )
    return out


def pending_citizen_notices(
    s: Session, lead_id: int | None = None, now: datetime | None = None
) -> list[Outgoing]:
    """Tell the citizen which agent took their request (once per claim)."""
    now = now or utcnow()
    stmt = select(Lead).where(Lead.status == "claimed", Lead.person_id.is_not(None))
    if lead_id is not None:
        stmt = stmt.where(Lead.id == lead_id)
    out: list[Outgoing] = []
    for lead in s.scalars(stmt).all():
        assert lead.person_id is not None
        out += _send_to(s, lead, "citizen_claimed", current_round(s, lead), [lead.person_id], now)
    return out


def pending_closes(s: Session, lead_id: int | None = None) -> list[Closing]:
    """Sent "Nhận" messages whose offer is over: the lead was taken, closed or re-offered."""
    stmt = (
        select(LeadNotification, Lead)
        .join(Lead, Lead.id == LeadNotification.lead_id)
        .where(
            LeadNotification.kind.in_(BUTTON_KINDS),
            LeadNotification.sent_at.is_not(None),
            LeadNotification.message_id.is_not(None),
            LeadNotification.closed_at.is_(None),
            LeadNotification.skipped_at.is_(None),
        )
        .order_by(LeadNotification.id)
    )
    if lead_id is not None:
        stmt = stmt.where(LeadNotification.lead_id == lead_id)
    out: list[Closing] = []
    rounds: dict[int, int] = {}
    for row, lead in s.execute(stmt).all():
        if lead.status == "new":
            r = rounds.setdefault(lead.id, current_round(s, lead))
            if row.round == r:
                continue  # still on offer
        owner = _person(s, lead.owner_id)
        person = _person(s, row.person_id)
        assert row.message_id is not None
        out.append(
            Closing(
                row.id,
                lead.id,
                row.chat_id,
                row.message_id,
                (person.locale if person else None) or "vi",
                lead.status,
                owner.first_name if owner else None,
                owner is not None and owner.telegram_id == row.chat_id,
            )
        )
    return out


# --- agent actions --------------------------------------------------------------------------------


def claim(
    s: Session,
    lead_id: int,
    agent_person_id: int,
    pressed_chat_id: int | None = None,
    pressed_message_id: int | None = None,
    now: datetime | None = None,
) -> ClaimOutcome:
    """db.leads.claim_lead (one conditional UPDATE) plus the follow-up rows of a claim."""
    won = db_leads.claim_lead(s, lead_id, agent_person_id)
    lead = _load_lead(s, lead_id)
    if not won:
        return ClaimOutcome(False, card(s, lead))
    if pressed_message_id is not None:
        s.execute(
            update(LeadNotification)
            .where(
                LeadNotification.lead_id == lead_id,
                LeadNotification.chat_id == pressed_chat_id,
                LeadNotification.message_id == pressed_message_id,
            )
            .values(closed_at=utcnow())
        )
    notices = pending_citizen_notices(s, lead_id, now)
    return ClaimOutcome(True, card(s, lead, show_phone=True), notices[0] if notices else None)


def skip(s: Session, lead_id: int, chat_id: int) -> bool:
    """The agent does not want this lead: no reminders to them in this round."""
    lead = _load_lead(s, lead_id)
    r = current_round(s, lead)
    return (
        rowcount(
            s.execute(
                update(LeadNotification)
                .where(
                    LeadNotification.lead_id == lead_id,
                    LeadNotification.chat_id == chat_id,
                    LeadNotification.kind.in_(BUTTON_KINDS),
                    LeadNotification.round == r,
                    LeadNotification.skipped_at.is_(None),
                )
                .values(skipped_at=utcnow())
            )
        )
        > 0
    )


def release(s: Session, lead_id: int, agent_person_id: int, note: str | None = None) -> bool:
    """The owner gives the lead back; the scanner offers it again (next round)."""
    return db_leads.release_lead(s, lead_id, agent_person_id, note)


def record(
    s: Session,
    lead_id: int,
    agent_person_id: int,
    status: str,
    cards: int | None = None,
    note: str | None = None,
    today: date | None = None,
    default_months: int = 12,
    renewal_days: tuple[int, ...] = (30, 7),
) -> LeadCard:
    """An outcome by the owner; an enrolment schedules renewal reminders (default length)."""
    lead = db_leads.record_outcome(s, lead_id, agent_person_id, status, cards, note)
    if status == "enrolled":
        today = today or date.today()
        schedule_renewal(
            s, lead_id, agent_person_id, add_months(today, default_months), today, renewal_days
        )
    return card(s, _load_lead(s, lead.id), show_phone=True)


def schedule_renewal(
    s: Session,
    lead_id: int,
    agent_person_id: int,
    card_end: date,
    today: date | None = None,
    renewal_days: tuple[int, ...] = (30, 7),
) -> list[tuple[str, date]]:
    """(Re)schedule the month- and week-ahead reminders; returns the ones still ahead."""
    today = today or date.today()
    lead = _load_lead(s, lead_id)
    if lead.owner_id != agent_person_id:
        raise PermissionDenied("only the owner schedules renewals")
    if lead.status != "enrolled":
        raise InvalidTransition("renewal reminders need an enrolled lead")
    if card_end <= today:
        raise InvalidTransition("the card must end after today")
    scheduled: list[tuple[str, date]] = []
    for kind, days in zip(("month", "week"), renewal_days, strict=False):
        due = card_end - timedelta(days=days)
        row = s.scalars(
            select(RenewalReminder).where(
                RenewalReminder.lead_id == lead_id, RenewalReminder.kind == kind
            )
        ).first()
        if row is not None and row.sent_at is not None and row.card_end == card_end:
            continue
        if row is None:
            row = RenewalReminder(lead_id=lead_id, kind=kind, card_end=card_end, due_on=due)
            s.add(row)
        row.card_end, row.due_on, row.claimed_at, row.sent_at = card_end, due, None, None
        row.cancelled_at = utcnow() if due < today else None
        if due >= today:
            scheduled.append((kind, due))
    s.flush()
    return scheduled


def due_renewals(
    s: Session, today: date, now: datetime | None = None, stale: timedelta = timedelta(minutes=2)
) -> list[RenewalOut]:
    now = now or utcnow()
    rows = s.scalars(
        select(RenewalReminder)
        .where(
            RenewalReminder.sent_at.is_(None),
            RenewalReminder.cancelled_at.is_(None),
            RenewalReminder.due_on <= today,
        )
        .order_by(RenewalReminder.due_on, RenewalReminder.id)
    ).all()
    out: list[RenewalOut] = []
    for row in rows:
        if row.claimed_at is not None and row.claimed_at >= now - stale:
            continue
        cond = (
            RenewalReminder.claimed_at.is_(None)
            if row.claimed_at is None
            else RenewalReminder.claimed_at == row.claimed_at
        )
        taken = rowcount(
            s.execute(
                update(RenewalReminder)
                .where(RenewalReminder.id == row.id, RenewalReminder.sent_at.is_(None), cond)
                .values(claimed_at=now)
            )
        )
        if taken != 1:
            continue
        lead = _load_lead(s, row.lead_id)
        citizen = _person(s, lead.person_id)
        owner = _person(s, lead.owner_id)
        if citizen is None or lead.status != "enrolled":
            row.cancelled_at = now  # the citizen deleted their data: nobody to remind
            continue
        out.append(
            RenewalOut(
                row.id,
                lead.id,
                row.kind,
                row.card_end,
                lead.cards_enrolled,
                citizen.telegram_id,
                citizen.locale or "vi",
                citizen.first_name,
                owner.telegram_id if owner else None,
                (owner.locale if owner else None) or "vi",
                owner.first_name if owner else None,
            )
        )
    s.flush()
    return out


def mark_renewal_sent(s: Session, renewal_id: int) -> None:
    s.execute(
        update(RenewalReminder).where(RenewalReminder.id == renewal_id).values(sent_at=utcnow())
    )


# --- reminders, escalation, release -----------------------------------------------------------


def _first_offer_at(s: Session, lead_id: int, round_: int) -> datetime | None:
    return s.scalar(
        select(func.min(LeadNotification.claimed_at)).where(
            LeadNotification.lead_id == lead_id,
            LeadNotification.kind == "offer",
            LeadNotification.round == round_,
        )
    )


def _skipped(s: Session, lead_id: int, round_: int) -> set[int]:
    return set(
        s.scalars(
            select(LeadNotification.chat_id).where(
                LeadNotification.lead_id == lead_id,
                LeadNotification.round == round_,
                LeadNotification.skipped_at.is_not(None),
            )
        )
    )


def due_followups(
    s: Session, policy: Policy, now: datetime | None = None
) -> tuple[list[Outgoing], list[int]]:
    """Reminders, escalations and releases that are due; nothing during quiet hours.

    Returns (messages to send, ids of leads released back to the pool)."""
    now = now or utcnow()
    if in_quiet_hours(now, policy.quiet_hours, policy.timezone):
        return [], []
    out: list[Outgoing] = []
    released: list[int] = []
    for lead in s.scalars(select(Lead).where(Lead.status == "new")).all():
        r = current_round(s, lead)
        first = _first_offer_at(s, lead.id, r)
        if first is None:
            continue  # not offered yet (or no agent: escalated at once by pending_offers)
        if now >= first + policy.remind_after:
            skipped = _skipped(s, lead.id, r)
            agents = [
                a
                for a in db_leads.agents_for_commune(s, lead.commune_id)
                if (p := _person(s, a)) is not None and p.telegram_id not in skipped
            ]
            out += _send_to(s, lead, "remind", r, agents, now, since=first)
        if now >= first + policy.escalate_after:
            cadres = cadres_for_commune(s, lead.commune_id)
            out += _send_to(
                s,
                lead,
                "escalate",
                r,
                cadres,
                now,
                since=first,
                agent_names=_agent_names(s, lead.commune_id),
            )
    for lead in s.scalars(select(Lead).where(Lead.status == "claimed")).all():
        claimed_at = last_claimed_at(s, lead.id)
        if claimed_at is None or lead.owner_id is None:
            continue
        owner_id = lead.owner_id
        if now < claimed_at + policy.owner_remind_after and now < claimed_at + policy.release_after:
            continue
        r = current_round(s, lead)
        if now >= claimed_at + policy.release_after:
            if db_leads.release_lead(s, lead.id, owner_id, AUTO_RELEASE_NOTE):
                released.append(lead.id)
                lead = _load_lead(s, lead.id)
                out += _send_to(s, lead, "released", r, [owner_id], now, since=claimed_at)
            continue
        if now >= claimed_at + policy.owner_remind_after:
            out += _send_to(
                s, lead, "owner_remind", r, [owner_id], now, show_phone=True, since=claimed_at
            )
    return out, released


def scan(
    s: Session, policy: Policy, now: datetime | None = None, renewals: bool = True
) -> ScanResult:
    """One scanner pass in one transaction: claim everything due now."""
    now = now or utcnow()
    result = ScanResult()
    follow, result.released = due_followups(s, policy, now)
    result.outgoing += follow
    result.outgoing += pending_offers(s, now=now)
    result.outgoing += pending_citizen_notices(s, now=now)
    result.outgoing += retry_stale(s, now, policy.stale)
    result.closings = pending_closes(s)
    if renewals and not in_quiet_hours(now, policy.quiet_hours, policy.timezone):
        result.renewals = due_renewals(s, local_today(now, policy.timezone), now, policy.stale)
    return result


# --- what agents read -----------------------------------------------------------------------------


def viewer(s: Session, telegram_id: int) -> Viewer | None:
    person = s.scalars(select(Person).where(Person.telegram_id == telegram_id)).first()
    if person is None:
        return None
    grants = s.execute(
        select(RoleGrant.role, RoleGrant.commune_id).where(
            RoleGrant.person_id == person.id, RoleGrant.revoked_at.is_(None)
        )
    ).all()
    return Viewer(
        person.id,
        person.first_name,
        person.locale or "vi",
        tuple(sorted({c for r, c in grants if r == "agent" and c is not None})),
        tuple(sorted({c for r, c in grants if r == "cadre" and c is not None})),
    )


def open_leads(s: Session, agent_person_id: int) -> list[LeadCard]:
    return [
        card(s, lead, show_phone=True) for lead in db_leads.open_leads_for_agent(s, agent_person_id)
    ]


def lead_detail(s: Session, lead_id: int, viewer_person_id: int) -> LeadDetail | None:
    """None when the lead does not exist or the viewer may not see it (same answer)."""
    lead = s.get(Lead, lead_id)
    if lead is None or not db_leads.can_see_lead(s, viewer_person_id, lead):
        return None
    is_owner = lead.owner_id == viewer_person_id
    events = s.execute(
        select(LeadEvent, Person.first_name)
        .outerjoin(Person, Person.id == LeadEvent.actor_id)
        .where(LeadEvent.lead_id == lead_id)
        .order_by(LeadEvent.at, LeadEvent.id)
    ).all()
    renewals = s.scalars(
        select(RenewalReminder)
        .where(RenewalReminder.lead_id == lead_id, RenewalReminder.cancelled_at.is_(None))
        .order_by(RenewalReminder.due_on)
    ).all()
    return LeadDetail(
        card(s, lead, show_phone=is_owner or lead.person_id == viewer_person_id),
        tuple(HistoryLine(e.at, e.from_status, e.to_status, name, e.note) for e, name in events),
        is_owner,
        db_leads.is_agent_of(s, viewer_person_id, lead.commune_id),
        tuple((r.kind, r.card_end, r.due_on, r.sent_at is not None) for r in renewals),
    )


def month_bounds(today: date) -> tuple[date, date, date]:
    """(first day of last month, first day of this month, first day of next month)."""
    this = today.replace(day=1)
    return add_months(this, -1), this, add_months(this, 1)


def monthly_stats(
    s: Session, agent_person_id: int, today: date
) -> tuple[db_leads.AgentStats, db_leads.AgentStats]:
    """(this month, last month) from db.leads.agent_stats."""
    last, this, nxt = month_bounds(today)
    return (
        db_leads.agent_stats(s, agent_person_id, this, nxt),
        db_leads.agent_stats(s, agent_person_id, last, this),
    )
