"""Generate the combinatorial part of the NLU data (places x sizes x periods x phones).

Hand-written examples live in the other nlu/data/*.yml files; this adds entity-dense
messages so every entity has enough annotated occurrences. Deterministic (seeded).
Run in the app venv:  .venv/bin/python nlu/data/tools/generate_examples.py
Writes nlu/data/generated.yml.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

from vietnam_provinces import Province, Ward

OUT = Path(__file__).resolve().parent.parent / "generated.yml"
rng = random.Random(20260701)

Seg = str | tuple[str, str, str | None]


def strip(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    nfd = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in nfd if not unicodedata.combining(c)))


WARDS = list(Ward.iter_all())
PROVINCES = [re.sub(r"^(Thành phố|Tỉnh) ", "", p.name) for p in Province.iter_all()]


def place() -> str:
    r = rng.random()
    if r < 0.3:
        return rng.choice(PROVINCES)
    name = rng.choice(WARDS).name
    if r < 0.65:
        return name[0].lower() + name[1:] if rng.random() < 0.5 else name
    return re.sub(r"^(Phường|Xã|Đặc khu) ", "", name)


def phone() -> str:
    head = rng.choice(["09", "03", "08", "07", "05"]) + str(rng.randint(0, 9))
    rest = "".join(str(rng.randint(0, 9)) for _ in range(7))
    digits = head + rest
    fmt = rng.random()
    if fmt < 0.45:
        return digits
    if fmt < 0.65:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if fmt < 0.78:
        return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    if fmt < 0.9:
        return "+84" + digits[1:]
    return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"


MONTHS = [
    ("1 năm", "12"), ("một năm", "12"), ("12 tháng", "12"), ("cả năm", "12"), ("1 năm", "12"),
    ("6 tháng", "6"), ("nửa năm", "6"), ("sáu tháng", "6"), ("6 tháng", "6"),
    ("3 tháng", "3"), ("1 quý", "3"), ("ba tháng", "3"),
]  # fmt: skip
WORDNUM = {2: "hai", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy"}
PARENT = ["mẹ tôi", "bố tôi", "mẹ mình", "ba em", "má tui", "bố", "mẹ", "bố mẹ"]
GRAND = ["ông nội", "bà ngoại", "ông bà", "bà nội", "ông tôi"]
GROUPS = [
    ("hộ cận nghèo", "near_poor"), ("cận nghèo", "near_poor"), ("hộ nghèo", "poor"),
    ("học sinh", "student"), ("sinh viên", "student"), ("hộ nông nghiệp mức sống trung bình", "farm_avg_income"),
    ("người cao tuổi không lương hưu", "elderly_no_pension"), ("thương binh", "meritorious"),
    ("người khuyết tật", "disabled"), ("thu gom rác", "waste_collector"), ("hộ gia đình", "household"),
]  # fmt: skip


def hh_grp() -> Seg:
    text, value = rng.choice(
        [
            ("hộ cận nghèo", "near_poor"),
            ("cận nghèo", "near_poor"),
            ("hộ nông nghiệp", "farm_avg_income"),
        ]
    )
    return (text, "beneficiary_group", value)


def hh() -> Seg:
    n = rng.choice([2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8])
    if n in WORDNUM and rng.random() < 0.15 and n != 5:
        return (WORDNUM[n], "household_size", str(n))
    return (str(n), "household_size", None)


def months() -> Seg:
    text, value = rng.choice(MONTHS)
    return (text, "months", value)


def loc() -> Seg:
    return (place(), "location", None)


def ph() -> Seg:
    return (phone(), "phone", None)


def age(lo: int = 55, hi: int = 90) -> Seg:
    return (str(rng.randint(lo, hi)), "age", None)


def year(lo: int = 1935, hi: int = 2005) -> Seg:
    return (str(rng.randint(lo, hi)), "birth_year", None)


def rel(kind: str) -> Seg:
    words = {"parent": PARENT, "grandparent": GRAND}[kind]
    return (rng.choice(words), "relation", kind)


def grp() -> Seg:
    text, value = rng.choice(GROUPS)
    return (text, "beneficiary_group", value)


TEMPLATES: dict[str, list] = {
    "inform": [
        lambda: ["nhà tôi ở ", loc(), ", có ", hh(), " người"],
        lambda: ["ở ", loc(), " nhé, sđt ", ph()],
        lambda: ["tôi sinh năm ", year(), ", ở ", loc()],
        lambda: ["sn ", year(), " sdt ", ph()],
        lambda: [rel("parent"), " sinh năm ", year(1940, 1970), ", hiện ở ", loc()],
        lambda: [rel("grandparent"), " sinh năm ", year(1930, 1955)],
        lambda: ["nhà ", hh(), " người, mua ", months()],
        lambda: ["số điện thoại ", ph(), ", địa chỉ ", loc()],
        lambda: ["mình ", age(18, 60), " tuổi"],
        lambda: ["tôi sinh năm ", year(1950, 2006), " nhé"],
        lambda: [rel("parent"), " ", age(), " tuổi, ", grp()],
        lambda: ["liên lạc qua ", ph(), " nhé"],
        lambda: ["em ở ", loc(), ", ", hh(), " người, đóng ", months()],
        lambda: ["năm sinh ", year(), ", sđt ", ph()],
        lambda: [ph()],
        lambda: ["sinh ", year(), ", nhà ", hh(), " người"],
    ],
    "ask_cost": [
        lambda: ["nhà ", hh(), " người ở ", loc(), " mua ", months(), " hết bao nhiêu"],
        lambda: ["ở ", loc(), " đóng bhyt ", months(), " bao nhiêu tiền"],
        lambda: [hh(), " người mua ", months(), " thì hết bn"],
        lambda: ["tôi sinh năm ", year(), " mua bhyt ", months(), " bao nhiêu"],
        lambda: [rel("parent"), " sinh năm ", year(1940, 1970), " thì đóng bao nhiêu"],
        lambda: ["nhà em ", hh_grp(), " ", hh(), " người đóng bao nhiêu"],
        lambda: ["gia đình ", hh(), " người mua ", months(), " tổng cộng bao nhiêu tiền vậy"],
        lambda: ["bhyt ", months(), " ở ", loc(), " giá bao nhiêu"],
    ],
    "ask_eligibility": [
        lambda: [rel("parent"), " sinh năm ", year(1940, 1966), " có được hỗ trợ bhyt không"],
        lambda: [
            rel("grandparent"),
            " sinh năm ",
            year(1930, 1950),
            " ở ",
            loc(),
            " có được cấp thẻ miễn phí không",
        ],
        lambda: [
            "tôi sinh năm ",
            year(1950, 1966),
            " ở ",
            loc(),
            " có thuộc diện được hỗ trợ không",
        ],
        lambda: [rel("parent"), " ", age(60, 85), " tuổi ở ", loc(), " có được miễn phí không"],
        lambda: [grp(), " ở ", loc(), " có được hỗ trợ không"],
    ],
    "request_contact": [
        lambda: ["tôi muốn mua bhyt, số ", ph(), ", ở ", loc()],
        lambda: ["nhờ cán bộ ", loc(), " gọi giúp số ", ph()],
        lambda: ["đăng ký mua ", months(), " cho ", hh(), " người, liên hệ ", ph()],
        lambda: ["muốn mua cho ", rel("parent"), ", gọi mình qua ", ph(), " nhé"],
        lambda: ["mình ở ", loc(), " muốn đăng ký, sđt ", ph()],
    ],
}
COUNTS = {"inform": 110, "ask_cost": 70, "ask_eligibility": 50, "request_contact": 55}


ISLAND_ZONE = re.compile(r"^(đặc khu|dac khu) (.+)$", re.IGNORECASE)


def render(segs: list[Seg], plain: bool) -> str:
    out = []
    for s in segs:
        if isinstance(s, str):
            out.append(strip(s) if plain else s)
            continue
        text, entity, value = s
        if plain and entity != "phone":
            text = (
                strip(text).lower() if entity == "location" and rng.random() < 0.7 else strip(text)
            )
            if value is None and entity not in ("location",):
                value = None
        island = ISLAND_ZONE.match(text) if entity == "location" else None
        if island:  # "đặc khu X": the prefix is the island_commune group, X the location
            ann = json.dumps(
                {"entity": "beneficiary_group", "value": "island_commune"}, ensure_ascii=False
            )
            out.append(f"[{island.group(1)}]{ann} [{island.group(2)}]({entity})")
            continue
        if value is not None and value != text:
            ann = json.dumps({"entity": entity, "value": value}, ensure_ascii=False)
            out.append(f"[{text}]{ann}")
        else:
            out.append(f"[{text}]({entity})")
    return "".join(out)


def main() -> None:
    lines = ['version: "3.1"', "nlu:"]
    for intent, n in COUNTS.items():
        seen: set[str] = set()
        lines += [f"- intent: {intent}", "  examples: |"]
        while len(seen) < n:
            segs = rng.choice(TEMPLATES[intent])()
            ex = render(segs, plain=rng.random() < 0.5)
            if ex not in seen:
                seen.add(ex)
                lines.append(f"    - {ex}")
        lines.append("")
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"{sum(COUNTS.values())} examples -> {OUT}")


if __name__ == "__main__":
    main()
