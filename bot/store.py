"""The bot's view of the database: async wrappers over `db` services, in Telegram terms.

Each function is one transaction (`Database.acall`), run off the event loop. Returned values
are plain dataclasses so no ORM object crosses a session boundary.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session
from telegram import User

from bot.citizen.facts import Household
from bot.i18n import Gettext, money
from bot.runtime import Services
from db import leads as db_leads
from db import people as db_people
from db import places as db_places
from db import privacy as db_privacy
from db.models import Commune, Person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersonView:
    id: int
    locale: str
    commune_id: int | None
    commune_name: str | None


@dataclass(frozen=True)
class PlaceView:
    id: int
    label: str  # "Phường Ái Quốc, Thành phố Hải Phòng"
    province: str
    province_slug: str


@dataclass(frozen=True)
class ProvinceView:
    name: str
    slug: str


@dataclass(frozen=True)
class PlaceMatch:
    commune: PlaceView | None = None
    candidates: tuple[PlaceView, ...] = ()
    province: ProvinceView | None = None


def _person(s: Session, user: User, source: str | None = None) -> Person:
    person, _created = db_people.get_or_create_person(
        s, user.id, user.first_name, None, campaign_source=source
    )
    return person


def _person_view(p: Person) -> PersonView:
    c = p.home_commune
    return PersonView(p.id, p.locale, c.id if c else None, c.label if c else None)


async def ensure_person(svc: Services, user: User | None, source: str | None = None) -> PersonView:
    assert user is not None
    return await svc.db.acall(lambda s: _person_view(_person(s, user, source)))


async def log_turn(
    svc: Services, user: User | None, text: str, intent: str | None, confidence: float
) -> None:
    if user is None:
        return
    if svc.turns is not None:
        svc.turns.add(user.id, user.first_name, text, intent, confidence)
        return

    def work(s: Session) -> None:
        db_privacy.log_turn(s, _person(s, user).id, text, intent, confidence)

    await svc.db.acall(work)


def _place(c: Commune) -> PlaceView:
    return PlaceView(c.id, c.label, c.province.name, c.province.slug)


def _find_places(s: Session, text: str, province_hint: str | None) -> PlaceMatch:
    key = text.strip()
    cands = db_places.find_communes(s, key, province_hint=province_hint, limit=8)
    exact = [c for c in cands if c.match == "exact"]
    province = db_places.find_province(s, key)
    if province is not None and not exact:
        return PlaceMatch(province=ProvinceView(province.name, province.slug))
    views = tuple(
        PlaceView(c.commune_id, c.label, c.province_name, c.province_slug) for c in (exact or cands)
    )
    if len(exact) == 1:
        return PlaceMatch(commune=views[0])
    return PlaceMatch(candidates=views)


async def find_places(svc: Services, text: str, province_hint: str | None = None) -> PlaceMatch:
    return await svc.db.acall(_find_places, text[:200], province_hint)


async def commune(svc: Services, commune_id: int) -> PlaceView | None:
    def work(s: Session) -> PlaceView | None:
        c = s.get(Commune, commune_id)
        return _place(c) if c else None

    return await svc.db.acall(work)


async def agents_of(svc: Services, commune_id: int) -> list[str]:
    """First names of the commune's agents (never their phones)."""

    def work(s: Session) -> list[str]:
        ids = db_leads.agents_for_commune(s, commune_id)
        return [p.first_name or "" for i in ids if (p := s.get(Person, i))]

    return await svc.db.acall(work)


async def record_consent(svc: Services, user: User | None, purpose: str, version: str) -> None:
    assert user is not None
    await svc.db.acall(
        lambda s: db_people.grant_consent(s, _person(s, user).id, purpose, version) and None
    )


async def withdraw_consent(svc: Services, user: User | None, purpose: str) -> int:
    assert user is not None
    return await svc.db.acall(lambda s: db_people.withdraw_consent(s, _person(s, user).id, purpose))


