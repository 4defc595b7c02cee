"""Pre-2025 commune names (with their old district and province) -> today's commune(s).

Data: the JSON files shipped in the `vietnamadminunits` wheel (1.0.4, MIT licence, (c) 2025
Tran Ngoc Minh Hieu), read directly -- the library itself is never imported (it pulls in
shapely/geopy and parses at import time):

* `data/converter_2025.json`: DICT_PROVINCE_WARD_NO_DIVIDED (new province -> new commune key ->
  old 'province_district_commune' keys that went whole into it) and DICT_PROVINCE_WARD_DIVIDED
  (old key -> the new communes it was split between, one flagged as the default);
* `data/parser_legacy.json`: the old names and spellings of each old key
  (DICT_PROVINCE / DICT_PROVINCE_DISTRICT / DICT_PROVINCE_DISTRICT_WARD_*; its ward keywords
  also carry names merged away before 2025, e.g. 'thitrancaugo' for Thị trấn Phồn Xương).

New commune keys are matched to `vietnam-provinces` communes by folded name within the
province (`build()` reports how many matched). Built once per process (~0.3 s), cached.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from typing import Any

import vietnam_provinces as vp

from db.text import normalise, strip_commune_prefix, tokens

PACKAGE, VERSION = "vietnamadminunits", "1.0.4"
SOURCE = f"{PACKAGE} {VERSION} (MIT), converter_2025"

# Old commune types as the keywords spell them (compact, accent-free).
_TYPE_PREFIXES = (("thitran", "thitran"), ("phuong", "phuong"), ("xa", "xa"), ("tt", "thitran"))


@dataclass(frozen=True)
class OldUnit:
    name: str  # "Xã Đồng Vương" (legacy official name)
    district: str  # "Huyện Yên Thế"
    province: str  # "Tỉnh Bắc Giang"
    district_keys: frozenset[str]  # {"huyenyenthe", "yenthe"}
    province_keys: frozenset[str]  # {"tinhbacgiang", "bacgiang"}
    accented: str  # "đồngvương": the official name without its type, as written
    new_province_id: int
    targets: tuple[int, ...]  # today's commune ids; for a split the default comes first
    split: bool

    @property
    def label(self) -> str:
        return f"{self.name}, {self.district}, {self.province}"


@dataclass(frozen=True)
class OldName:
    unit: OldUnit
    kind: str | None  # type the keyword was written with: 'xa' / 'phuong' / 'thitran' / None


@dataclass
class History:
    by_name: dict[str, list[OldName]]  # bare compact old name ('dongvuong') -> units
    district_keys: frozenset[str]
    units: int  # old keys mapped to at least one of today's communes
    keys_total: int  # old keys in converter_2025 (whole + split)
    unmatched_new: list[str]  # converter new-commune keys not found in vietnam-provinces
    new_keys_total: int


def _data(name: str) -> dict[str, Any]:
    text = resources.files(PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _compact(name: str) -> str:
    return normalise(name).replace(" ", "")


def _strip_type(kw: str, keywords: set[str]) -> tuple[str, str | None]:
    """'thitrancaugo' -> ('caugo', 'thitran') when the bare form is a keyword too."""
    for prefix, kind in _TYPE_PREFIXES:
        if kw.startswith(prefix) and kw[len(prefix) :] in keywords:
            return kw[len(prefix) :], kind
    return kw, None


def _accented(name: str) -> str:
    """'Xã Cẩm Giàng' -> 'xãcẩmgiàng' (the converter's key for names equal without accents)."""
    return "".join(t for _, t in tokens(name))


def _accented_bare(name: str) -> str:
    words = tokens(name)
    bare = strip_commune_prefix(" ".join(f for f, _ in words))[0]
    n = len(bare.split())
    return "".join(t for _, t in words[-n:]) if n else ""


def _new_communes() -> tuple[dict[str, int], dict[tuple[int, str], int]]:
    """Province key (compact, no 'tinh'/'thanhpho') -> id; (province id, compact name) -> id
    (also under the accented compact name)."""
    provinces = {}
    for p in vp.Province.iter_all():
        c = _compact(p.name)
        for prefix in ("thanhpho", "tinh"):
            c = c.removeprefix(prefix)
        provinces[c] = int(p.code)
    communes: dict[tuple[int, str], int] = {}
    for w in vp.Ward.iter_all():
        communes[(int(w.province_code), _compact(w.name))] = int(w.code)
        communes[(int(w.province_code), _accented(w.name))] = int(w.code)
    return provinces, communes


def build() -> History:
    conv = _data("converter_2025.json")
    legacy = _data("parser_legacy.json")
    provinces, communes = _new_communes()

    def new_province(key: str) -> int | None:
        for prefix in ("thanhpho", "tinh"):
            key = key.removeprefix(prefix)
        return provinces.get(key)

    # old key -> (new province id, [today's ids], split)
    targets: dict[str, tuple[int, list[int], bool]] = {}
    unmatched: list[str] = []
    new_total = 0
    for pkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        pid = new_province(pkey)
        for wkey, olds in wards.items():
            new_total += 1
            cid = communes.get((pid, wkey)) if pid is not None else None
            if cid is None:
                unmatched.append(f"{pkey}/{wkey}")
                continue
            for old in olds:
                targets[old] = (pid, [cid], False)  # type: ignore[assignment]
    split_total = 0
    for pkey, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        pid = new_province(pkey)
        for old, news in olds.items():
            split_total += 1
            ids = [
                communes[(pid, n["newWardKey"])]
                for n in sorted(news, key=lambda n: not n["isDefaultNewWard"])
                if pid is not None and (pid, n["newWardKey"]) in communes
            ]
            if ids:
                targets[old] = (pid, ids, len(ids) > 1)  # type: ignore[assignment]
    keys_total = sum(
        len(o) for w in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].values() for o in w.values()
    )

    by_name: dict[str, list[OldName]] = defaultdict(list)
    district_keys: set[str] = set()
    units = 0
    old_provinces = legacy["DICT_PROVINCE"]
    old_districts = legacy["DICT_PROVINCE_DISTRICT"]
    ward_dicts = [
        legacy["DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED"],
        legacy["DICT_PROVINCE_DISTRICT_WARD_ACCENTED"],
    ]
    for old_key, (pid, ids, split) in targets.items():
        prov_key, dist_key, ward_key = old_key.split("_", 2)
        ward = next(
            (
                d[prov_key][dist_key][ward_key]
                for d in ward_dicts
                if ward_key in d.get(prov_key, {}).get(dist_key, {})
            ),
            None,
        )
        if ward is None:  # e.g. 'thanhphodanang_huyenhoangsa_' (a district without communes)
            continue
        prov = old_provinces[prov_key]
        dist = old_districts[prov_key][dist_key]
        unit = OldUnit(
            ward["ward"],
            dist["district"],
            prov["province"],
            frozenset(_compact(k) for k in dist["districtKeywords"]),
            frozenset(_compact(k) for k in prov["provinceKeywords"]),
            _accented_bare(ward["ward"]),
            pid,
            tuple(ids),
            split,
        )
        units += 1
        district_keys |= unit.district_keys
        keywords = {_compact(k) for k in ward["wardKeywords"]}
        names: dict[str, str | None] = {}
        for kw in keywords | {_compact(ward["ward"])}:
            bare, kind = _strip_type(kw, keywords | {_compact(ward["wardShort"])})
            if bare and (bare not in names or names[bare] is None):
                names[bare] = kind
        for bare, kind in names.items():
            by_name[bare].append(OldName(unit, kind))
    return History(
        dict(by_name),
        frozenset(district_keys),
        units,
        keys_total + split_total,
        unmatched,
        new_total,
    )


_CACHE: list[History] = []
_LOCK = threading.Lock()


def get_history() -> History:
    if not _CACHE:
        with _LOCK:
            if not _CACHE:
                _CACHE.append(build())
    return _CACHE[0]
