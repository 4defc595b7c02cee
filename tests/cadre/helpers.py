"""Shared by tests/cadre and tests/e2e/test_cadre_*: people, roles, subscriptions, flows."""

from __future__ import annotations

from sqlalchemy import select

from bot.stack import grant_roles
from db import people as db_people
from db.models import Delivery, Subscription
from db.places import resolve_commune

AI_QUOC = "Phường Ái Quốc, Hải Phòng"
HONG_BANG = "Phường Hồng Bàng, Hải Phòng"
LE_CHAN = "Phường Lê Chân, Hải Phòng"
CADRE = 3001
CITIZENS = (2001, 2002, 2003)  # subscribed in Ái Quốc
NOT_SUBSCRIBED = 2004  # lives in Ái Quốc, never subscribed
ELSEWHERE = 2005  # subscribed in Hồng Bàng


def commune_id(database, text: str) -> int:
    def work(s):
        c, reason = resolve_commune(s, text)
        assert c is not None, reason
        return c.id

    return database.call(work)


def person(database, telegram_id: int, name: str, locale: str = "vi", home: str | None = None):
    cid = commune_id(database, home) if home else None

    def work(s):
        p, _ = db_people.get_or_create_person(s, telegram_id, name, locale)
        if cid is not None:
            db_people.set_home_commune(s, p.id, cid)
        return p.id

    return database.call(work)


def subscribe(database, telegram_id: int, name: str, commune: str, locale: str = "vi") -> int:
    cid = commune_id(database, commune)
    pid = person(database, telegram_id, name, locale, commune)
    database.call(lambda s: db_people.subscribe(s, pid, cid))
    return pid


def active_subscriptions(database, telegram_id: int) -> int:
    def work(s):
        p = db_people.get_person(s, telegram_id)
        return 0 if p is None else len(db_people.active_subscriptions(s, p.id))

    return database.call(work)


def deliveries(database, broadcast_id: int) -> dict[int, str]:
    with database.factory() as s:
        return dict(
            s.execute(
                select(Delivery.chat_id, Delivery.status).where(
                    Delivery.broadcast_id == broadcast_id
                )
            ).all()
        )


def subscriptions_count(database) -> int:
    with database.factory() as s:
        return len(
            list(s.scalars(select(Subscription.id).where(Subscription.opted_out_at.is_(None))))
        )


async def setup_area(client, database, cadre_communes=(AI_QUOC, LE_CHAN)) -> None:
    """A cadre of two communes, three subscribers in Ái Quốc, one non-subscriber there and
    one subscriber in another commune; all of them sandbox users."""
    grant_roles(database, CADRE, "Minh", "cadre", list(cadre_communes))
    await client.add_user(id=CADRE, first_name="Minh", username="minh")
    for i, tid in enumerate(CITIZENS):
        subscribe(database, tid, f"Dân{i}", AI_QUOC)
        await client.add_user(id=tid, first_name=f"Dân{i}")
    person(database, NOT_SUBSCRIBED, "Khách", home=AI_QUOC)
    await client.add_user(id=NOT_SUBSCRIBED, first_name="Khách")
    subscribe(database, ELSEWHERE, "Xa", HONG_BANG)
    await client.add_user(id=ELSEWHERE, first_name="Xa")


async def compose_and_send(client, template_label: str, timeout: float = 15.0) -> list[dict]:
    """Drive /broadcast as the cadre: template, no photo, the quote button, Ái Quốc only,
    every language, then "Gửi ngay". Returns every message the cadre saw."""
    seen = []
    await client.send_text(CADRE, "/broadcast")
    seen += await client.wait_for(CADRE, timeout=timeout)
    await client.press(CADRE, template_label)
    seen += await client.wait_for(CADRE, timeout=timeout)  # photo?
    await client.press(CADRE, "⏭ Bỏ qua")
    seen += await client.wait_for(CADRE, timeout=timeout)  # button?
    await client.press(CADRE, "💰 Nút “Tính tiền BHYT”")
    seen += await client.wait_for(CADRE, timeout=timeout)  # where?
    await client.press(CADRE, "Phường Ái Quốc")
    seen += await client.wait_for(CADRE, timeout=timeout)  # language?
    await client.press(CADRE, "Mọi ngôn ngữ")
    seen += await client.wait_for(CADRE, count=2, timeout=timeout)  # preview + summary
    await client.press(CADRE, "✅ Gửi ngay")
    seen += await client.wait_for(CADRE, timeout=timeout)
    return seen
