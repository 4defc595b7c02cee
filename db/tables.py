"""Reading CSV / XLSX files into rows of strings with their 1-based row numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number in the file (header rows count)
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


@dataclass
class ImportReport:
    rows_read: int = 0
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class FileFormatError(Exception):
    """The file as a whole is unusable (unknown extension, no header...)."""


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v).strip()


def read_rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """Every non-blank row as (row number, cells). Delimiter sniffed: comma, semicolon, tab."""
    p = Path(path)
    if not p.exists():
        raise FileFormatError(f"{p}: no such file")
    suffix = p.suffix.lower()
    rows: list[tuple[int, list[str]]] = []
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(p, read_only=True, data_only=True)
        try:
            for i, values in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in values]
                if any(cells):
                    rows.append((i, cells))
        finally:
            wb.close()
        return rows
    if suffix not in (".csv", ".tsv", ".txt"):
        raise FileFormatError(f"{p}: expected .csv, .tsv or .xlsx")
    text = p.read_text(encoding="utf-8-sig")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    for i, cells in enumerate(csv.reader(text.splitlines(), dialect), start=1):
        cells = [c.strip() for c in cells]
        if any(cells):
            rows.append((i, cells))
    return rows
