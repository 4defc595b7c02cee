"""Pure-Python Vietnamese text helpers shared by the Rasa components and the app client.

No rasa import here: this module runs in both venvs (.venv-nlu 3.10 and .venv 3.11).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path


def source_fingerprint() -> str:
    """Hash of this module: components add it to Rasa's cache key, because Rasa only
    fingerprints the component class source, not helpers it imports."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


# --- diacritics / normalisation ------------------------------------------------------------

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def strip_accents(text: str) -> str:
    """`Bảo hiểm Đà Nẵng` -> `Bao hiem Da Nang` (đ is a letter, not a combining mark)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def has_diacritics(text: str) -> bool:
    return strip_accents(nfc(text)) != nfc(text)


def fold(text: str) -> str:
    """Comparison key: NFC, lower-case, no accents, single spaces."""
    return " ".join(strip_accents(nfc(text)).lower().split())


# Token-level teencode / abbreviation expansions, keyed by the accent-free lower-case token.
# Values are accent-free too: they feed the diacritics-free feature view.
TEENCODE: dict[str, str] = {
    # negation
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "khg": "khong",
    "kg": "khong",
    "hok": "khong",
    "hong": "khong",
    "hem": "khong",
    "khum": "khong",
    "hk": "khong",
    "0k": "khong",
    # common words
    "dc": "duoc",
    "dk": "dang ky",
    "dky": "dang ky",
    "bn": "bao nhieu",
    "bnhiu": "bao nhieu",
    "bnh": "bao nhieu",
    "nhiu": "nhieu",
    "ntn": "nhu the nao",
    "mk": "minh",
    "mik": "minh",
    "mh": "minh",
    "vs": "voi",
    "j": "gi",
    "r": "roi",
    "ms": "moi",
    "z": "vay",
    "e": "em",
    "ng": "nguoi",
    "trc": "truoc",
    "sdt": "so dien thoai",
    "dt": "dien thoai",
    "cccd": "can cuoc cong dan",
    "cmnd": "chung minh nhan dan",
    "bv": "benh vien",
    "cty": "cong ty",
    "tks": "cam on",
    "thks": "cam on",
    "thanks": "cam on",
    "thank": "cam on",
    "thx": "cam on",
    "camon": "cam on",
    "hello": "xin chao",
    "helo": "xin chao",
    "hi": "xin chao",
    "bye": "tam biet",
    "oke": "ok",
    "okie": "ok",
    "oki": "ok",
    "okay": "ok",
    "uk": "u",
    "uh": "u",
    "uhm": "u",
    "um": "u",
    "ak": "a",
    "ah": "a",
    # domain abbreviations
    "bhyt": "bao hiem y te",
    "bh": "bao hiem",
    "bhxh": "bao hiem xa hoi",
    "hgd": "ho gia dinh",
    "sv": "sinh vien",
    "hs": "hoc sinh",
    "hcn": "ho can ngheo",
    "ccb": "cuu chien binh",
    "ubnd": "uy ban nhan dan",
    "tp": "thanh pho",
}


def normalize_token(token: str) -> str:
    """Accent-free, lower-case, teencode-expanded view of one token (may contain spaces)."""
    folded = strip_accents(nfc(token)).lower()
    core = folded.strip(".,!?;:…\"'()")
    if not core:
        return folded
    return TEENCODE.get(core, core)


def normalize_text(text: str) -> str:
    return " ".join(normalize_token(t) for t in text.split())


# --- numbers -------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}


def parse_int(text: str) -> int | None:
    """`65`, `65 tuổi`, `bốn`, `bon`, `mười hai`, `hai mươi lăm` -> int; None if not a number."""
    folded = fold(text)
    digits = re.search(r"\d+", folded)
    if digits:
        return int(digits.group())
    words = [w for w in re.split(r"[\s\-]+", folded) if w]
    words = [{"lam": "nam", "chuc": "muoi"}.get(w, w) for w in words]  # "hai lăm" = 25
    if not words or any(w not in _NUMBER_WORDS and w not in ("linh", "le") for w in words):
        return None
    values = [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
    if len(values) == 1:
        return values[0]
    if len(values) == 2 and values[0] == 10:  # muoi hai = 12
        return 10 + values[1]
    if len(values) >= 2 and values[1] == 10:  # hai muoi (lam) = 25
        return values[0] * 10 + (values[2] if len(values) > 2 else 0)
    return None


def normalize_birth_year(text: str) -> int | None:
    value = parse_int(text)
    if value is None:
        return None
    if value < 100:  # "sinh năm 58" -> 1958; "sinh năm 05" -> 2005
        value += 2000 if value <= 30 else 1900
    return value if 1900 <= value <= 2030 else None


def normalize_age(text: str) -> int | None:
    value = parse_int(text)
    return value if value is not None and 0 <= value <= 120 else None


def normalize_household_size(text: str) -> int | None:
    value = parse_int(text)
    return value if value is not None and 1 <= value <= 30 else None


_HALF_YEAR = re.compile(r"\bnua nam\b|\b6 thang\b|\bsau thang\b|\b6t\b|\bnua\b")
_QUARTER = re.compile(r"\bquy\b|\b3 thang\b|\bba thang\b|\b3t\b")
_YEAR = re.compile(r"\b(1|mot)?\s*nam\b|\b12 thang\b|\bmuoi hai thang\b|\b12t\b|\bca nam\b")


def normalize_months(text: str) -> int | None:
    """Payment period -> 3, 6 or 12 ("1 năm" -> 12, "nửa năm" -> 6, "quý" -> 3)."""
    folded = fold(text)
    if _HALF_YEAR.search(folded):
        return 6
    if _QUARTER.search(folded):
        return 3
    if _YEAR.search(folded):
        return 12
    # a bare number is a period only as digits (a synonym-mapped value like "12");
    # a bare word number ("ba" = three / father) is not
    if folded in ("3", "6", "12"):
        return int(folded)
    return None


def normalize_phone(text: str) -> str | None:
    """`+84 912 345 678`, `84912345678`, `0912.345.678` -> `0912345678`; None if not a VN mobile."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    elif len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    if len(digits) == 10 and digits.startswith("0") and digits[1] in "35789":
        return digits
    return None


