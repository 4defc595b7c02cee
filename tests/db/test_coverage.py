from datetime import date
from decimal import Decimal

import pytest
from dbtest_helpers import commune
from openpyxl import Workbook
from sqlalchemy import func, select

from db.coverage import coverage_status, import_counts, import_targets
from db.models import CoverageCount, CoverageTarget
from db.tables import FileFormatError

# The seed-002 shape: row number, commune, a two-row header with "Năm YYYY" year columns.
SEED_SHAPE = (
    "TT\tXã, thị trấn\tTỷ lệ bảo phủ BHYT (%)\t\t\n"
    "\t\tNăm 2024\tNăm 2025\tNăm 2026\n"
    "1\tAn Lão\t86\t94\t100\n"
    "2\tPhường Ái Quốc\t87\t96.28\t98\n"
    "3\tXã Tiên Lãng\t88\t\t99,5\n"
)


def _targets(s):  # type: ignore[no-untyped-def]
    return {
        (c, y): p
        for c, y, p in s.execute(
            select(CoverageTarget.commune_id, CoverageTarget.year, CoverageTarget.target_percent)
        )
    }


def test_import_seed_shape_tsv(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "targets.tsv"
    f.write_text(SEED_SHAPE, encoding="utf-8")
    with db.tx() as s:
        r = import_targets(s, f, province_hint="Hải Phòng")
        assert r.errors == [] and r.written == 8 and r.committed
    with db.tx() as s:
        t = _targets(s)
        aq = commune(s, "Phường Ái Quốc, Hải Phòng").id
        tl = commune(s, "Xã Tiên Lãng, Hải Phòng").id
        assert t[(aq, 2025)] == Decimal("96.28")
        assert t[(tl, 2026)] == Decimal("99.50")
        assert (tl, 2025) not in t  # blank cell: no target
        # Re-importing updates in place.
        f.write_text(SEED_SHAPE.replace("96.28", "97"), encoding="utf-8")
        import_targets(s, f, province_hint="Hải Phòng")
    with db.tx() as s:
        t = _targets(s)
        assert len(t) == 8 and t[(aq, 2025)] == Decimal("97.00")


def test_import_xlsx_wide_and_csv_long(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wb = Workbook()
    ws = wb.active
    ws.append(["Xã", "Tỉnh", "2025", "2026"])
    ws.append(["Phường Ái Quốc", "Hải Phòng", 95.5, 98])
    ws.append(["An Lão", "Gia Lai", 90, None])
    wb.save(tmp_path / "t.xlsx")
    (tmp_path / "long.csv").write_text(
        'commune,year,target\n"Xã An Lão, Hải Phòng",2027,99.1\n', encoding="utf-8"
    )
    with db.tx() as s:
        assert import_targets(s, tmp_path / "t.xlsx").written == 3
        assert import_targets(s, tmp_path / "long.csv").written == 1
    with db.tx() as s:
        t = _targets(s)
        assert t[(commune(s, "Xã An Lão, Gia Lai").id, 2025)] == Decimal("90.00")
        assert t[(commune(s, "Xã An Lão, Hải Phòng").id, 2027)] == Decimal("99.10")
        assert len(t) == 4


BAD = (
    "commune,year,target\n"
    '"Phường Ái Quốc, Hải Phòng",2025,95\n'  # row 2 ok
    "An Lão,2025,90\n"  # row 3 ambiguous
    '"Xã Không Có, Hải Phòng",2025,90\n'  # row 4 unknown
    '"Xã An Lão, Gia Lai",20x5,90\n'  # row 5 bad year
    '"Xã An Lão, Gia Lai",2025,101\n'  # row 6 out of range
    '"Xã An Lão, Gia Lai",2026,abc\n'  # row 7 not a number
    '"Phường Ái Quốc, Hải Phòng",2025,96\n'  # row 8 duplicate of row 2
    '"Xã An Lão, Hải Phòng",2025,91\n'  # row 9 ok
)


def test_bad_rows_all_reported_good_rows_written(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "bad.csv"
    f.write_text(BAD, encoding="utf-8")
    with db.tx() as s:
        r = import_targets(s, f)
    assert [e.row for e in r.errors] == [2, 3, 4, 5, 6, 7, 8]
    reasons = [e.reason for e in r.errors]
    # a commune given twice (a repeat, or communes merged in 2025): both rows reported, neither kept
    assert "also given on row 8" in reasons[0] and "also given on row 2" in reasons[6]
    assert "ambiguous" in reasons[1] and "no commune" in reasons[2]
    assert "year" in reasons[3] and "0..100" in reasons[4] and "not a number" in reasons[5]
    assert r.written == 1 and r.rows_read == 8
    with db.tx() as s:
        assert len(_targets(s)) == 1


def test_strict_import_writes_nothing(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "bad.csv"
    f.write_text(BAD, encoding="utf-8")
    with db.tx() as s:
        r = import_targets(s, f, strict=True)
        assert len(r.errors) == 7 and not r.committed and r.written == 0
    with db.tx() as s:
        assert _targets(s) == {}


def test_unusable_files(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "x.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    (tmp_path / "x.pdf").write_text("", encoding="utf-8")
    with db.tx() as s:
        with pytest.raises(FileFormatError):
            import_targets(s, tmp_path / "x.csv")
        with pytest.raises(FileFormatError):
            import_targets(s, tmp_path / "x.pdf")
        with pytest.raises(FileFormatError):
            import_counts(s, tmp_path / "x.csv")


def test_counts_and_status(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "counts.csv"
    f.write_text(
        "commune;province;as_of;population;insured\n"
        "Phường Ái Quốc;Hải Phòng;2025-06-30;20.000;18.500\n"
        "Phường Ái Quốc;Hải Phòng;31/12/2024;19900;17000\n"
        "Phường Ái Quốc;Hải Phòng;2025-07-01;100;200\n"
        "Phường Ái Quốc;Hải Phòng;yesterday;100;20\n",
        encoding="utf-8",
    )
    t = tmp_path / "t.csv"
    t.write_text('commune,year,target\n"Phường Ái Quốc, Hải Phòng",2025,95\n', encoding="utf-8")
    with db.tx() as s:
        r = import_counts(s, f)
        assert [e.row for e in r.errors] == [4, 5] and r.written == 2
        import_targets(s, t)
    with db.tx() as s:
        assert s.scalar(select(func.count()).select_from(CoverageCount)) == 2
        st = coverage_status(s, commune(s, "Phường Ái Quốc, Hải Phòng").id, 2025)
        assert st.as_of == date(2025, 6, 30) and st.percent == Decimal("92.50")
        assert st.gap_people == 500


def test_real_seed_002_table(db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The plan's own table (2017 Yên Thế communes, since merged into Bắc Ninh): header found
    across two rows; every old commune resolves to today's commune (vietnamadminunits) or is
    reported; old communes merged into one today are reported, not written as its target."""
    import os
    from pathlib import Path

    shared = Path(os.environ.get("BHYT_SHARED_DIR") or Path(__file__).parents[2] / ".." / "shared")
    seeds = sorted((shared / "seeds").glob("002_*.txt"))
    if not seeds:
        pytest.skip("seed 002 not available")
    lines = seeds[0].read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("TT\t"))
    f = tmp_path / "seed002.tsv"
    f.write_text("\n".join(lines[start:]) + "\n", encoding="utf-8")
    with db.tx() as s:
        r = import_targets(s, f, province_hint="Bắc Ninh")
    assert r.rows_read == 21
    reported = {e.row for e in r.errors}
    assert all(e.reason for e in r.errors)
    merged = [e for e in r.errors if "communes merged in 2025" in e.reason]
    assert len(merged) >= 19  # resolved to today's commune, which several old rows now share
    assert any("Xã Đồng Kỳ is also given on row" in e.reason for e in merged)
    assert r.written == 5 * (21 - len(reported))  # five year columns per row written
    with db.tx() as s:
        assert len(_targets(s)) == r.written
