"""Coverage targets (commune x year -> %) and counts; CSV/XLSX imports in the seed-002 shape.

Import policy: every row is validated first and every bad row is reported (row number and
reason); then all good rows are written in one transaction. With strict=True any bad row
means nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Commune, CoverageCount, CoverageTarget
from db.places import resolve_commune
from db.tables import FileFormatError, ImportReport, RowError, read_rows
from db.text import normalise

_YEAR = re.compile(r"^(?:nam\s*)?((?:19|20)\d\d)$")
COMMUNE_HEADERS = {
    "commune",
    "xa",
    "ten xa",
    "xa phuong",
    "xa thi tran",
    "phuong xa",
    "don vi",
    "name",
    "ward",
}
PROVINCE_HEADERS = {"province", "tinh", "tinh thanh pho", "tinh thanh"}
ROWNO_HEADERS = {"tt", "stt", "no", "#", ""}


def _header_kind(h: str) -> str | None:
    if h in COMMUNE_HEADERS or h.startswith("xa ") or h.startswith("commune"):
        return "commune"
    if h in PROVINCE_HEADERS:
        return "province"
    return None


def parse_percent(raw: str) -> Decimal:
    try:
        v = Decimal(raw.replace("%", "").replace(",", ".").strip())
    except InvalidOperation:
        raise ValueError(f"target {raw!r} is not a number") from None
    if not v.is_finite():
        raise ValueError(f"target {raw!r} is not a number")
    if not Decimal(0) <= v <= Decimal(100):
        raise ValueError(f"target {raw!r} is outside 0..100")
    return v.quantize(Decimal("0.01"))


def parse_int(raw: str, what: str) -> int:
    try:
        v = int(raw.replace(".", "").replace(" ", "").replace(",", ""))
    except ValueError:
        raise ValueError(f"{what} {raw!r} is not a whole number") from None
    if v < 0:
        raise ValueError(f"{what} {raw!r} is negative")
    return v


def parse_date(raw: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"date {raw!r} is not YYYY-MM-DD or DD/MM/YYYY")


def _commune_text(cells: list[str], ci: int, pi: int | None) -> str:
    name = cells[ci] if ci < len(cells) else ""
    if pi is not None and pi < len(cells) and cells[pi]:
        return f"{name}, {cells[pi]}"
    return name


class _Resolver:
    def __init__(self, session: Session, province_hint: str | None):
        self.session, self.hint = session, province_hint
        self.cache: dict[str, tuple[Commune | None, str | None]] = {}

    def __call__(self, text: str) -> Commune:
        if not text.strip():
            raise ValueError("commune name is empty")
        if text not in self.cache:
            self.cache[text] = resolve_commune(self.session, text, self.hint)
        commune, reason = self.cache[text]
        if commune is None:
            raise ValueError(reason)
        return commune


def _finish(
    session: Session,
    report: ImportReport,
    good: list[tuple[int, Any]],
    write: Callable[[Any], None],
    strict: bool,
) -> ImportReport:
    report.errors.sort(key=lambda e: e.row)
    if strict and report.errors:
        return report
    # The caller's transaction makes this all-or-nothing: an error rolls every row back.
    for _, rec in good:
        write(rec)
    session.flush()
    report.written = len(good)
    report.committed = True
    return report


# --- targets ------------------------------------------------------------------------------


def import_targets(
    session: Session, path: str | Path, province_hint: str | None = None, strict: bool = False
) -> ImportReport:
    """Wide (commune, then one column per year: '2018' or 'Năm 2018') or long
    (commune, year, target) tables; an optional province column qualifies the commune."""
    rows = read_rows(path)
    if not rows:
        raise FileFormatError("the file is empty")
    resolve = _Resolver(session, province_hint)
    report = ImportReport()
    good: list[tuple[int, tuple[int, int, Decimal]]] = []
    rows_of: dict[int, list[int]] = {}  # commune id -> rows that name it
    names: dict[int, str] = {}

    # Header: the first row naming years (wide) or a 'year' column (long); the row above it
    # may hold the other headers (the seed table spreads its header over two rows).
    header_at = None
    for idx, (_, cells) in enumerate(rows[:10]):
        keys = [normalise(c) for c in cells]
        if any(_YEAR.match(k) for k in keys) or {"year", "nam"} & set(keys):
            header_at = idx
            break
    if header_at is None:
        raise FileFormatError(
            "no header row with year columns (e.g. 'Năm 2018') or a 'year' column"
        )
    keys = [normalise(c) for c in rows[header_at][1]]
    if header_at > 0:
        above = [normalise(c) for c in rows[header_at - 1][1]]
        keys = [k or (above[i] if i < len(above) else "") for i, k in enumerate(keys)]
    years = {i: int(m.group(1)) for i, k in enumerate(keys) if (m := _YEAR.match(k))}
    kinds = {i: _header_kind(k) for i, k in enumerate(keys)}
    pi = next((i for i, k in kinds.items() if k == "province"), None)
    ci = next((i for i, k in kinds.items() if k == "commune"), None)
    if ci is None:  # first column that is neither a row number nor a year
        ci = next(
            (
                i
                for i, k in enumerate(keys)
                if i not in years and k not in ROWNO_HEADERS and i != pi
            ),
            None,
        )
    if ci is None:
        raise FileFormatError("no commune column")
    long_cols = {
        k: i
        for i, k in enumerate(keys)
        if k in ("year", "nam", "target", "target percent", "chi tieu", "ty le")
    }
    is_long = not years
    if is_long and not ({"year", "nam"} & long_cols.keys() and len(long_cols) >= 2):
        raise FileFormatError("long format needs columns commune, year, target")

    for rowno, cells in rows[header_at + 1 :]:
        report.rows_read += 1
        try:
            commune = resolve(_commune_text(cells, ci, pi))
            if is_long:
                yi = long_cols["year"] if "year" in long_cols else long_cols["nam"]
                ti = next(i for k, i in long_cols.items() if k not in ("year", "nam"))
                raw_year = cells[yi] if yi < len(cells) else ""
                if not re.fullmatch(r"(19|20)\d\d", raw_year):
                    raise ValueError(f"year {raw_year!r} is not a year")
                raw = cells[ti] if ti < len(cells) else ""
                pairs = [(int(raw_year), raw)]
            else:
                pairs = [(y, cells[i] if i < len(cells) else "") for i, y in years.items()]
            recs = []
            for year, raw in pairs:
                if not raw and not is_long:
                    continue  # blank cell in a wide table: no target that year
                try:
                    recs.append((commune.id, year, parse_percent(raw)))
                except ValueError as e:
                    raise ValueError(f"{year}: {e}") from None
            if not recs:
                raise ValueError("no target values")
            rows_of.setdefault(commune.id, []).append(rowno)
            names[commune.id] = commune.name
            good.extend((rowno, r) for r in recs)
        except ValueError as e:
            report.errors.append(RowError(rowno, str(e)))
    # Several rows for one commune: old communes merged in 2025 (their targets cannot simply be
    # added up) or a repeated row. Every such row is reported and none is written.
    merged = {cid: rs for cid, rs in rows_of.items() if len(rs) > 1}
    if merged:
        good = [(rowno, r) for rowno, r in good if r[0] not in merged]
        for cid, rs in merged.items():
            for rowno in rs:
                others = ", ".join(str(r) for r in rs if r != rowno)
                report.errors.append(RowError(rowno, (
                    f"{names[cid]} is also given on row {others}: communes merged in 2025 or a "
                    f"repeated row; give {names[cid]}'s own target once"
                )))  # fmt: skip
        report.errors.sort(key=lambda e: e.row)

    def write(rec: tuple[int, int, Decimal]) -> None:
        cid, year, pct = rec
        t = session.scalars(
            select(CoverageTarget).where(
                CoverageTarget.commune_id == cid, CoverageTarget.year == year
            )
        ).first()
        if t is None:
            session.add(CoverageTarget(commune_id=cid, year=year, target_percent=pct))
        else:
            t.target_percent = pct

    return _finish(session, report, good, write, strict)


# --- counts -------------------------------------------------------------------------------


def _columns(keys: list[str], want: dict[str, set[str]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, aliases in want.items():
        for i, k in enumerate(keys):
            if k in aliases:
                out[name] = i
                break
    return out


def import_counts(
    session: Session, path: str | Path, province_hint: str | None = None, strict: bool = False
) -> ImportReport:
    """Columns: commune, [province], as_of (date), population, insured."""
    rows = read_rows(path)
    if not rows:
        raise FileFormatError("the file is empty")
    keys = [normalise(c) for c in rows[0][1]]
    cols = _columns(
        keys,
        {
            "commune": COMMUNE_HEADERS,
            "province": PROVINCE_HEADERS,
            "as_of": {"as of", "date", "ngay", "as_of"},
            "population": {"population", "dan so", "so dan"},
            "insured": {"insured", "so nguoi tham gia", "tham gia", "co the", "da tham gia"},
        },
    )
    missing = {"commune", "as_of", "population", "insured"} - cols.keys()
    if missing:
        raise FileFormatError(f"missing columns: {', '.join(sorted(missing))}")
    resolve = _Resolver(session, province_hint)
    report = ImportReport()
    good: list[tuple[int, tuple[int, date, int, int]]] = []
    seen: dict[tuple[int, date], int] = {}

    def get(cells: list[str], name: str) -> str:
        i = cols[name]
        return cells[i] if i < len(cells) else ""

    for rowno, cells in rows[1:]:
        report.rows_read += 1
        try:
            commune = resolve(_commune_text(cells, cols["commune"], cols.get("province")))
            as_of = parse_date(get(cells, "as_of"))
            pop = parse_int(get(cells, "population"), "population")
            ins = parse_int(get(cells, "insured"), "insured")
            if ins > pop:
                raise ValueError(f"insured {ins} exceeds population {pop}")
            if (commune.id, as_of) in seen:
                raise ValueError(
                    f"{commune.name} {as_of} already given on row {seen[(commune.id, as_of)]}"
                )
            seen[(commune.id, as_of)] = rowno
            good.append((rowno, (commune.id, as_of, pop, ins)))
        except ValueError as e:
            report.errors.append(RowError(rowno, str(e)))

    def write(rec: tuple[int, date, int, int]) -> None:
        cid, as_of, pop, ins = rec
        c = session.scalars(
            select(CoverageCount).where(
                CoverageCount.commune_id == cid, CoverageCount.as_of == as_of
            )
        ).first()
        if c is None:
            session.add(CoverageCount(commune_id=cid, as_of=as_of, population=pop, insured=ins))
        else:
            c.population, c.insured = pop, ins

    return _finish(session, report, good, write, strict)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageStatus:
    commune_id: int
    year: int
    target_percent: Decimal | None
    as_of: date | None
    population: int | None
    insured: int | None

    @property
    def percent(self) -> Decimal | None:
        if not self.population or self.insured is None:
            return None
        return (Decimal(self.insured) * 100 / Decimal(self.population)).quantize(Decimal("0.01"))

    @property
    def gap_people(self) -> int | None:
        """People still to insure to reach the target (0 when reached)."""
        if self.target_percent is None or not self.population or self.insured is None:
            return None
        need = (self.target_percent * self.population / 100).to_integral_value(
            rounding="ROUND_CEILING"
        )
        return max(0, int(need) - self.insured)


def coverage_status(session: Session, commune_id: int, year: int) -> CoverageStatus:
    """Target for the year and the latest count dated in or before that year."""
    target = session.scalar(
        select(CoverageTarget.target_percent).where(
            CoverageTarget.commune_id == commune_id, CoverageTarget.year == year
        )
    )
    count = session.scalars(
        select(CoverageCount)
        .where(CoverageCount.commune_id == commune_id, CoverageCount.as_of <= date(year, 12, 31))
        .order_by(CoverageCount.as_of.desc())
    ).first()
    return CoverageStatus(
        commune_id,
        year,
        target,
        count.as_of if count else None,
        count.population if count else None,
        count.insured if count else None,
    )