# --- beneficiary groups and relations ------------------------------------------------------

BENEFICIARY_GROUPS = (
    "poor",
    "near_poor",
    "student",
    "farm_avg_income",
    "elderly_no_pension",
    "social_pension",
    "child_under_6",
    "ethnic_minority_hardship",
    "meritorious",
    "disabled",
    "hiv",
    "blind_association",
    "waste_collector",
    "party_member_40y",
    "employee",
    "pensioner",
    "household",
    # added 2026-12-01 (policy-reference.md section 8)
    "disabled_severe",
    "island_commune",
    "hardship_area",
    "armed_forces_relative",
)

# Ordered (pattern over folded text, id): the first match wins, so specific before generic
# ("can ngheo" before "ngheo", "khuyet tat nang" before "khuyet tat", relatives of soldiers
# before soldiers, "dan toc" before the places that are hardship_area regardless of ethnicity).
_GROUP_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), gid)
    for p, gid in [
        (r"can ngheo|\bhcn\b|\bho cn\b|\bcn\b", "near_poor"),
        (r"ngheo", "poor"),
        (
            r"hoc sinh|sinh vien|\bhs\b|\bsv\b|hssv|\bhoc vien\b|\b(di|dang) hoc\b"
            r"|\bhoc (lop|cap|dai hoc|cao dang|trung cap|nghe)\b|\blop \d{1,2}\b|dai hoc|cao dang",
            "student",
        ),
        (r"nong|lam nghiep|ngu nghiep|diem nghiep|muc song trung binh", "farm_avg_income"),
        (r"tro cap xa hoi|bao tro xa hoi|\btcxh\b|\bbtxh\b", "social_pension"),
        (
            r"(khuyet tat|tan tat|\bnkt\b|\bkt\b|bai liet)( \w+){0,2}? (dac biet )?nang\b"
            r"|dac biet nang|liet giuong|\bmuc (do )?nang\b|^nang\b",
            "disabled_severe",
        ),
        (r"\bmu\b|khiem thi", "blind_association"),
        (r"khuyet tat|tan tat|\bnkt\b", "disabled"),
        (r"hiv|aids", "hiv"),
        (r"\brac\b|ve sinh moi truong", "waste_collector"),
        (r"dang vien|huy hieu|40 nam tuoi dang", "party_member_40y"),
        (
            r"than nhan (cua )?(quan doi|quan nhan|cong an|si quan|bo doi|chien si|linh)\b"
            r"|\b(vo|chong|con|bo|me|cha|ba|ma|gia dinh|hau phuong)( cua)?"
            r" (bo doi|cong an|si quan|quan nhan|quan doi|chien si|linh)\b",
            "armed_forces_relative",
        ),
        (
            r"nguoi co cong|co cong|cuu chien binh|\bccb\b|thuong binh|liet si|chat doc"
            r"|xuat ngu|phuc vien",
            "meritorious",
        ),
        # a soldier or police officer is insured through the unit, like an employee
        (
            r"bo doi|quan nhan|si quan|cong an|quan doi|nghia vu|\bnvqs\b|\bdi linh\b|chien si",
            "employee",
        ),
        (r"dan toc|thieu so|\bdtts\b", "ethnic_minority_hardship"),
        (
            r"xa dao|huyen dao|dac khu|tren dao|ngoai dao|hai dao|^(o )?dao$"
            r"|\bco to\b|bach long vi|ly son|phu quoc|con dao|truong sa|phu quy|kien hai",
            "island_commune",
        ),
        (
            r"dac biet kho khan|\bdbkk\b|vung kho khan|khu vuc (iii|3)\b|vung sau|vung xa"
            r"|vung cao|\bxa 135\b",
            "hardship_area",
        ),
        (
            r"tre em|tre duoi|duoi 6|duoi sau|so sinh|moi sinh|\bbe\b|tre nho",
            "child_under_6",
        ),
        (
            r"khong (co )?luong huu|ko (co )?luong huu|cao tuoi|nguoi gia|tren 75|tren 80",
            "elderly_no_pension",
        ),
        (r"luong huu|\bnghi huu\b|\bve huu\b", "pensioner"),
        (r"hop dong|nguoi lao dong|cong nhan|co quan|cong ty|\bnld\b", "employee"),
        (r"ho gia dinh|\bhgd\b|gia dinh|theo ho|tu nguyen", "household"),
    ]
]


