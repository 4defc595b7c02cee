"""Database work for the cadre handlers (sync; call with `svc.db.acall`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cadre.report import WeeklyReport, compute_report
from db import broadcasts as db_bc
from db import coverage
from db import people as db_people
from db.errors import DataError, InvalidTransition, NotFound
from db.models import (
    Broadcast,
    BroadcastCommune,
    Commune,
    CoverageCount,
    CoverageTarget,
    Person,
    RoleGrant,
)
from db.tables import ImportReport


@dataclass(frozen=True)
class Scope:
    """A cadre and the communes their role covers."""

    person_id: int
    telegram_id: int
    locale: str
    communes: tuple[tuple[int, str], ...]  # (commune id, "Phường Ái Quốc")
    province_slug: str | None
    province_name: str | None = None

    @property
    def commune_ids(self) -> list[int]:
        return [c for c, _ in self.communes]


def _scope(s: Session, person: Person) -> Scope | None:
    grants = [g for g in db_people.roles_of(s, person.id) if g.role == "cadre" and g.commune_id]
    if not grants:
        return None
    ids = sorted({g.commune_id for g in grants if g.commune_id is not None})
    communes = list(s.scalars(select(Commune).where(Commune.id.in_(ids)).order_by(Commune.name)))
    return Scope(
        person.id,
        person.telegram_id,
        person.locale or "vi",
        tuple((c.id, c.name) for c in communes),
        communes[0].province.slug if communes else None,
        communes[0].province.name if communes else None,
    )


def cadre_scope(s: Session, telegram_id: int) -> Scope | None:
    person = db_people.get_person(s, telegram_id)
    return _scope(s, person) if person is not None else None


def all_cadres(s: Session) -> list[Scope]:
    ids = s.scalars(
        select(RoleGrant.person_id)
        .where(RoleGrant.role == "cadre", RoleGrant.revoked_at.is_(None))
        .distinct()
    )
    out = []
    for pid in list(ids):
        person = s.get(Person, pid)
        if person is not None and (sc := _scope(s, person)) is not None:
            out.append(sc)
    return out


def create_draft(
    s: Session,
    author_id: int,
    text: str,
    commune_ids: list[int],
    photo: str | None,
    button_text: str | None,
    button_url: str | None,
    language: str | None,
) -> tuple[Broadcast, int]:
    """A draft broadcast and how many people it would reach now."""
    b = db_bc.create_broadcast(
        s, author_id, text, commune_ids, photo, button_text, button_url, language
    )
    aud = db_bc.audience_query(b).subquery()
    n = s.scalar(select(func.count()).select_from(aud)) or 0
    return b, n


def send_now(s: Session, broadcast_id: int, now: datetime) -> None:
    db_bc.schedule_broadcast(s, broadcast_id, now)


def cancel(s: Session, broadcast_id: int, telegram_id: int) -> str:
    """'cancelled' | 'not_found' | 'forbidden' | 'too_late'. A cadre may stop broadcasts of
    their own communes."""
    scope = cadre_scope(s, telegram_id)
    b = s.get(Broadcast, broadcast_id)
    if b is None:
        return "not_found"
    mine = set(scope.commune_ids) if scope else set()
    theirs = set(
        s.scalars(select(BroadcastCommune.commune_id).where(BroadcastCommune.broadcast_id == b.id))
    )
    if scope is None or not theirs <= mine:
        return "forbidden"
    try:
        db_bc.cancel_broadcast(s, broadcast_id)
    except (InvalidTransition, NotFound):
        return "too_late"
    return "cancelled"


def unsubscribe_from(s: Session, telegram_id: int, broadcast_id: int | None) -> str:
    """The one-tap button: 'preview' (draft shown to its author), 'done' or 'none'."""
    if broadcast_id is not None:
        status = s.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        if status == "draft":
            return "preview"
    person = db_people.get_person(s, telegram_id)
    if person is None:
        return "none"
    changed = db_people.unsubscribe(s, person.id)
    db_people.withdraw_consent(s, person.id, "campaign_news")
    return "done" if changed else "none"


def weekly_report(
    s: Session, commune_ids: list[int], start: datetime, end: datetime, year: int
) -> WeeklyReport:
    return compute_report(s, commune_ids, start, end, year)


# --- coverage imports (targets, insured counts) from a cadre's upload -----------------------


class OutsideScope(DataError):
    """The file would change communes the cadre does not cover: nothing is written."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


def _snapshot(s: Session, kind: str) -> dict[tuple, tuple]:
    if kind == "targets":
        return {
            (t.commune_id, t.year): (t.target_percent,) for t in s.scalars(select(CoverageTarget))
        }
    return {
        (c.commune_id, c.as_of): (c.population, c.insured) for c in s.scalars(select(CoverageCount))
    }


def import_coverage(
    s: Session, kind: str, path: str, commune_ids: list[int], province_hint: str | None
) -> ImportReport:
    """db.coverage importers, refused as a whole when a row touches another commune."""
    before = _snapshot(s, kind)
    importer = coverage.import_targets if kind == "targets" else coverage.import_counts
    report = importer(s, path, province_hint, False)
    s.flush()
    after = _snapshot(s, kind)
    changed = {key[0] for key, value in after.items() if before.get(key) != value}
    outside = sorted(changed - set(commune_ids))
    if outside:
        names = list(s.scalars(select(Commune.name).where(Commune.id.in_(outside))))
        raise OutsideScope(names)  # the caller's transaction rolls every row back
    return report
