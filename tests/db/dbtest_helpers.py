"""Small builders shared by the db tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.models import Commune
from db.people import get_or_create_person, grant_role
from db.places import resolve_commune


def commune(s: Session, text: str) -> Commune:
    c, reason = resolve_commune(s, text)
    assert c is not None, reason
    return c


def person(s: Session, tg: int, name: str = "Lan", locale: str = "vi") -> int:
    p, _ = get_or_create_person(s, tg, first_name=name, locale=locale)
    s.flush()
    return p.id


def agent(s: Session, tg: int, commune_id: int) -> int:
    pid = person(s, tg, f"agent{tg}")
    grant_role(s, pid, "agent", commune_id)
    return pid
