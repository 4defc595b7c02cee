"""Campaign broadcasts: one Delivery row per recipient, so a crash neither loses nor repeats.

Sender loop: materialise_deliveries() once, then next_pending() small batches (rows move to
'sending' in the same transaction that claims them), send, and mark_sent/failed/blocked each.
Rows left in 'sending' by a crash are only re-queued explicitly (requeue_stale), because
whether Telegram got them is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.errors import InvalidTransition, NotFound
from db.models import Broadcast, BroadcastCommune, Delivery, Person, Subscription, utcnow
from db.sql import rowcount


def create_broadcast(
    session: Session,
    author_id: int | None,
    text: str,
    commune_ids: Iterable[int],
    photo_file_id: str | None = None,
    button_text: str | None = None,
    button_url: str | None = None,
    language: str | None = None,
    scheduled_at: datetime | None = None,
) -> Broadcast:
    b = Broadcast(
        author_id=author_id,
        text=text,
        photo_file_id=photo_file_id,
        button_text=button_text,
        button_url=button_url,
        language=language,
        scheduled_at=scheduled_at,
        status="scheduled" if scheduled_at else "draft",
    )
    b.communes = [BroadcastCommune(commune_id=c) for c in sorted(set(commune_ids))]
    session.add(b)
    session.flush()
    return b


def schedule_broadcast(session: Session, broadcast_id: int, at: datetime) -> None:
    _set_status(session, broadcast_id, ("draft", "scheduled"), "scheduled", scheduled_at=at)


def cancel_broadcast(session: Session, broadcast_id: int) -> None:
    _set_status(session, broadcast_id, ("draft", "scheduled", "sending"), "cancelled")


def _set_status(
    session: Session, broadcast_id: int, allowed: tuple[str, ...], to: str, **kw: object
) -> None:
    n = rowcount(
        session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(allowed))
            .values(status=to, **kw)
        )
    )
    if n != 1:
        if session.get(Broadcast, broadcast_id) is None:
            raise NotFound(f"broadcast {broadcast_id}")
        raise InvalidTransition(f"broadcast {broadcast_id} cannot become {to}")


def due_broadcasts(session: Session, now: datetime | None = None) -> list[Broadcast]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(Broadcast)
            .where(
                (Broadcast.status == "sending")
                | ((Broadcast.status == "scheduled") & (Broadcast.scheduled_at <= now))
            )
            .order_by(Broadcast.id)
        )
    )


def audience_query(broadcast: Broadcast):  # type: ignore[no-untyped-def]
    """Active subscribers of the broadcast's communes, filtered by locale when set."""
    stmt = (
        select(Person.id, Person.telegram_id)
        .join(Subscription, Subscription.person_id == Person.id)
        .join(
            BroadcastCommune,
            and_(
                BroadcastCommune.commune_id == Subscription.commune_id,
                BroadcastCommune.broadcast_id == broadcast.id,
            ),
        )
        .where(Subscription.opted_out_at.is_(None))
        .distinct()
    )
    if broadcast.language:
        stmt = stmt.where(Person.locale == broadcast.language)
    return stmt


def materialise_deliveries(session: Session, broadcast_id: int) -> int:
    """Creates the missing Delivery rows (idempotent; safe under races). Returns rows added."""
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        raise NotFound(f"broadcast {broadcast_id}")
    if b.status in ("cancelled", "done"):
        return 0
    aud = audience_query(b).subquery()
    # Constants as SQL literals (broadcast_id is an int): untyped bind params in a SELECT
    # list trip PostgreSQL's type inference.
    src = select(
        literal_column(str(int(broadcast_id))),
        aud.c.id,
        aud.c.telegram_id,
        literal_column("'pending'"),
        literal_column("0"),
    ).where(~exists().where(Delivery.broadcast_id == broadcast_id, Delivery.person_id == aud.c.id))
    ins = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        ins(Delivery)
        .from_select(["broadcast_id", "person_id", "chat_id", "status", "attempts"], src)
        .on_conflict_do_nothing(index_elements=["broadcast_id", "person_id"])
        .returning(Delivery.id)  # rowcount of INSERT..SELECT is not reliable across drivers
    )
    added = len(session.execute(stmt).all())
    if b.status in ("draft", "scheduled"):
        b.status = "sending"
    session.flush()
    return added


