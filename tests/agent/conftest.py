"""Service tests reuse the db fixtures: a fresh migrated database per test, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from db import people as db_people
from db import places as db_places
from tests.db.conftest import (  # noqa: F401 -- fixtures
    Db,
    backend,
    db,
    db_url,
    pg_admin,
    pg_module_db,
    pg_template,
    sqlite_template,
)


@dataclass
class World:
    """Two communes: Ái Quốc (agents Hùng and Mai, cadre Minh) and An Lão (agent Tú)."""

    db: Db
    ai_quoc: int
    an_lao: int
    hung: int
    mai: int
    tu: int
    minh: int
    lan: int  # a citizen of Ái Quốc

    def tx(self) -> Session:
        return self.db.tx()


def _commune(s: Session, text: str) -> int:
    c, reason = db_places.resolve_commune(s, text)
    assert c is not None, reason
    return c.id


@pytest.fixture
def world(db: Db) -> World:  # noqa: F811
    with db.tx() as s:
        ai_quoc = _commune(s, "Phường Ái Quốc, Hải Phòng")
        an_lao = _commune(s, "Xã An Lão, Hải Phòng")
        ids = {}
        for tg, name in [
            (2001, "Hùng"),
            (2002, "Mai"),
            (2003, "Tú"),
            (3001, "Minh"),
            (1001, "Lan"),
        ]:
            p, _ = db_people.get_or_create_person(s, tg, name)
            ids[name] = p.id
        db_people.grant_role(s, ids["Hùng"], "agent", ai_quoc)
        db_people.grant_role(s, ids["Mai"], "agent", ai_quoc)
        db_people.grant_role(s, ids["Tú"], "agent", an_lao)
        db_people.grant_role(s, ids["Minh"], "cadre", ai_quoc)
        db_people.grant_consent(s, ids["Lan"], "contact_by_agent", "contact_by_agent/v1")
    return World(db, ai_quoc, an_lao, ids["Hùng"], ids["Mai"], ids["Tú"], ids["Minh"], ids["Lan"])