def normalize_group(text: str) -> str | None:
    """Any spelling of a policy group (canonical id, Vietnamese with/without accents, abbreviation)."""
    folded = fold(text)
    if folded.replace(" ", "_") in BENEFICIARY_GROUPS:
        return folded.replace(" ", "_")
    for pattern, gid in _GROUP_PATTERNS:
        if pattern.search(folded):
            return gid
    return None


RELATIONS = ("self", "parent", "child", "spouse", "grandparent", "household")

_RELATION_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), rid)
    for p, rid in [
        (r"vo chong|\bvo\b|\bchong\b|\bba xa\b|\bong xa\b", "spouse"),
        (r"\b(ong|ba) (noi|ngoai)\b|\bong\b|\bcu\b", "grandparent"),
        (r"ca nha|ca ho|gia dinh|\bnha\b|ca gia dinh|moi nguoi", "household"),
        (
            r"\bbo\b|\bme\b|\bcha\b|\bma\b|\bmá\b|\bba\b|\btia\b|\bbo me\b|\bcha me\b|phu huynh",
            "parent",
        ),
        (r"\bcon\b|\bchau\b|\bbe\b|\bcon trai\b|\bcon gai\b", "child"),
        (r"\btoi\b|\bminh\b|\bem\b|\bban than\b|\btao\b|\bself\b", "self"),
    ]
]


