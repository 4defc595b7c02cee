from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from db.models import Base
from db.session import alembic_config, downgrade, make_engine, upgrade


def test_migrations_build_schema_from_empty_and_match_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(empty_db_url)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert "alembic_version" in tables
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn)
            head = ScriptDirectory.from_config(alembic_config(empty_db_url)).get_current_head()
            assert ctx.get_current_revision() == head
            # The hand-reviewed migration and the models describe the same schema.
            assert compare_metadata(ctx, Base.metadata) == []
        downgrade(empty_db_url, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(empty_db_url)  # and back up again
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    engine.dispose()


def test_default_url_is_repo_relative(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from db.session import REPO_ROOT, database_url

    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{REPO_ROOT / 'var' / 'bhyt.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h:5432/x")
    assert database_url() == "postgresql+psycopg://u@h:5432/x"