async def save_lead(
    svc: Services, user: User | None, hh: Household, quote: dict | None
) -> tuple[int, bool, int]:
    """Store (or refresh) the lead; returns (lead id, created, number of agents to notify)."""
    assert user is not None and hh.commune_id is not None
    commune_id = hh.commune_id
    window = timedelta(hours=svc.settings.lead_dedup_window_h)

    def work(s: Session) -> tuple[int, bool, int]:
        person = _person(s, user)
        if not db_people.has_consent(s, person.id, "contact_by_agent"):
            raise PermissionError("no consent to share contact details")
        db_people.set_home_commune(s, person.id, commune_id)
        lead, created = db_leads.create_or_update_lead(
            s,
            person.id,
            commune_id,
            hh.to_dict(),
            quote,
            (quote or {}).get("total_vnd"),
            hh.phone,
            window=window,
        )
        return lead.id, created, len(db_leads.agents_for_commune(s, commune_id))

    return await svc.db.acall(work)


async def subscribe(svc: Services, user: User | None, commune_id: int) -> None:
    assert user is not None

    def work(s: Session) -> None:
        person = _person(s, user)
        db_people.set_home_commune(s, person.id, commune_id)
        db_people.grant_consent(s, person.id, "campaign_news", "campaign_news/v1")
        db_people.subscribe(s, person.id, commune_id)

    await svc.db.acall(work)


async def unsubscribe(svc: Services, user: User | None) -> bool:
    assert user is not None

    def work(s: Session) -> bool:
        person = _person(s, user)
        changed = db_people.unsubscribe(s, person.id) > 0
        db_people.withdraw_consent(s, person.id, "campaign_news")
        return changed

    return await svc.db.acall(work)


async def _flush_turns(svc: Services) -> None:
    """The person's latest messages are part of what they see; a log that cannot be written
    now must not stop them from seeing the rest."""
    if svc.turns is not None:
        try:
            await svc.turns.flush()
        except Exception:
            log.warning("conversation log not written before showing a person's data")


async def describe_person_data(svc: Services, user: User | None, _: Gettext) -> str:
    assert user is not None
    await _flush_turns(svc)
    data = await svc.db.acall(lambda s: db_privacy.export_person_data(s, _person(s, user).id))
    p = data["person"]
    lines = [_("<b>Dữ liệu mình đang giữ về bạn</b>")]
    lines.append(_("Tên: {name}").format(name=p["first_name"] or "-"))
    lines.append(_("Xã/phường: {place}").format(place=p["home_commune"] or "-"))
    active = [c["purpose"] for c in data["consents"] if not c["withdrawn_at"]]
    lines.append(_("Đồng ý đang có hiệu lực: {items}").format(items=", ".join(active) or "-"))
    subs = [x for x in data["subscriptions"] if not x["opted_out_at"]]
    lines.append(_("Đăng ký nhận tin: {n}").format(n=len(subs)))
    for lead in data["leads"]:
        total = lead["quote_total_vnd"]
        lines.append(
            _("Yêu cầu liên hệ số {id}: {status}, SĐT {phone}, {place}{total}").format(
                id=lead["id"],
                status=lead["status"],
                phone=lead["phone"] or "-",
                place=lead["commune"],
                total=f", {money(total)}" if total is not None else "",
            )
        )
    lines.append(_("Tin nhắn đã lưu: {n}").format(n=len(data["conversation"])))
    lines.append(_("Sửa số điện thoại: /sua_sdt 09xxxxxxxx. Xóa tất cả: /xoa_du_lieu."))
    return "\n".join(lines)


async def correct_phone(svc: Services, user: User | None, phone: str) -> int:
    """/sua_sdt: the phone on the person's open leads; returns how many leads changed."""
    assert user is not None

    def work(s: Session) -> int:
        person = db_people.get_person(s, user.id)
        if person is None:
            return 0
        return db_privacy.correct_phone(s, person.id, phone)

    return await svc.db.acall(work)


async def delete_person_data(svc: Services, user: User | None) -> None:
    assert user is not None
    if svc.turns is not None:  # their turns still in memory go too, without being written
        await svc.turns.forget(user.id)

    def work(s: Session) -> None:
        person = db_people.get_person(s, user.id)
        if person is not None:
            db_privacy.delete_person_data(s, person.id)

    await svc.db.acall(work)
