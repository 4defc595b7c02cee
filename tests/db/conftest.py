"""Every db test runs on SQLite and on PostgreSQL, each test on a fresh database.

Places are loaded once per backend into a template. SQLite: each test copies the template
file into its tmp_path. PostgreSQL: each test module gets its own database (random name,
CREATE DATABASE ... TEMPLATE, dropped after the module) and every test starts by emptying
all tables but the places, which is several times faster than a database per test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from db.models import Base
from db.places import load_places
from db.session import make_engine, session_factory, transaction, upgrade

PG_SERVER = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin() -> Engine:
    return create_engine(PG_SERVER, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_url(name: str) -> str:
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    engine = _pg_admin()
    try:
        with engine.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 -- any connection failure means "no server"
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER}: {type(exc).__name__}")
    yield engine
    engine.dispose()


def _create_db(admin: Engine, template: str | None = None) -> str:
    name = f"bhyt_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(
            text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        )
    return name


def _drop_db(admin: Engine, name: str) -> None:
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fill(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as s:
            load_places(s)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_admin: Engine) -> Iterator[str]:
    name = _create_db(pg_admin)
    try:
        _fill(_pg_url(name))
        yield name
    finally:
        _drop_db(pg_admin, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    _fill(f"sqlite:///{path}")
    return str(path)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh migrated database with all places loaded."""
    if backend == "sqlite":
        tpl = request.getfixturevalue("sqlite_template")
        dst = tmp_path / "test.sqlite3"
        shutil.copyfile(tpl, dst)
        yield f"sqlite:///{dst}"
        return
    url = request.getfixturevalue("pg_module_db")
    _reset(url)
    yield url


@pytest.fixture(scope="module")
def pg_module_db(pg_admin: Engine, pg_template: str) -> Iterator[str]:
    name = _create_db(pg_admin, pg_template)
    try:
        yield _pg_url(name)
    finally:
        _drop_db(pg_admin, name)


PLACE_TABLES = {"provinces", "communes"}


def _reset(url: str) -> None:
    """Back to 'migrated + places loaded': drop every row a test may have added or changed."""
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in PLACE_TABLES:
                    c.execute(table.delete())
            for table in ("provinces", "communes"):
                c.execute(
                    text(
                        f"UPDATE {table} SET bonus_per_card_vnd = NULL "
                        "WHERE bonus_per_card_vnd IS NOT NULL"
                    )
                )
    finally:
        engine.dispose()


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh database with no schema at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin = request.getfixturevalue("pg_admin")
    name = _create_db(admin)
    try:
        yield _pg_url(name)
    finally:
        _drop_db(admin, name)


@dataclass
class Db:
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def tx(self):  # type: ignore[no-untyped-def]
        return transaction(self.factory)


@pytest.fixture
def db(db_url: str) -> Iterator[Db]:
    engine = make_engine(db_url)
    yield Db(db_url, engine, session_factory(engine))
    engine.dispose()
