import threading

from dbtest_helpers import commune, person
from sqlalchemy import func, select

from db.broadcasts import (
    broadcast_progress,
    cancel_broadcast,
    create_broadcast,
    due_broadcasts,
    mark_blocked,
    mark_failed,
    mark_sent,
    materialise_deliveries,
    next_pending,
    requeue_stale,
)
from db.models import Broadcast, Delivery, utcnow
from db.people import active_subscriptions, subscribe, unsubscribe


def _setup(s):  # type: ignore[no-untyped-def]
    aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
    al = commune(s, "Xã An Lão, Hải Phòng").id
    gl = commune(s, "Xã An Lão, Gia Lai").id
    ppl = {}
    for tg, c, loc in ((1, aq, "vi"), (2, aq, "en"), (3, al, "vi"), (4, gl, "vi"), (5, aq, "vi")):
        ppl[tg] = person(s, tg, locale=loc)
        subscribe(s, ppl[tg], c)
    subscribe(s, ppl[1], al)  # subscribed to two targeted communes: still one delivery
    unsubscribe(s, ppl[5], aq)  # opted out
    return aq, al, gl, ppl


def test_materialise_is_idempotent_and_targets_audience(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        aq, al, gl, ppl = _setup(s)
        b = create_broadcast(s, ppl[1], "Tháng cao điểm BHYT", [aq, al])
        assert materialise_deliveries(s, b.id) == 3
        assert materialise_deliveries(s, b.id) == 0
        rows = s.execute(
            select(Delivery.person_id, Delivery.chat_id, Delivery.status).where(
                Delivery.broadcast_id == b.id
            )
        ).all()
        assert sorted((p, c, st) for p, c, st in rows) == [
            (ppl[1], 1, "pending"),
            (ppl[2], 2, "pending"),
            (ppl[3], 3, "pending"),
        ]
        assert s.get(Broadcast, b.id).status == "sending"
        vi = create_broadcast(s, None, "chỉ tiếng Việt", [aq, gl], language="vi")
        assert materialise_deliveries(s, vi.id) == 2  # person 1 and 4; 2 is English, 5 opted out
        # A new subscriber after materialising is added by the next call, nobody twice.
        newcomer = person(s, 6)
        subscribe(s, newcomer, aq)
        assert materialise_deliveries(s, b.id) == 1
        assert (
            s.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.broadcast_id == b.id)
            )
            == 4
        )


def test_send_loop_never_repeats(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        aq, al, _, ppl = _setup(s)
        bid = create_broadcast(s, None, "x", [aq, al]).id
        materialise_deliveries(s, bid)
    with db.tx() as s:
        first = next_pending(s, bid, limit=2)
        assert [d.status for d in first] == ["sending", "sending"] and all(
            d.attempts == 1 for d in first
        )
    with db.tx() as s:
        second = next_pending(s, bid, limit=5)
        assert len(second) == 1 and second[0].id not in {d.id for d in first}
        assert next_pending(s, bid) == []
    with db.tx() as s:
        mark_sent(s, first[0].id, 777)
        mark_failed(s, first[1].id, "timeout")  # retried: back to pending
        blocked = mark_blocked(s, second[0].id)
        assert active_subscriptions(s, blocked.person_id) == []
    with db.tx() as s:
        assert broadcast_progress(s, bid) == {
            "pending": 1,
            "sending": 0,
            "sent": 1,
            "failed": 0,
            "blocked": 1,
            "total": 3,
        }
        retry = next_pending(s, bid)
        assert [d.id for d in retry] == [first[1].id] and retry[0].attempts == 2
        mark_failed(s, retry[0].id, "timeout", max_attempts=2)  # attempts exhausted
        progress = broadcast_progress(s, bid)
        assert (progress["failed"], progress["pending"]) == (1, 0)
    with db.tx() as s:
        assert s.get(Broadcast, bid).status == "done"
        d = s.get(Delivery, first[0].id)
        assert d.telegram_message_id == 777 and d.sent_at is not None
        assert materialise_deliveries(s, bid) == 0  # done: never re-sent


def test_concurrent_senders_get_disjoint_batches(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
        for tg in range(1000, 1040):
            subscribe(s, person(s, tg), aq)
        bid = create_broadcast(s, None, "x", [aq]).id
        assert materialise_deliveries(s, bid) == 40
    got: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            while True:
                with db.tx() as s:
                    batch = next_pending(s, bid, limit=3)
                    for d in batch:
                        mark_sent(s, d.id, d.id)
                if not batch:
                    return
                with lock:
                    got.extend(d.id for d in batch)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(got) == 40 and len(set(got)) == 40
    with db.tx() as s:
        assert broadcast_progress(s, bid)["sent"] == 40


def test_crash_recovery_and_cancel(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    with db.tx() as s:
        aq, al, _, _ = _setup(s)
        bid = create_broadcast(s, None, "x", [aq], scheduled_at=utcnow() - timedelta(minutes=1)).id
        later = create_broadcast(s, None, "y", [aq], scheduled_at=utcnow() + timedelta(days=1)).id
        assert [b.id for b in due_broadcasts(s)] == [bid]
        materialise_deliveries(s, bid)
        claimed = next_pending(s, bid, limit=1)  # then the sender "crashes"
    with db.tx() as s:
        assert requeue_stale(s, bid, timedelta(minutes=5)) == 0  # too recent to judge
        assert requeue_stale(s, bid, timedelta(seconds=-1)) == 1
        assert [d.id for d in next_pending(s, bid, limit=1)] == [claimed[0].id]
        cancel_broadcast(s, later)
        assert materialise_deliveries(s, later) == 0
        assert s.get(Broadcast, later).status == "cancelled"
