"""Pre-2025 commune names (vietnamadminunits converter_2025) -> today's communes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from db.cli import main
from db.coverage import import_targets
from db.models import Commune, CoverageTarget
from db.place_aliases import FORMER_PROVINCE_SOURCE
from db.place_history import SOURCE, get_history
from db.places import find_communes, resolve_commune

YEN_THE = Path(__file__).parent / "data" / "yen_the_targets.tsv"

# Resolution 2025 for Yên Thế (Bắc Giang, now Bắc Ninh), per converter_2025.
YEN_THE_TODAY = {
    "Đồng Vương": "Xã Đồng Kỳ",
    "Xuân Lương": "Xã Xuân Lương",
    "Canh Nậu": "Xã Xuân Lương",
    "Tam Tiến": "Xã Tam Tiến",
    "Tam Hiệp": "Xã Yên Thế",
    "Tân Hiệp": "Xã Yên Thế",
    "Tiến Thắng": "Xã Tam Tiến",
    "An Thượng": "Xã Tam Tiến",
    "Phồn Xương": "Xã Yên Thế",
    "Thị trấn Cầu Gồ": "Xã Yên Thế",
    "Đồng Lạc": "Xã Yên Thế",
    "Tân Sỏi": "Xã Yên Thế",
    "Xã Bó Hạ": "Xã Bố Hạ",  # the plan's spelling of Bố Hạ
    "Thị trấn Bó Hạ": "Xã Bố Hạ",
    "Đông Sơn": "Xã Bố Hạ",
    "Hương Vỹ": "Xã Bố Hạ",
    "Đồng Hưu": "Xã Đồng Kỳ",
    "Đồng Kỳ": "Xã Đồng Kỳ",
    "Hồng Kỳ": "Xã Đồng Kỳ",
    "Đồng Tâm": "Xã Yên Thế",
}


def test_mapping_coverage() -> None:
    h = get_history()
    assert h.keys_total == 9569 + 471
    assert h.unmatched_new == [] and h.new_keys_total == 3282
    assert h.units >= 10_030  # 5 old keys have no legacy name (e.g. Hoàng Sa district)


@pytest.mark.parametrize(
    "text,label",
    [
        ("Thị trấn Cầu Gồ", "Xã Yên Thế, Bắc Ninh"),
        ("Đồng Vương, Yên Thế", "Xã Đồng Kỳ, Bắc Ninh"),
        ("xa dong vuong huyen yen the tinh bac giang", "Xã Đồng Kỳ, Bắc Ninh"),
        ("Hồng Kỳ, Yên Thế, Bắc Giang", "Xã Đồng Kỳ, Bắc Ninh"),
        ("Phường Hàng Bạc, Hoàn Kiếm, Hà Nội", "Phường Hoàn Kiếm, Thành phố Hà Nội"),
        ("Đồng Tiến, Yên Thế", "Xã Xuân Lương, Bắc Ninh"),
    ],
)
def test_old_names_resolve(db, text: str, label: str) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        (c,) = find_communes(s, text)
        assert (c.label, c.match, c.source) == (label, "exact", SOURCE)
        assert c.former  # 'Xã Đồng Vương, Huyện Yên Thế, Tỉnh Bắc Giang'
        commune, reason = resolve_commune(s, text)
        assert commune is not None and commune.id == c.commune_id, reason


def test_same_name_today_keeps_former_province_source(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        (c,) = find_communes(s, "xã Tam Tiến, Yên Thế, Bắc Giang")
        assert c.source == FORMER_PROVINCE_SOURCE and c.former is None


def test_split_commune_gives_a_choice(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cands = find_communes(s, "Phường Thành Công, Ba Đình, Hà Nội")
        assert [c.label for c in cands] == [
            "Phường Giảng Võ, Thành phố Hà Nội",  # the converter's default first
            "Phường Ô Chợ Dừa, Thành phố Hà Nội",
        ]
        assert {(c.match, c.source) for c in cands} == {("exact", SOURCE)}
        commune, reason = resolve_commune(s, "Phường Thành Công, Ba Đình, Hà Nội")
        assert commune is None and reason and "split" in reason and "Giảng Võ" in reason


def test_ambiguous_old_name_needs_the_district(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        commune, reason = resolve_commune(s, "Đồng Tiến", "Bắc Ninh")
        assert commune is None and reason
        assert "Huyện Hiệp Hòa" in reason and "Huyện Yên Thế" in reason


def test_today_names_win_without_a_district(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        (c,) = find_communes(s, "tan dinh tp hcm")
        assert c.label == "Phường Tân Định, Thành phố Hồ Chí Minh" and c.source is None


@pytest.mark.parametrize("province", ["Bắc Ninh", "Bắc Giang"])
def test_yen_the_2017_targets_import(db, province: str) -> None:  # type: ignore[no-untyped-def]
    """Seed 002's table: every row resolved or reported; none silently dropped."""
    with YEN_THE.open(encoding="utf-8") as f:
        names = [row[0] for row in csv.reader(f, delimiter="\t")][1:]
    assert len(names) == 21
    with db.tx() as s:
        report = import_targets(s, YEN_THE, province_hint=province)
    assert report.rows_read == 21
    errors = {e.row - 1: e.reason for e in report.errors}  # data rows start on file row 2
    resolved: dict[str, str] = {}
    with db.tx() as s:
        for i, name in enumerate(names, start=1):
            commune, reason = resolve_commune(s, name, province)
            if commune is None:
                assert errors.get(i) == reason, (name, errors.get(i))
            else:
                resolved[name] = commune.name
                # old communes merged into one today: each row reported, none taken as its target
                assert "communes merged in 2025" in errors[i], errors[i]
        written = s.execute(select(Commune.name, CoverageTarget.year).join(Commune)).all()
    assert len(resolved) >= 19, sorted(set(names) - set(resolved))
    assert {k: v for k, v in YEN_THE_TODAY.items() if k in resolved} == {
        k: resolved[k] for k in YEN_THE_TODAY if k in resolved
    }
    assert "Đồng Tiến" not in resolved  # Hiệp Hòa and Yên Thế both had one: reported
    assert set(resolved.values()) == {
        "Xã Đồng Kỳ",
        "Xã Xuân Lương",
        "Xã Tam Tiến",
        "Xã Yên Thế",
        "Xã Bố Hạ",
    }
    assert report.written == len(written) == 0  # every today's commune merges several old ones


def test_yen_the_through_the_cli(db, capsys) -> None:  # type: ignore[no-untyped-def]
    rc = main(
        [
            "--database-url",
            db.url,
            "admin",
            "import-targets",
            str(YEN_THE),
            "--province",
            "Bắc Ninh",
        ]
    )
    out = capsys.readouterr()
    assert rc == 1  # bad rows reported
    assert "21 row(s) read, 0 record(s) written, 21 bad row(s) skipped" in out.out
    assert "row 3: ambiguous former commune 'Đồng Tiến'" in out.err