def next_pending(session: Session, broadcast_id: int, limit: int = 20) -> list[Delivery]:
    """Claims up to `limit` pending rows (-> 'sending', attempts+1); concurrent senders never
    get the same row."""
    ids_q = (
        select(Delivery.id)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "pending")
        .order_by(Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids_q = ids_q.with_for_update(skip_locked=True)
    ids = list(session.scalars(ids_q))
    if not ids:
        return []
    claimed = list(
        session.scalars(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.status == "pending")
            .values(status="sending", attempts=Delivery.attempts + 1, claimed_at=utcnow())
            .returning(Delivery.id)
        )
    )
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.id.in_(claimed))
            .order_by(Delivery.id)
            .execution_options(populate_existing=True)
        )
    )


def _finish(session: Session, delivery_id: int, **values: object) -> Delivery:
    d = session.get(Delivery, delivery_id)
    if d is None:
        raise NotFound(f"delivery {delivery_id}")
    for k, v in values.items():
        setattr(d, k, v)
    session.flush()
    return d


def mark_sent(session: Session, delivery_id: int, telegram_message_id: int | None) -> Delivery:
    return _finish(
        session,
        delivery_id,
        status="sent",
        telegram_message_id=telegram_message_id,
        sent_at=utcnow(),
        last_error=None,
    )


def mark_sent_many(session: Session, sent: list[tuple[int, int | None]]) -> int:
    """(delivery id, Telegram message id) pairs -> 'sent', in one executemany UPDATE: the
    engine records its sends in batches, and a load and flush per row cost more CPU than the
    sending itself at 100 messages a second."""
    if not sent:
        return 0
    now = utcnow()
    session.execute(
        update(Delivery),
        [
            {
                "id": d,
                "status": "sent",
                "telegram_message_id": m,
                "sent_at": now,
                "last_error": None,
            }
            for d, m in sent
        ],
    )
    return len(sent)


def mark_failed(
    session: Session, delivery_id: int, error: str, retry: bool = True, max_attempts: int = 3
) -> Delivery:
    """Transient errors go back to 'pending' until max_attempts, then stay 'failed'."""
    d = session.get(Delivery, delivery_id)
    if d is None:
        raise NotFound(f"delivery {delivery_id}")
    status = "pending" if retry and d.attempts < max_attempts else "failed"
    return _finish(session, delivery_id, status=status, last_error=error[:2000])


def mark_blocked(session: Session, delivery_id: int, error: str = "blocked by user") -> Delivery:
    """The user blocked the bot: never retry, and unsubscribe them from every commune."""
    d = _finish(session, delivery_id, status="blocked", last_error=error[:2000])
    if d.person_id is not None:
        session.execute(
            update(Subscription)
            .where(Subscription.person_id == d.person_id, Subscription.opted_out_at.is_(None))
            .values(opted_out_at=utcnow())
        )
    return d


def requeue_stale(session: Session, broadcast_id: int, older_than: timedelta) -> int:
    """After a crash: rows stuck in 'sending' longer than `older_than` go back to 'pending'
    (at-least-once for at most one in-flight batch per crashed sender)."""
    return rowcount(
        session.execute(
            update(Delivery)
            .where(
                Delivery.broadcast_id == broadcast_id,
                Delivery.status == "sending",
                Delivery.claimed_at < utcnow() - older_than,
            )
            .values(status="pending")
        )
    )


def broadcast_progress(session: Session, broadcast_id: int) -> dict[str, int]:
    """Counts per delivery status plus 'total'; marks the broadcast done when nothing is left."""
    counts = {s: 0 for s in ("pending", "sending", "sent", "failed", "blocked")}
    for status, n in session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    ):
        counts[status] = n
    counts["total"] = sum(counts.values())
    if counts["pending"] == 0 and counts["sending"] == 0:
        session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == "sending")
            .values(status="done")
        )
    return counts