def normalize_relation(text: str) -> str | None:
    folded = fold(text)
    if folded in RELATIONS:
        return folded
    # "bà" (grandmother) and "ba" (father, southern) fold to the same letters
    if re.fullmatch(r"bà(\s+\S+)?", nfc(text).lower().strip()) and folded not in ("ba xa",):
        return "grandparent"
    for pattern, rid in _RELATION_PATTERNS:
        if pattern.search(folded):
            return rid
    return None


def normalize_location(text: str) -> str | None:
    cleaned = " ".join(nfc(text).strip(" ,.;:!?").split())
    return cleaned or None


INTEGER_ENTITIES = ("age", "birth_year", "household_size", "months")

NORMALIZERS = {
    "age": normalize_age,
    "birth_year": normalize_birth_year,
    "household_size": normalize_household_size,
    "months": normalize_months,
    "phone": normalize_phone,
    "beneficiary_group": normalize_group,
    "relation": normalize_relation,
    "location": normalize_location,
}


def normalize_entity_value(entity: str, value: object, text: str | None = None) -> object | None:
    """Contract value for one extracted entity.

    Tries the extractor's value first (it may already be a synonym-mapped canonical id),
    then the literal text span. Returns None when neither makes sense for the entity type.
    """
    func = NORMALIZERS.get(entity)
    if func is None:
        return value
    # location is "the text as typed": a synonym mapper must not rewrite it
    candidates = (text, value) if entity == "location" else (value, text)
    for candidate in candidates:
        if candidate is None:
            continue
        result = func(str(candidate))
        if result is not None:
            return result
    return None


# --- regex fallback extraction -------------------------------------------------------------

_NUM = r"(\d{1,3}|mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi)"
PHONE_RE = re.compile(r"(?<![\d+])(?:\+?84|0)(?:[\s.\-]?\d){9}(?!\d)")
AGE_RE = re.compile(r"(?<![\d/])(\d{1,3})\s*(?:tuoi|t\b)")
HOUSEHOLD_RE = re.compile(
    r"\b(?:nha|ho|gia dinh|ca nha)\b(?:\s+\w+){0,2}?\s+(?:co\s+)?"
    + _NUM
    + r"\s+(?:nguoi|thanh vien|khau)\b"
)


def regex_entities(text: str) -> list[dict[str, object]]:
    """Phone, age and household size found by patterns, with spans into `text`.

    No period: "3 tháng" is as often a lapse ("hết hạn 3 tháng") as a payment period, and
    the statistical extractor already handles periods well.

    Matching runs on an accent-free, lower-cased copy with the same length as the (NFC) input,
    so offsets are valid in the original message.
    """
    base = nfc(text)
    if len(base) != len(text):  # decomposed input: spans would shift, stay safe
        return []
    folded = strip_accents(base).lower()
    if len(folded) != len(base):
        return []
    found: list[dict[str, object]] = []
    for m in PHONE_RE.finditer(folded):
        value = normalize_phone(m.group())
        if value:
            found.append({"entity": "phone", "start": m.start(), "end": m.end(), "value": value})
    for m in AGE_RE.finditer(folded):
        age = normalize_age(m.group(1))
        if age is not None:
            found.append({"entity": "age", "start": m.start(1), "end": m.end(1), "value": age})
    for m in HOUSEHOLD_RE.finditer(folded):
        size = normalize_household_size(m.group(1))
        if size is not None:
            found.append(
                {"entity": "household_size", "start": m.start(1), "end": m.end(1), "value": size}
            )
    for item in found:
        item["text"] = text[int(item["start"]) : int(item["end"])]  # type: ignore[call-overload]
    return found
