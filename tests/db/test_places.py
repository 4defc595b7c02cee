import pytest
from sqlalchemy import func, select, update

from db.models import Commune, Province
from db.places import SOURCE_VERSION, find_communes, find_province, load_places, resolve_commune
from db.text import normalise


def test_normalise() -> None:
    assert normalise("Phường Ái Quốc") == "phuong ai quoc"
    assert normalise("  ĐẶC KHU  Côn Đảo ") == "dac khu con dao"
    assert normalise("Xã Đồng-Tâm,") == "xa dong tam"


def test_places_loaded_with_version_and_slugs(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        assert s.scalar(select(func.count()).select_from(Province)) == 34
        assert s.scalar(select(func.count()).select_from(Commune)) == 3321
        hp = find_province(s, "Hải Phòng")
        assert hp is not None and hp.slug == "hai_phong"
        assert {v for (v,) in s.execute(select(Commune.source_version).distinct())} == {
            SOURCE_VERSION
        }
        assert "2025.10.1" in SOURCE_VERSION


def test_load_places_is_idempotent_and_keeps_local_settings(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        r = load_places(s)
        assert (r.provinces_added, r.communes_added, r.communes_updated) == (0, 0, 0)
        c = resolve_commune(s, "Phường Ái Quốc, Hải Phòng")[0]
        assert c is not None
        s.execute(update(Commune).where(Commune.id == c.id).values(name="X", bonus_per_card_vnd=1))
    with db.tx() as s:
        r = load_places(s)
        assert r.communes_updated == 1 and r.communes_added == 0
        fixed = s.get(Commune, c.id)
        assert fixed.name == "Phường Ái Quốc" and fixed.bonus_per_card_vnd == 1
        assert s.scalar(select(func.count()).select_from(Commune)) == 3321


@pytest.mark.parametrize(
    "query,expected",
    [
        ("Phường Ái Quốc, Hải Phòng", ["Phường Ái Quốc, Thành phố Hải Phòng"]),
        ("phuong ai quoc, hai phong", ["Phường Ái Quốc, Thành phố Hải Phòng"]),
        ("ai quoc hai phong", ["Phường Ái Quốc, Thành phố Hải Phòng"]),
        ("Ái Quốc, TP Hải Phòng", ["Phường Ái Quốc, Thành phố Hải Phòng"]),
        ("AI QUOC, thành phố hải phòng", ["Phường Ái Quốc, Thành phố Hải Phòng"]),
        ("xã Ái Quốc", ["Xã Ái Quốc, Hưng Yên"]),  # the typed prefix picks the xã
        ("An Lão", ["Xã An Lão, Gia Lai", "Xã An Lão, Thành phố Hải Phòng"]),  # ambiguous
        ("an lao, hai phong", ["Xã An Lão, Thành phố Hải Phòng"]),
        ("Phường Sài Gòn", ["Phường Sài Gòn, Thành phố Hồ Chí Minh"]),
        ("dac khu con dao", ["Đặc khu Côn Đảo, Thành phố Hồ Chí Minh"]),
    ],
)
def test_find_communes(db, query: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        got = [c.label for c in find_communes(s, query)]
    assert got == expected


def test_find_communes_ranks_exact_before_prefix_and_contains(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        cands = find_communes(s, "an lao", limit=50)
        assert all(c.match == "exact" for c in cands)  # exact hits hide weaker ones
        partial = find_communes(s, "ai quo", limit=50)
        assert partial and all(c.match == "prefix" for c in partial[:2])
        scores = [c.score for c in find_communes(s, "quoc", limit=50)]
        assert scores == sorted(scores, reverse=True)


def test_province_hint_narrows(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        got = find_communes(s, "An Lão", province_hint="gia lai")
        assert [c.province_slug for c in got] == ["gia_lai"]
        assert find_communes(s, "khong co xa nay") == []


@pytest.mark.parametrize(
    "text,slug",
    [
        ("Hải Phòng", "hai_phong"),
        ("tp hcm", "ho_chi_minh"),
        ("TỈNH BẮC NINH", "bac_ninh"),
        ("thanh pho ha noi", "ha_noi"),
        ("Đắk Lắk", "dak_lak"),
        ("khong co", None),
    ],
)
def test_find_province(db, text: str, slug: str | None) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        p = find_province(s, text)
        assert (p.slug if p else None) == slug


def test_resolve_commune_reasons(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        c, reason = resolve_commune(s, "An Lão")
        assert c is None and "ambiguous" in reason and "Gia Lai" in reason
        c, reason = resolve_commune(s, "Ái Quố, Hải Phòng")
        assert c is None and "did you mean" in reason


def test_typed_diacritics_break_accent_only_ties(db) -> None:  # type: ignore[no-untyped-def]
    with db.tx() as s:
        plain = {c.name.split(" ", 1)[1] for c in find_communes(s, "thanh xuan", limit=50)}
        assert {"Thanh Xuân", "Thạnh Xuân"} <= plain
        accented = find_communes(s, "Thạnh Xuân", limit=50)
        assert accented and {c.name.split(" ", 1)[1] for c in accented} == {"Thạnh Xuân"}
        # A wrong accent still finds the place rather than nothing.
        assert [c.name for c in find_communes(s, "Bó Hạ")] == ["Xã Bố Hạ"]
