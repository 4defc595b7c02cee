"""Admin CLI: `python -m db admin <command>`. Exit 0 ok, 1 bad rows / refused, 2 usage error."""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence

from sqlalchemy import select

from db.coverage import import_counts, import_targets
from db.errors import DataError
from db.models import Commune, Lead, Person, Province
from db.people import get_or_create_person, grant_role
from db.places import load_places, resolve_commune
from db.privacy import purge_old_turns
from db.roster import import_agents
from db.session import database_url, make_engine, session_factory, transaction, upgrade
from db.tables import FileFormatError, ImportReport


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m db", description="BHYT bot data admin")
    p.add_argument("--database-url", help="default: $DATABASE_URL or sqlite:///var/bhyt.sqlite3")
    top = p.add_subparsers(dest="area", required=True)
    admin = top.add_parser("admin", help="administration commands")
    sub = admin.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="apply Alembic migrations up to head")
    sub.add_parser("load-places", help="load/refresh provinces and communes (idempotent)")
    for name, what in (
        ("import-targets", "coverage targets: commune + year columns, or commune,year,target"),
        ("import-counts", "coverage counts: commune, as_of, population, insured"),
        ("import-agents", "agents/cadres roster: telegram_id, commune[, first_name, role]"),
    ):
        c = sub.add_parser(name, help=what)
        c.add_argument("file", help=".csv, .tsv or .xlsx")
        c.add_argument("--province", help="province for rows that name only the commune")
        c.add_argument("--strict", action="store_true", help="write nothing if any row is bad")
    g = sub.add_parser("grant", help="grant a role to a Telegram user (pre-registers them)")
    g.add_argument("--telegram-id", type=int, required=True)
    g.add_argument("--role", required=True, choices=["citizen", "agent", "cadre", "admin"])
    g.add_argument("--commune", help="'Phường Ái Quốc, Hải Phòng' (required for agent/cadre)")
    g.add_argument("--name", help="first name, if not known yet")
    e = sub.add_parser("export-leads", help="export leads to CSV")
    e.add_argument("file")
    e.add_argument("--commune", action="append", default=[], help="repeatable; default all")
    pt = sub.add_parser("purge-turns", help="delete conversation log lines older than N days")
    pt.add_argument("--days", type=int, default=90)
    return p


def _print_report(report: ImportReport, strict: bool) -> int:
    for err in report.errors:
        print(f"error: {err}", file=sys.stderr)
    if report.errors and strict:
        print(f"{len(report.errors)} bad row(s); --strict: nothing written", file=sys.stderr)
        return 1
    print(
        f"{report.rows_read} row(s) read, {report.written} record(s) written, "
        f"{len(report.errors)} bad row(s) skipped"
    )
    return 1 if report.errors else 0


def run(args: argparse.Namespace) -> int:
    url = database_url(args.database_url)
    if args.cmd == "migrate":
        upgrade(url)
        print("database at head")
        return 0
    factory = session_factory(make_engine(url))
    if args.cmd == "load-places":
        t0 = time.perf_counter()
        with transaction(factory) as s:
            r = load_places(s)
        print(
            f"{r.source_version}: provinces +{r.provinces_added} ~{r.provinces_updated}, "
            f"communes +{r.communes_added} ~{r.communes_updated} "
            f"({time.perf_counter() - t0:.2f}s)"
        )
        return 0
    if args.cmd in ("import-targets", "import-counts", "import-agents"):
        fn = {
            "import-targets": import_targets,
            "import-counts": import_counts,
            "import-agents": import_agents,
        }[args.cmd]
        try:
            with transaction(factory) as s:
                report = fn(s, args.file, province_hint=args.province, strict=args.strict)
        except FileFormatError as exc:
            raise UsageError(str(exc)) from exc
        return _print_report(report, args.strict)
    if args.cmd == "grant":
        with transaction(factory) as s:
            commune_id, where = None, ""
            if args.commune:
                commune, reason = resolve_commune(s, args.commune)
                if commune is None:
                    raise UsageError(reason or "unknown commune")
                commune_id, where = commune.id, f" in {commune.label}"
            elif args.role in ("agent", "cadre"):
                raise UsageError(f"--commune is required for role {args.role}")
            person, created = get_or_create_person(s, args.telegram_id, first_name=args.name)
            grant_role(s, person.id, args.role, commune_id)
            print(
                f"{args.role} granted to telegram id {args.telegram_id}{where}"
                f"{' (pre-registered)' if created else ''}"
            )
        return 0
    if args.cmd == "export-leads":
        with transaction(factory) as s:
            ids: list[int] = []
            for text in args.commune:
                commune, reason = resolve_commune(s, text)
                if commune is None:
                    raise UsageError(reason or "unknown commune")
                ids.append(commune.id)
            n = export_leads(s, args.file, ids or None)
        print(f"{n} lead(s) written to {args.file}")
        return 0
    if args.cmd == "purge-turns":
        with transaction(factory) as s:
            n = purge_old_turns(s, args.days)
        print(f"{n} log line(s) older than {args.days} days deleted")
        return 0
    raise UsageError(f"unknown command {args.cmd}")


EXPORT_COLUMNS = [
    "lead_id",
    "created_at",
    "updated_at",
    "province",
    "commune",
    "status",
    "owner_telegram_id",
    "cards_enrolled",
    "quote_total_vnd",
    "phone",
]


def export_leads(session, path: str, commune_ids: list[int] | None = None) -> int:  # type: ignore[no-untyped-def]
    owner = select(Person.id, Person.telegram_id).subquery()
    stmt = (
        select(Lead, Commune.name, Province.name, owner.c.telegram_id)
        .join(Commune, Lead.commune_id == Commune.id)
        .join(Province, Commune.province_id == Province.id)
        .outerjoin(owner, owner.c.id == Lead.owner_id)
        .order_by(Lead.id)
    )
    if commune_ids:
        stmt = stmt.where(Lead.commune_id.in_(commune_ids))
    n = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as f:  # BOM: Excel reads UTF-8
        w = csv.writer(f)
        w.writerow(EXPORT_COLUMNS)
        for lead, commune, province, owner_tg in session.execute(stmt):
            w.writerow(
                [
                    lead.id,
                    lead.created_at.isoformat(),
                    lead.updated_at.isoformat(),
                    province,
                    commune,
                    lead.status,
                    owner_tg or "",
                    lead.cards_enrolled,
                    lead.quote_total_vnd if lead.quote_total_vnd is not None else "",
                    lead.phone or "",
                ]
            )
            n += 1
    return n


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # exits 2 on usage errors
    try:
        return run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
