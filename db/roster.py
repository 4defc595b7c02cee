"""Pre-registering agents and cadres from a CSV/XLSX roster (before they talk to the bot)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from db.coverage import (
    COMMUNE_HEADERS,
    PROVINCE_HEADERS,
    _columns,
    _commune_text,
    _finish,
    _Resolver,
)
from db.models import ROLES
from db.people import get_or_create_person, grant_role
from db.tables import FileFormatError, ImportReport, RowError, read_rows
from db.text import normalise


def import_agents(
    session: Session,
    path: str | Path,
    province_hint: str | None = None,
    strict: bool = False,
    granted_by_id: int | None = None,
) -> ImportReport:
    """Columns: telegram_id, commune, [province], [first_name], [role: agent (default)/cadre]."""
    rows = read_rows(path)
    if not rows:
        raise FileFormatError("the file is empty")
    keys = [normalise(c) for c in rows[0][1]]
    cols = _columns(
        keys,
        {
            "telegram_id": {"telegram id", "telegram", "tg id", "id telegram"},
            "commune": COMMUNE_HEADERS,
            "province": PROVINCE_HEADERS,
            "first_name": {"first name", "name", "ho ten", "ten"},
            "role": {"role", "vai tro"},
        },
    )
    missing = {"telegram_id", "commune"} - cols.keys()
    if missing:
        raise FileFormatError(f"missing columns: {', '.join(sorted(missing))}")
    resolve = _Resolver(session, province_hint)
    report = ImportReport()
    good: list[tuple[int, tuple[int, int, str, str | None]]] = []
    seen: dict[tuple[int, int, str], int] = {}

    def get(cells: list[str], name: str) -> str:
        i = cols.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    for rowno, cells in rows[1:]:
        report.rows_read += 1
        try:
            raw_id = get(cells, "telegram_id")
            if not raw_id.isdigit() or int(raw_id) <= 0:
                raise ValueError(f"telegram_id {raw_id!r} is not a positive number")
            role = normalise(get(cells, "role")) or "agent"
            if role not in ROLES or role in ("citizen",):
                raise ValueError(f"role {role!r} is not agent, cadre or admin")
            commune = resolve(_commune_text(cells, cols["commune"], cols.get("province")))
            key = (int(raw_id), commune.id, role)
            if key in seen:
                raise ValueError(f"duplicate of row {seen[key]}")
            seen[key] = rowno
            good.append((rowno, (int(raw_id), commune.id, role, get(cells, "first_name") or None)))
        except ValueError as e:
            report.errors.append(RowError(rowno, str(e)))

    def write(rec: tuple[int, int, str, str | None]) -> None:
        tg, commune_id, role, name = rec
        person, _ = get_or_create_person(session, tg, first_name=name)
        grant_role(session, person.id, role, commune_id, granted_by_id)

    return _finish(session, report, good, write, strict)
