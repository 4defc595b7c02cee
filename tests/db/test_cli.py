import csv

import pytest
from dbtest_helpers import agent, commune, person
from sqlalchemy import func, select

from db.cli import main
from db.leads import claim_lead, create_or_update_lead
from db.models import CoverageTarget, RoleGrant
from db.people import get_person
from db.session import Database


def run(db, *argv: str) -> int:  # type: ignore[no-untyped-def]
    return main(["--database-url", db.url, "admin", *argv])


def test_usage_errors_exit_2(db, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as e:
        main(["admin"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["admin", "grant", "--role", "agent"])  # no --telegram-id
    assert e.value.code == 2
    assert run(db, "grant", "--telegram-id", "5", "--role", "agent") == 2
    assert "--commune is required" in capsys.readouterr().err
    assert run(db, "grant", "--telegram-id", "5", "--role", "agent", "--commune", "An Lão") == 2
    assert "ambiguous" in capsys.readouterr().err
    assert run(db, "import-targets", "/nonexistent.csv") == 2


def test_grant_pre_registers(db, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = run(
        db,
        "grant",
        "--telegram-id",
        "123456789",
        "--role",
        "agent",
        "--commune",
        "Phường Ái Quốc, Hải Phòng",
    )
    assert rc == 0 and "pre-registered" in capsys.readouterr().out
    with db.tx() as s:
        p = get_person(s, 123456789)
        assert p is not None and p.first_name is None
        g = s.scalars(select(RoleGrant).where(RoleGrant.person_id == p.id)).one()
        assert g.role == "agent" and g.commune_id == commune(s, "Phường Ái Quốc, Hải Phòng").id


def test_import_targets_reports_rows(db, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "t.csv"
    f.write_text(
        'commune,year,target\n"Phường Ái Quốc, Hải Phòng",2025,95\nAn Lão,2025,90\n'
        '"Xã An Lão, Gia Lai",2025,x\n',
        encoding="utf-8",
    )
    assert run(db, "import-targets", str(f)) == 1
    out = capsys.readouterr()
    assert "row 3: ambiguous" in out.err and "row 4: 2025: target 'x'" in out.err
    assert "1 record(s) written" in out.out
    assert run(db, "import-targets", "--strict", str(f)) == 1
    with db.tx() as s:
        assert s.scalar(select(func.count()).select_from(CoverageTarget)) == 1


def test_import_agents_and_export_leads(db, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "agents.csv"
    roster.write_text(
        "telegram_id,commune,first_name,role\n"
        '1001,"Phường Ái Quốc, Hải Phòng",Minh,agent\n'
        'abc,"Phường Ái Quốc, Hải Phòng",X,agent\n'
        '1002,"Xã An Lão, Gia Lai",Lan,cadre\n',
        encoding="utf-8",
    )
    assert run(db, "import-agents", str(roster)) == 1
    assert "row 3: telegram_id 'abc'" in capsys.readouterr().err
    with db.tx() as s:
        aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
        minh = get_person(s, 1001)
        assert minh.first_name == "Minh"
        lead, _ = create_or_update_lead(s, person(s, 7), aq, {}, {}, 1_000, "0900")
        assert claim_lead(s, lead.id, minh.id)
        other = commune(s, "Xã An Lão, Gia Lai").id
        create_or_update_lead(s, person(s, 8), other, {}, {}, 2_000, "0911")
    out = tmp_path / "leads.csv"
    assert run(db, "export-leads", "--commune", "Phường Ái Quốc, Hải Phòng", str(out)) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 1 and rows[0]["commune"] == "Phường Ái Quốc"
    assert rows[0]["owner_telegram_id"] == "1001" and rows[0]["status"] == "claimed"
    assert run(db, "export-leads", str(out)) == 0
    assert len(list(csv.DictReader(out.open(encoding="utf-8-sig")))) == 2


def test_migrate_and_load_places_commands(empty_db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--database-url", empty_db_url, "admin", "migrate"]) == 0
    assert main(["--database-url", empty_db_url, "admin", "load-places"]) == 0
    assert "communes +3321" in capsys.readouterr().out
    assert main(["--database-url", empty_db_url, "admin", "load-places"]) == 0
    assert "communes +0 ~0" in capsys.readouterr().out


async def test_database_facade_runs_services_in_threads(db) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    database = Database(db.url)
    try:
        with db.tx() as s:
            aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
            agents = [agent(s, 50 + i, aq) for i in range(5)]
            lead, _ = create_or_update_lead(s, person(s, 9), aq, {}, {}, 1, "09")
        wins = await asyncio.gather(*(database.acall(claim_lead, lead.id, a) for a in agents))
        assert sorted(wins) == [False] * 4 + [True]
    finally:
        database.dispose()
