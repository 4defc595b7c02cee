"""Read the people one Vietnamese message describes, as people type it on a phone.

`read_household("nhà 6 người: ông bà 68 tuổi, bố mẹ và 2 cháu đi học")` gives the stated total
(6), one phrase per group of people with the same facts (2 grandparents aged 68, 2 parents,
2 grandchildren in school), the household statuses (hộ nghèo / cận nghèo ...) and the payment
period. Rule-based and pure: stdlib plus `vi_text`, so it runs in the app venv and in Rasa's
(Python 3.10) alike.

How it reads: tokens are folded (no accents, teencode expanded) while the typed form is kept,
because some words only differ by accents (bà grandmother / ba father or three, còn still / con
child, bộ đội / bố). Regexes over the folded tokens mark the facts (kinship phrases, ages,
statuses, totals, periods), each token belonging to at most one mark; a left-to-right pass then
attaches ages and statuses to the phrase they follow.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from nlu.components.vi_text import TEENCODE, nfc, parse_int, strip_accents

MAX_CHARS = 2000  # longer messages are cut: bounded time on pasted junk
MAX_MEMBERS = 20
MAX_COUNT = 12  # "2 cháu" is a count; "ông 70 bà 66" has ages, not 70 grandmothers
MAX_TOTAL = 99
ELDERLY_FROM = 60

KINS = ("self", "spouse", "parent", "grandparent", "child", "grandchild", "sibling", "other")
# Statuses of the whole household (or of where it lives): they apply to every member.
HOUSEHOLD_GROUPS = frozenset(
    {
        "poor",
        "near_poor",
        "farm_avg_income",
        "ethnic_minority_hardship",
        "hardship_area",
        "island_commune",
    }
)


# --- public types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonGroup:
    """One phrase of the message: `count` people with the same facts."""

    count: int
    age: int | None
    age_months: int | None
    kin: str | None
    groups: tuple[str, ...]
    in_school: bool | None
    words: str


@dataclass(frozen=True)
class Member:
    age: int | None
    groups: tuple[str, ...]
    kin: str | None
    in_school: bool | None


@dataclass(frozen=True)
class HouseholdReading:
    people: tuple[PersonGroup, ...] = ()
    stated_total: int | None = None
    household_groups: tuple[str, ...] = ()
    correction: bool = False
    months: int | None = None

    @property
    def described_count(self) -> int:
        return sum(p.count for p in self.people)

    @property
    def described(self) -> bool:
        """Whether the message says anything about the household (people, size or status)."""
        return bool(self.people or self.stated_total is not None or self.household_groups)

    @property
    def conflict(self) -> bool:
        """More people described than the stated total: the described people are trusted."""
        return self.stated_total is not None and self.described_count > self.stated_total

    @property
    def members(self) -> tuple[Member, ...]:
        """One entry per person; a stated total larger than the people described adds unknowns."""
        out = [
            Member(p.age, p.groups, p.kin, p.in_school) for p in self.people for _ in range(p.count)
        ]
        if self.stated_total is not None and self.stated_total > len(out):
            out += [Member(None, (), None, None)] * (self.stated_total - len(out))
        return tuple(out[:MAX_MEMBERS])


# --- tokens ------------------------------------------------------------------------------------


@dataclass
class _Tok:
    norm: str  # accent-free, lower-case, abbreviations expanded
    raw: str  # lower-case as typed
    start: int  # span in the (cut, NFC) message
    end: int
    fixed: bool = False  # rewritten after disambiguation: trust `norm`


_TOKEN_RE = re.compile(r"[0-9]+|[^\W\d_]+|[.,;:!?()\n/<>+\-]")
_PUNCT = {";": ".", "!": ".", "?": ".", "\n": ".", ":": ",", "(": ",", ")": ","}

# Abbreviations vi_text.TEENCODE does not know, keyed like it (accent-free, lower-case).
_ABBREV = {
    "vc": "vo chong",
    "vk": "vo",
    "ck": "chong",
    "ox": "chong",
    "bx": "vo",
    "bme": "bo me",
    "sn": "sinh nam",
    "hdld": "hop dong lao dong",
    "tcxh": "tro cap xa hoi",
    "xh": "xa hoi",
    "trcxh": "tro cap xa hoi",
    "mstb": "muc song trung binh",
    "kcn": "khu cong nghiep",
    "btxh": "bao tro xa hoi",
    "nkt": "nguoi khuyet tat",
    "dtts": "dan toc thieu so",
    "dbkk": "dac biet kho khan",
    "hssv": "hoc sinh sinh vien",
    "lhuu": "luong huu",
    "thg": "thang",
    "tv": "thanh vien",
    "gd": "gia dinh",
}


def _is_int(word: str) -> bool:
    return word.isascii() and word.isdigit()  # "²" and "٣" are digits to str.isdigit


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group()
        prev = out[-1].norm if out else ""
        for norm in _in_context(word, prev, text[m.end() : m.end() + 12]) or _expand(word):
            out.append(_Tok(norm, word.lower(), m.start(), m.end()))
    return out


# Short forms whose meaning depends on the word before or after them ("bị kt", "tc xh", "là cn").
_SHORT_BEFORE = {
    "kt": ({"bi", "nguoi", "la"}, "khuyet tat"),
    "cn": ({"la", "lam", "nguoi"}, "cong nhan"),
}
_SHORT_AFTER = {
    "tc": (r"xh|xa hoi|tro cap|hang thang|nguoi cao tuoi", "tro cap"),
    "bt": (r"xh|xa hoi", "bao tro"),
    "kt": (r"nang|nhe|dac biet", "khuyet tat"),
    "cn": (r"cong ty|cty|nha may|khu cong nghiep|kcn|xi nghiep", "cong nhan"),
}


def _in_context(word: str, prev: str, after: str) -> list[str] | None:
    if not word.isascii() or not word.isalpha():
        return None
    low = word.lower()
    if low in _SHORT_BEFORE and prev in _SHORT_BEFORE[low][0]:
        return _SHORT_BEFORE[low][1].split()
    if low in _SHORT_AFTER:
        pattern, meaning = _SHORT_AFTER[low]
        if re.match(rf"\s+(?:{pattern})\b", strip_accents(after.lower())):
            return meaning.split()
    return None


def _expand(word: str) -> list[str]:
    if word in _PUNCT:
        return [_PUNCT[word]]
    if word == "CN":  # "hộ CN": near-poor, written in capitals
        return ["can", "ngheo"]
    if _is_int(word):
        return [word if len(word) <= 6 else "0" * 7]  # a phone number is no age or count
    raw = word.lower()
    folded = strip_accents(raw).lower()
    if raw.replace("đ", "d").isascii():  # an accented word is a real word, not teencode
        folded = _ABBREV.get(folded, TEENCODE.get(folded, folded))
    return folded.split()


# Word numbers become digits only before something counted ("năm người", "hai con", "ba tháng"):
# elsewhere "năm" is a year and "ba" a father.
_NUMBER_WORDS = {"mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi"}
_NUMBER_TAILS = {"muoi", "lam", "linh", "le", "mot", "hai", "ba", "bon", "nam", "sau", "bay"}
_NUMBER_RAW = {"một", "hai", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "mươi", "lăm"}
_NUMBER_RAW |= {"lẻ", "mốt"}
_COUNTED = set(
    "nguoi con chau dua be em anh chi ong ba vo thanh khau nhan tre tuoi thang nam quy sinh"
    " hoc suat thuong".split()
)


def _is_number_word(tok: _Tok, first: bool) -> bool:
    words = _NUMBER_WORDS if first else _NUMBER_TAILS
    return tok.norm in words and (tok.raw.isascii() or tok.raw in _NUMBER_RAW)


def _numbers_to_digits(toks: list[_Tok]) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        j = i
        while j < len(toks) and _is_number_word(toks[j], j == i):
            j += 1
        number = _read_number(toks, i, j) if j > i else None
        if number is None:
            out.append(toks[i])
            i += 1
            continue
        value, k = number
        out.append(_Tok(str(value), toks[i].raw, toks[i].start, toks[k - 1].end, fixed=True))
        i = k
    return out


def _read_number(toks: list[_Tok], i: int, j: int) -> tuple[int, int] | None:
    """(value, end) for the longest run toks[i:end] of number words followed by a counted word."""
    if toks[i].norm == "ba" and i > 0 and toks[i - 1].norm == "ong":  # "ông bà": grandparents
        return None
    for k in range(j, i, -1):
        if k < len(toks) and toks[k].norm in _COUNTED:
            value = parse_int(" ".join(t.norm for t in toks[i:k]))
            if value is not None and value > 0:
                return value, k
    return None


# --- how the writer names themselves and their kin ----------------------------------------------
#
# A writer calls themselves by the word the listener would call them: "con", "cháu", "em"/"e"
# to an elder, "tui", "tao", "mình". "nhà con có 3 người, má con 50, con 25": "con" is the writer,
# not a child. Nam bộ and Trung words name the parents ("ba e", "má", "tía", "mạ") and the elders
# ("ôn", "mệ", "O"); typed bare, "ba e 50t" is a father, not three younger siblings.

_OWNER_NORMS = {"em", "con", "chau", "toi", "minh", "tui"}
_YOUNG_NEXT = {"trai", "gai", "nho", "be", "lon", "ut", "dau", "re", "nuoi", "rieng", "chung"}
_YOUNG_NEXT |= {"sinh", "thu", "deu", "di", "dang", "hoc", "con", "chau", "cai", "cua", "nua"}
_ELDER_RAW = {"bố", "mẹ", "má", "mạ", "bà", "ông", "cha", "tía", "anh", "chị", "cô", "dì", "bác"}
_ELDER_RAW |= {"chú", "cậu", "mợ", "thím", "dượng", "mệ", "ôn"}
_ELDER_ASCII = {"bo", "me", "cha", "ong", "tia", "anh"}
_COUNT_WORDS = {"mot", "hai", "bon", "nam", "sau", "bay", "tam", "chin", "muoi", "may", "cac"}
_COUNT_WORDS |= {"nhung", "dua", "vo", "chong"}
_REGIONAL = {"mạ": "me", "mệ": "ba", "ôn": "ong", "tao": "toi", "chả": "khong", "tau": "toi"}
_REGIONAL |= {"bọ": "bo"}  # Trung "bọ": the father; "tau": I
_REGIONAL |= {"hổng": "khong", "hông": "khong", "hỏng": "khong"}


def _self_address(toks: list[_Tok]) -> list[_Tok]:
    """Rewrite the writer's self-address to "toi" and Nam bộ / Trung kin words to the common ones,
    before numbers are read ("ba e" is no three)."""
    for i, tok in enumerate(toks):
        nxt = toks[i + 1].norm if i + 1 < len(toks) else ""
        new = _REGIONAL.get(tok.raw)
        if tok.raw == "ôn" and nxt in ("thi", "bai", "tap", "lai", "luyen"):
            new = None  # "ôn thi": to revise
        if tok.raw == "hỏng" and nxt not in ("co", "duoc", "phai", "biet", "di", "con"):
            new = None  # "hỏng": broken
        if tok.raw == "o" and (nxt == "oi" or (_owner_at(toks, i + 1) and _age_at(toks, i + 2))):
            new = "kother"  # "O ơi", "o con 45": an aunt (Trung)
        if new is not None:
            tok.norm, tok.fixed = new, True
    mothers = set()
    for i, tok in enumerate(toks):  # "ma e 48t", "ma 50": the mother, typed bare
        if tok.raw == "ma" and not tok.fixed and _parent_here(toks, i):
            tok.norm, tok.fixed = "me", True
            mothers.add(toks[i + 1].norm if _owner_at(toks, i + 1) else "")
    for i, tok in enumerate(toks):  # "ba e 50t", "ba con mat roi", "tia ma": the father
        if tok.raw not in ("ba", "tia") or tok.fixed:
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.norm in ("me", "ma") and tok.raw == "tia":
            tok.norm, tok.fixed = "bo", True
        elif nxt is not None and _owner_at(toks, i + 1) and nxt.norm not in ("toi", "minh", "tui"):
            after = toks[i + 2].norm if i + 2 < len(toks) else ""
            if (nxt.raw == "e" or nxt.norm in mothers) and after not in _YOUNG_NEXT:
                tok.norm, tok.fixed = "bo", True
            elif _parent_here(toks, i):
                tok.norm, tok.fixed = "bo", True
    for word in ("con", "chau"):
        _writer_word(toks, word)
    return toks


def _owner_at(toks: list[_Tok], i: int) -> bool:
    return i < len(toks) and toks[i].norm in _OWNER_NORMS


def _age_at(toks: list[_Tok], i: int, low: int = 30) -> bool:
    """An age fit for a parent starts at toks[i] ("50", "50t", "sinh năm 1975", "1975")."""
    if i >= len(toks):
        return False
    word = toks[i].norm
    if _is_int(word):
        value = int(word)
        return low <= value <= 120 or 1900 <= value <= 2030
    return word in ("sinh", "sn") or (
        word == "nam" and i + 1 < len(toks) and toks[i + 1].norm == "nay"
    )


def _parent_here(toks: list[_Tok], i: int) -> bool:
    """Bare "ba"/"ma" at toks[i] names a parent: an age follows, straight or after an owner
    ("ma 50", "ba e 50t"), or the owner is followed by what is said of a person ("ma e mat roi")."""
    if _age_at(toks, i + 1):
        return True
    if not _owner_at(toks, i + 1):
        return False
    if _age_at(toks, i + 2):
        return True
    after = toks[i + 2].norm if i + 2 < len(toks) else "."
    return after in ("mat", "qua", "da", "khong", "sinh")


def _counted(toks: list[_Tok], i: int) -> bool:
    """toks[i] follows a number or a word that counts ("2 mẹ con", "hai bà cháu", "vợ con")."""
    if i <= 0:
        return False
    prev = toks[i - 1]
    return _is_int(prev.norm) or (prev.norm in _COUNT_WORDS and not prev.fixed)


def _elder(tok: _Tok) -> bool:
    if tok.fixed:
        return tok.norm in ("bo", "me", "ba", "ong", "kother")
    return tok.raw in _ELDER_RAW or (tok.raw.isascii() and tok.raw in _ELDER_ASCII)


def _elder_before(toks: list[_Tok], i: int, loose: bool = False) -> bool:
    """toks[i] ("con", "cháu") owns the elder named before it: "má con 50", "bố mẹ cháu". Not
    after a count ("hai mẹ con"), not with a child's age ("bố, con 5 tuổi"); bare "ba"/"ma" and
    "bà" ("bà con": folks) only before an age or, once the writer is known (`loose`), as a pair
    ("ba ma con")."""
    if i <= 0 or _counted(toks, i - 1):
        return False
    prev = toks[i - 1]
    nxt = toks[i + 1].norm if i + 1 < len(toks) else "."
    if _is_int(nxt) and not _age_at(toks, i + 1, 18):
        return False
    if not _elder(prev) and not (prev.raw in ("ba", "ma") and (prev.fixed or loose)):
        return False
    if prev.raw in ("ba", "ma", "bà") and not prev.fixed and not _age_at(toks, i + 1):
        pair = i > 1 and toks[i - 2].raw in ("ba", "ma", "má", "tia", "tía", "bo", "me", "bố")
        return loose and (pair or prev.raw == "bà")
    return True


def _writer_word(toks: list[_Tok], word: str) -> None:
    """ "con"/"cháu" is the writer when said as an owner ("nhà con", "má con 50", "cho con
    hỏi"); then each "con" that is not counted ("2 con") nor told apart ("con gái") is them."""
    raw = ("con",) if word == "con" else ("cháu", "chau")
    spots = [i for i, t in enumerate(toks) if t.raw in raw and t.norm == word and not t.fixed]
    owner = []
    for i in spots:
        prev = toks[i - 1] if i > 0 else None
        nxt = toks[i + 1].norm if i + 1 < len(toks) else "."
        if nxt in _YOUNG_NEXT or nxt in _OWNER_NORMS:
            continue
        if prev is None:
            continue
        if prev.norm == "nha" or (prev.norm == "dinh" and i > 1 and toks[i - 2].norm == "gia"):
            owner.append(i)
        elif prev.norm in ("cho", "xin") and nxt in ("hoi", "xin", "biet", "duoc"):
            owner.append(i)
        elif _elder_before(toks, i):
            owner.append(i)
    if not owner:
        return
    for i in spots:
        prev = toks[i - 1].norm if i > 0 else "."
        nxt = toks[i + 1].norm if i + 1 < len(toks) else "."
        if (
            i in owner
            or (
                _elder_before(toks, i, loose=True)
                and nxt not in _YOUNG_NEXT
                and nxt not in _OWNER_NORMS
            )
            or (
                not _counted(toks, i)
                and nxt not in _YOUNG_NEXT
                and nxt not in _OWNER_NORMS
                and (
                    prev in (".", ",", "va", "voi", "cua", "em", "vo", "chong")
                    or _age_at(toks, i + 1, 1)
                )
            )
        ):
            toks[i].norm, toks[i].fixed = "toi", True


# --- disambiguation of words that only differ by accents ----------------------------------------

_AUNTS = {"cô", "dì", "bác", "cậu", "mợ", "thím", "chú", "dượng"}
_PAY = {"mua", "dong", "nop", "han", "tham", "ky", "tra", "toan", "tinh"}


def _rewrite(toks: list[_Tok], accented: bool) -> list[_Tok]:
    """Give ambiguous words one meaning each; "" drops the token."""
    _aunt_pairs(toks)
    for i, tok in enumerate(toks):
        prev = toks[i - 1].norm if i > 0 else ""
        nxt = toks[i + 1].norm if i + 1 < len(toks) else ""
        new = _rewrite_one(tok, prev, nxt, toks, i, accented)
        if new is not None:
            tok.norm, tok.fixed = new, True
            if new in ("vo", "chong") and nxt == "xa":  # bà xã / ông xã
                toks[i + 1].norm = ""
    return [t for t in toks if t.norm]


def _rewrite_one(
    tok: _Tok, prev: str, nxt: str, toks: list[_Tok], i: int, accented: bool
) -> str | None:
    raw, norm = tok.raw, tok.norm
    if raw in ("ổng", "bả"):  # Nam bộ "he"/"she": the man or woman last named
        if nxt == "xa":  # "ổng xã", "bả xã" typed for ông xã / bà xã
            return "chong" if raw == "ổng" else "vo"
        return _referent(toks, i, raw == "ổng")
    if norm == "ba" and not tok.fixed:
        return _ba(tok, prev, nxt, toks, i, accented)
    if raw == "ông" and nxt == "xa":
        return "chong"
    if raw == "má" or (norm == "ma" and raw == "ma" and prev in ("bo", "cha")):
        return "me"
    if raw == "tía":
        return "bo"
    after = toks[i + 2].norm if i + 2 < len(toks) else ""
    if raw == "còn" or (
        raw == "con"
        and not accented
        and not tok.fixed
        and (
            (prev in _KIN_NORMS | {"tuoi"} and nxt in _STILL_NEXT)
            or (_is_int(nxt) and after in ("nguoi", "khau", "thanh", "nhan"))
        )
    ):
        return "van"  # "2 cháu còn đi học"
    if norm == "bo" and (raw == "bỏ" or (raw == "bo" and nxt == "hoc")):
        return "nghi" if nxt == "hoc" else "_"
    if raw == "chỉ" or (raw == "chi" and nxt in _ONLY_NEXT):
        return "_"  # "chỉ có 2 người": only, not an elder sister
    if raw == "chi" and _what(prev, nxt, accented):
        return "gi"  # Trung "làm chi", "lương hưu chi hết": gì, not chị
    if (
        raw == "con"
        and not accented
        and not tok.fixed
        and prev in (",", ".", "")
        and nxt in _ELDERS
    ):
        return "van"  # ", con ba me em o que": còn, typed bare before the elders
    if raw == "con" and nxt == "lai" and not tok.fixed:
        return "van"  # "con lai" typed for "còn lại": the rest
    if raw == "thằng" or (raw == "thang" and nxt in _YOUNGEST):
        return "dua"  # "thằng lớn 16": one of the children
    if norm == "ut" and prev in (",", ".", "va", "voi", "") and (_is_int(nxt) or nxt == "tuoi"):
        return "dua"  # "út 5 tuổi": the youngest child
    if raw in _AUNTS or raw == "thim" or (raw == "chu" and nxt not in ("khong", "ho", "y", "nha")):
        return "kother"
    if raw == "tớ":
        return "toi"
    if norm in ("t", "th") and _is_int(prev):  # "72t" years old; "6t" a period after "đóng"
        paid = any(t.norm in _PAY for t in toks[max(0, i - 5) : i])
        return "thang" if paid and prev in ("3", "6", "12") or norm == "th" else "tuoi"
    return None


_MEN = {"chong": "chong", "ong": "ong", "bo": "bo", "cha": "bo"}
_WOMEN = {"vo": "vo", "ba": "ba", "me": "me"}


def _referent(toks: list[_Tok], i: int, male: bool) -> str:
    """ "vợ chồng tui, ổng 68": "ổng" is the husband already named, not one more person."""
    words = _MEN if male else _WOMEN
    for t in reversed(toks[:i]):
        if t.norm in words and (t.norm != "ba" or t.fixed or t.raw == "bà"):
            return words[t.norm]
    return "ong" if male else "ba"


_ELDERS = {"ba", "bo", "me", "ong", "vo", "chong", "anh", "chi", "kother", "cha"}
_YOUNGEST = {"lon", "nho", "ut", "be", "giua", "cu"}
_WHAT_NEXT = {"ca", "het", "rua", "ri", "nua", "rang"}
_WHAT_PREV = {"lam", "mua", "huu", "cap", "gi", "de", "hoi", "dong", "tien", "can", "biet", "noi"}
_WHAT_PREV |= {"an", "nop", "hieu", "may", "luong"}
_NOT_WHAT = {"gai", "dau", "ho", "ruot", "hai", "ut", "toi", "minh", "em", "tui", "oi", "kother"}
_AUNT_PAIRS = {("cau", "mo"), ("chu", "thim"), ("co", "duong"), ("di", "duong"), ("bac", "gai")}
_AUNT_PAIRS |= {("co", "chu"), ("chu", "co")}


def _what(prev: str, nxt: str, accented: bool) -> bool:
    """Trung "chi" is "gì" after a verb or noun ("làm chi", "không có lương hưu chi hết")."""
    if _is_int(nxt) or _is_int(prev) or nxt in _NOT_WHAT:
        return False
    if prev in ("", ".", ",", "va", "voi", "cua", "la", "co", "chi", "anh"):
        return False
    if nxt in _WHAT_NEXT or prev in _WHAT_PREV:
        return True
    return accented and nxt in ("", ".", ",")


def _aunt_pairs(toks: list[_Tok]) -> None:
    """ "cau mo e", "chu thim", "co duong" typed bare: an uncle and his wife, two relatives."""
    for i in range(len(toks) - 1):
        a, b = toks[i], toks[i + 1]
        if not (a.raw.isascii() and b.raw.isascii()) or (a.norm, b.norm) not in _AUNT_PAIRS:
            continue
        after = toks[i + 2].norm if i + 2 < len(toks) else ""
        if after in ("", ".", ",", "va", "voi", "o", "deu", "ruot", "ho") or after in _OWNER_NORMS:
            a.norm = b.norm = "kother"
            a.fixed = b.fixed = True


_STILL_NEXT = {"di", "dang", "hoc", "nho", "song", "lam", "o", "chua", "khong", "tre", "khoe"}
_ONLY_NEXT = {"co", "can", "mua", "dong", "la", "muon", "hoi", "con", "duoc", "tra", "phi"}


def _ba(tok: _Tok, prev: str, nxt: str, toks: list[_Tok], i: int, accented: bool) -> str:
    """bà is a grandmother; plain "ba" is a father unless "ông" is near (then bà typed bare)."""
    if tok.raw == "bà":
        if nxt == "xa":
            return "vo"
        return "_" if nxt == "con" and toks[i + 1].raw == "con" else "ba"  # "bà con": folks
    if not tok.raw.isascii():
        return "_"  # bá, bả, bạ ...
    if prev == "ong" or nxt in ("noi", "ngoai"):
        return "ba"
    if nxt == "xa":
        return "vo"
    if nxt in ("me", "ma") or accented:
        if nxt == "ma":
            toks[i + 1].norm, toks[i + 1].fixed = "me", True
        return "bo"
    recent = [t.norm for t in toks[max(0, i - 4) : i]]
    if "ong" in recent and "." not in recent:
        return "ba"
    return "ba" if _grandmother_before(toks, i, nxt) else "bo"


def _grandmother_before(toks: list[_Tok], i: int, nxt: str) -> bool:
    """ "ong 80 ba 76, ba khong co luong huu": the grandmother named again, not a father."""
    if _is_int(nxt) and int(nxt) < 55:
        return False
    for t in reversed(toks[:i]):
        if t.norm == ".":
            return False
        if t.fixed and t.norm == "ba":
            return True
    return False


# --- marks: the facts regexes find over the folded tokens ----------------------------------------


@dataclass
class _Mark:
    kind: str
    start: int  # token indices [start, end)
    end: int
    value: object = None


@dataclass(frozen=True)
class _KinSpec:
    kins: tuple[str | None, ...]  # one per person of the phrase ("ông bà" -> two)
    keys: tuple[str, ...]  # what names each person ("ong noi"): a later "ông" points back
    neutral: bool = False  # "con", "cháu": the phrase may hold more people than said
    elderly: bool = False
    baby: bool = False
    classifier: bool = False  # "1 đứa": of the kin last spoken of
    head: bool = False  # "3 mẹ con": one of the first kin, the others of the second


_Builder = Callable[[re.Match[str]], object]


@dataclass(frozen=True)
class _Spec:
    kind: str
    regex: re.Pattern[str]
    value: object = None  # constant, or a function of the match


def _spec(kind: str, pattern: str, value: object = None) -> _Spec:
    # whole tokens only: "bo me de" must not match inside "bo me deu"
    return _Spec(kind, re.compile(rf"(?<!\S)(?:{pattern})(?!\S)", re.ASCII), value)


_NEG_WORDS = {"khong", "chua", "chang"}
_NEG_GAP = {"phai", "la", "thuoc", "co", "bi", "duoc", "o", "dien", "ho", "nha", "ai", "nguoi"}
_NEG_GAP |= {"gia", "dinh", "con", "trong", "nao", "lam", "deu", "ca"}

_WHEN_GONE = (
    r"(?: (?:roi|som|lau|nam (?:\d+|ngoai|truoc|roi)|\d+ nam(?: roi| truoc| nay)?"
    r"|tu (?:nam|lau|nho|khi)|cach day|khi))"
)
_KIN_WORD = r"(?:ong|ba|bo|me|cha|con|chau|vo|chong|anh|chi|em|be|dua|tre|kother|cu)"
_OWNER = r"(?: (?:gia|cao tuoi))?(?: (?:cua |nha )?(?:toi|minh|em|tui))?"
_SELFS = r"(?:toi|minh|em|tui)"


def _months_value(m: re.Match[str]) -> int:
    text = m.group()
    if "nua" in text or text.startswith("6"):
        return 6
    return 3 if "quy" in text or text.startswith("3") else 12


def _party(m: re.Match[str]) -> str:
    years = next((int(g) for g in m.groups() if g), 0)
    return "party_member_40y" if years >= 40 or not years else "_"


def _kin_spec(kin: str | None, *keys: str, **flags: bool) -> _KinSpec:
    return _KinSpec((kin,) * len(keys), keys, **flags)


def _owned(m: re.Match[str]) -> dict[str, bool]:
    return {"elderly": bool(re.search(r"\b(?:gia|cao tuoi)\b", m.group()))}


def _pair_of(m: re.Match[str]) -> _KinSpec:
    word = m.group(1) or m.group(2)
    kin = {"con": "child", "chau": "grandchild"}.get(word, "sibling")
    return _kin_spec(kin, word, word)


_HEADS = {"me": "parent", "bo": "parent", "ba": "grandparent", "ong": "grandparent"}
_HEADS |= {"anh": "sibling", "chi": "sibling"}
_TAILS = {"con": "child", "chau": "grandchild", "em": "sibling"}


def _head_pair(m: re.Match[str]) -> _KinSpec:
    """ "3 mẹ con", "2 bà cháu": one elder and the others; the elder is the writer when they
    speak of themselves ("3 mẹ con tôi")."""
    words = m.group().split()
    head = "self" if words[-1] in ("toi", "minh", "em", "tui") and len(words) > 2 else words[0]
    return _KinSpec(
        ("self" if head == "self" else _HEADS[head], _TAILS[words[1]]),
        (head, words[1]),
        neutral=True,
        head=True,
    )


def _grandparents(m: re.Match[str]) -> _KinSpec:
    sides = [s for s in (m.group(1), m.group(2)) if s] or [""]
    keys = tuple(f"{who} {side}".strip() for side in sides for who in ("ong", "ba"))
    return _kin_spec("grandparent", *keys, **_owned(m))


def _one(kin: str | None, neutral: bool = False) -> _Builder:
    def build(m: re.Match[str]) -> _KinSpec:
        key = " ".join(w for w in (m.group(1), m.group(2)) if w).replace("cha", "bo")
        return _kin_spec(kin, key, neutral=neutral, **_owned(m))

    return build


def _parents(m: re.Match[str]) -> _KinSpec:
    side = f" {m.group(1)}" if m.group(1) else ""
    return _kin_spec("parent", "bo" + side, "me" + side, **_owned(m))


def _young(kin: str | None, baby: bool = False) -> _Builder:
    def build(m: re.Match[str]) -> _KinSpec:
        words = m.group().split()
        key = " ".join(w for w in words if w not in ("dua", "toi", "minh", "em", "tui", "cua"))
        is_baby = baby or "so sinh" in m.group()
        return _kin_spec(kin, key or words[0], neutral=True, baby=is_baby)

    return build


_STATUS_NOUNS = (
    "hoc sinh|sinh vien|cong nhan|cong an|cong chuc|vien chuc|bo doi|quan nhan|si quan"
    "|thuong binh|benh binh|cuu chien|nguoi khuyet|nguoi co|can bo|dang vien"
).split("|")

_COMPANY = r"(?:cong ty|xi nghiep|nha may|co quan|doanh nghiep|nha nuoc|khu cong nghiep|xuong)"
_EMPLOYER = r"(?:cong ty|co quan|xi nghiep|nha may|doanh nghiep|noi lam(?: viec)?|cho lam)"
_INSURED = r"(?:bao hiem(?: xa hoi| y te)?|bhxh|hop dong)"
_ARMY = r"(?:bo doi|cong an|quan nhan|si quan|quan doi|chien si|nghia vu(?: quan su)?|nvqs)"
_PLACE = r"(?:xa|thon|ban|ap|lang|vung|khu vuc|dia ban|phuong|khu|vung sau vung xa|mien nui)"

# Order matters: a token belongs to the first mark that claims it, so longer and negated forms
# come before the plain ones ("không có lương hưu" before "lương hưu", "cận nghèo" before "nghèo").
_SPECS: list[_Spec] = [
    # --- corrections and words that only look like facts
    _spec(
        "suppress",
        r"\b(?:chu )?khong phai(?: la)?(?= (?:\d|" + _KIN_WORD + r")\b)(?: (?![,.]|ma\b)\S+)+",
    ),
    _spec("fix", r"\b(?:a|o|u) (?:khong|nham)\b"),
    _spec(
        "fix",
        r"\b(?:nham lan|nham lon|nham|go nham|ghi nham|noi nham|viet nham|danh nham|sua lai"
        r"|chinh lai|noi lai|dinh chinh|xin sua|y (?:toi|minh|em) la|y la)\b",
    ),
    _spec("fix", r"^(?:khong phai|sai roi|sai)\b(?= ?,)"),
    _spec("fix_tail", r"\bmoi dung\b"),
    _spec("skip", r"\b(?:anh chi|anh|chi|em|ad|admin|ban|shop|kother|ong|ba|bo|me) oi\b"),
    _spec("skip", r"\b(?:anh chi|anh|chi|ad|ban|kother)(?= cho (?:em|toi|minh|tui|hoi)\b)"),
    _spec(
        "skip",
        r"\b(?:kinh )?(?:gui|chao|thua) (?:cac )?(?:anh chi|anh|chi|ad|admin|ban|kother kother"
        r"|kother|ong ba|ong|ba|bac)\b",
    ),
    _spec("skip", r"\b(?:cho|giup|xin|de) " + _SELFS + r" (?:hoi|xin|biet|duoc hoi|tu van)\b"),
    _spec(
        "skip",
        # "tôi cần" (I need) but not "tôi cận nghèo", typed without accents as "toi can ngheo"
        r"\b" + _SELFS + r" (?:muon|can(?! ngheo)|hoi|xin|dinh|tinh|dang muon|dang tim|cung muon"
        r"|co the|se|phai|thay|nghe|doc|tham khao)\b",
    ),
    _spec("ref", r"\b(?:ong|ba|anh|chi|kother|bo|me|vo|chong|nguoi) (?:ay|ta|nay)\b"),
    # --- people named who are not in the household: dead, married away, living apart
    _spec(
        "gone",
        r"\b(?:da |vua |cung )(?:mat|qua doi|chet|khuat)" + _WHEN_GONE + r"*"
        r"|\b(?:mat|chet)" + _WHEN_GONE + r"+|\bqua doi\b|\b(?:mat|chet)(?= [,.]|$)"
        r"|\b(?:da |di |cung )*lay (?:chong|vo)(?: roi)?(?: (?:va |,)?(?:ra )?o rieng)?"
        r"|\b(?:da |di |ra |cung )*(?:o rieng|ra rieng|tach ho|tach khau)(?: roi)?",
        "after",
    ),
    _spec("gone", r"\b(?:khong|chua) tinh(?: (?:vao|ca|trong))?\b", "either"),
    _spec("skip", r"\bthoat (?:khoi )?(?:ho )?(?:can )?ngheo\b"),
    _spec("skip", r"\b(?:chu ho|ho khau|(?<!lam )nha nuoc|gia dinh chinh sach)\b"),
    # --- statuses whose words hold numbers that are no age ("huy hiệu 40 năm", "lớp 7")
    _spec(
        "status",
        r"\b(?:dang vien )?(?:co |duoc (?:tang |trao )?)?huy hieu (\d{1,2}) nam(?: tuoi dang)?\b"
        r"|\b(\d{1,2}) nam tuoi dang\b|\bdang vien(?: (?:lau nam|co|duoc|da|hon|tren))*"
        r" (\d{2}) nam\b",
        _party,
    ),
    _spec("status", r"\b(?:sinh vien|hoc sinh) nam (?:\d|nhat|hai|ba|tu|cuoi)\b", "+school"),
    _spec(
        "status",
        r"\b(?:da |vua )?(?:tot nghiep|ra truong)(?: (?:dai hoc|cao dang|cap \d|thpt|roi))?\b"
        r"|\b(?:nghi|thoi) hoc\b|\b(?:khong|chua)(?: co)?(?: ai)?(?: con| van)?(?: di)? hoc\b"
        r"|\b(?:da )?di lam roi\b",
        "-school",
    ),
    _spec("status", r"\b(?:di |dang |hoc )*(?:mau giao|mam non|nha tre)\b", "_"),
    _spec(
        "status",
        r"\b(?:dang |van |deu |cung )*(?:di hoc|dang hoc|hoc)(?: o| tai)?"
        r" (?:cap (?:\d|mot|hai|ba)|lop \d{1,2}|dai hoc|cao dang|trung cap|thpt|thcs|tieu hoc"
        r"|truong|nghe)\b"
        r"|\b(?:dang |van |deu |cung )*(?:di hoc|dang hoc)\b"
        r"|\b(?:lop \d{1,2}|cap (?:1|2|3)|dai hoc|cao dang|thpt|thcs|tieu hoc"
        r"|trung hoc(?: co so| pho thong)?)\b"
        r"|\b(?:la |dang la |deu la )?(?:hoc sinh(?: sinh vien)?|sinh vien|hoc vien)\b",
        "+school",
    ),
    _spec(
        "status",
        r"\b(?:deu |ca hai |ca 2 )?(?:khong|chua|chang)(?: ai| co ai| nguoi nao)?"
        r"(?: (?:co|duoc|huong|nhan|lanh|an|di|phai|con|deu))* (?:luong huu|tro cap|che do|luong)"
        r"(?: (?:hay|hoac|va|,) (?:luong huu|tro cap|che do))*"
        r"(?: (?:xa hoi|hang thang|gi|nao|ca|het))*\b",
        "no_pension",
    ),
    _spec(
        "status",
        r"\b(?:dang |co |duoc )?(?:huong |nhan |lanh |an )?(?:tro cap (?:huu tri )?xa hoi"
        r"|tro cap hang thang|tro cap bao tro xa hoi|bao tro xa hoi|huu tri xa hoi"
        r"|tro cap nguoi cao tuoi)(?: hang thang)?\b",
        "social_pension",
    ),
    _spec(  # "bộ đội về hưu": a pensioner, no soldier's relative
        "status",
        r"\b(?:la |di |dang la )?" + _ARMY + r"(?: (?:da|cung))? (?:ve|nghi) huu\b",
        "pensioner",
    ),
    _spec(
        "status",
        r"\b(?:co |dang |duoc |da )?(?:huong |an |lanh |nhan )?luong huu\b"
        r"|\b(?:da |dang )?(?:nghi|ve) huu\b|\bhuu tri\b",
        "pensioner",
    ),
    # --- work
    _spec(
        "status",
        r"\b(?:di |dang )?lam (?:o |cho |tai |trong )?"
        + _COMPANY
        + r"(?: \S+){0,3}? (?:khong|chua)"
        r" (?:co |duoc |ky )?(?:dong |mua )?" + _INSURED + r"\b",
        "_",
    ),
    _spec(
        "status",
        r"\b(?:di |dang )?lam (?:o |cho |tai |trong )?" + _COMPANY + r"(?: (?:co|duoc)(?: dong| mua"
        r"| ky)? " + _INSURED + r")?\b|\b(?:co |ky )?hop dong(?: lao dong)?\b"
        r"|\b(?:cong nhan(?: vien chuc)?|cong chuc|vien chuc|can bo(?: cong chuc)?)\b"
        r"|\b(?:la |lam )?giao vien\b"
        r"|\b(?:cong ty|co quan) (?:co |da )?(?:dong|mua|cap) (?:bao hiem|bhyt|bhxh)\b"
        r"|\b(?:co |dang |duoc )?dong (?:bao hiem xa hoi|bhxh)(?: bat buoc)?\b(?! tu nguyen)"
        r"|\b(?:(?:da |deu )?(?:co|duoc|dang|di lam co) )?(?:the )?(?:bao hiem|bhyt)"
        r"(?: (?:xa hoi|y te))? (?:o |cua |tai |ben |qua |theo )?" + _EMPLOYER + r"\b"
        r"|\bdi lam (?:co|duoc) (?:dong |mua )?(?:bao hiem xa hoi|bhxh|bao hiem)\b",
        "employee",
    ),
    _spec("status", r"\bthan nhan (?:cua )?" + _ARMY + r"\b", "armed_forces_relative"),
    _spec(
        "status",
        r"\bla (?:vo|chong|con|bo|me|cha) (?:cua )?" + _ARMY + r"\b",
        "armed_forces_relative",
    ),
    _spec("status", r"\b(?:di |la |dang la |dang )?" + _ARMY + r"\b|\bdi linh\b", "armed"),
    # --- health and merit
    _spec(
        "status",
        r"\b(?:nguoi )?(?:bi )?(?:khuyet tat|tan tat)(?: muc do| muc| o muc| loai)?"
        r" (?:dac biet nang|nang)\b|\b(?:bi )?liet giuong\b",
        "disabled_severe",
    ),
    _spec("status", r"\b(?:nguoi )?(?:bi )?(?:khuyet tat|tan tat)(?: nhe| vua)?\b", "disabled"),
    _spec(
        "status",
        r"\bla (?:con|vo|chong|me|bo|cha|than nhan) (?:cua )?"
        r"(?:thuong binh|benh binh|liet si|nguoi co cong)\b",
        "meritorious",
    ),
    _spec(
        "status",
        r"\b(?:nguoi |gia dinh )?co cong(?! (?:ty|viec|an|nhan|chuc|trinh|nghe))"
        r"(?: voi (?:cach mang|nuoc))?\b|\b(?:than nhan (?:cua )?)?(?:thuong binh|benh binh"
        r"|liet si)(?: hang \d)?\b|\bcuu chien binh\b|\b(?:nhiem )?chat doc (?:hoa hoc|da cam)\b"
        r"|\bme viet nam anh hung\b|\b(?:da )?(?:xuat ngu|phuc vien)\b",
        "meritorious",
    ),
    _spec("status", r"\b(?:nhiem |bi )?(?:hiv|aids|sida)\b", "hiv"),
    _spec(
        "status",
        r"\b(?:hoi vien )?hoi (?:nguoi )?mu\b|\bkhiem thi\b|\bbi mu\b",
        "blind_association",
    ),
    _spec(
        "status",
        r"\b(?:thu gom|nhat|gom|thu nhat|cho) (?:rac|phe lieu)\b|\bve sinh moi truong\b",
        "waste_collector",
    ),
    # --- ages (before kinship, so "2 tuổi" is no count)
    _spec(  # "sn 90 vs 92": two birth years, the second as short as the first
        "birth",
        r"\b(?:sinh|nam sinh)(?: nam| vao nam| nam nam)? (?:(\d{4})((?: (?:,|va|voi|-|/) \d{4})*)"
        r"|(\d{2})((?: (?:,|va|voi|-|/) \d{2})*))\b(?! (?:tuoi|nguoi|con|chau|thang)\b)",
    ),
    _spec("age_months", r"\b(\d{1,2}) thang tuoi\b"),
    _spec("age", r"\b(\d{1,3}) tuoi ruoi\b"),
    _spec("newborn", r"\b(?:so sinh|moi sinh|moi de|vua sinh|vua de)\b"),
    _spec(
        "under6",
        r"(?:\b(?:duoi|chua du|chua den|chua toi|nho hon|be hon) |< ?)(\d{1,2}) (tuoi|thang)\b",
    ),
    _spec(
        "over",
        r"(?:\b(?:tren|hon|qua|tu|da qua) |(?<!\bong )(?<!\bba )\bngoai |> ?)(\d{1,3})"
        r"(?: tuoi(?: tro len)?| tro len|(?! (?:nguoi|thanh|khau|nhan|con|chau|thang|nam|trieu"
        r"|nghin|ngan|tuoi)\b))",
    ),
    _spec("age", r"\b(\d{1,3})((?: (?:,|va|voi|-|/|hoac) \d{1,3})*) tuoi\b"),
    # --- payment period (accepted only when said as one, see _period)
    _spec(
        "months",
        r"\b(?:(?:1|mot) nam|ca nam|12 thang|nua nam|6 thang|3 thang"
        r"|(?:1 |mot |theo |moi |tung )?quy"
        r"|theo nam|hang nam|moi nam)\b",
        _months_value,
    ),
    # --- household statuses
    _spec(
        "hgroup", r"\b(?:thuoc )?(?:ho |dien |gia dinh |nha )?(?:can ngheo|ho cn)\b", "near_poor"
    ),
    # "nhà em nghèo" is how people say they are poor, not that the commune listed them: a free
    # card is promised only for "hộ nghèo" / "diện nghèo" / "thuộc nghèo"
    _spec("hgroup", r"\b(?:thuoc (?:ho |dien )?|ho |dien |so ho )ngheo(?: kho)?\b", "poor"),
    _spec(
        "hgroup",
        r"\bmuc song trung binh\b|\bho (?:lam )?(?:nong|lam|ngu|diem)(?: nghiep)?"
        r"(?: (?:,|va) (?:lam|ngu|diem)(?: nghiep)?)* (?:co )?(?:muc song )?trung binh\b",
        "farm_avg_income",
    ),
    _spec(
        "hgroup",
        r"\b(?:xa dao|huyen dao|dac khu|dao xa|hai dao)\b|\b(?:o|song) (?:tren |ngoai )?dao\b"
        r"|\b(?:co to|bach long vi|ly son|phu quoc|con dao|truong sa|phu quy|kien hai)\b",
        "island_commune",
    ),
    _spec(
        "hgroup",
        r"\b" + _PLACE + r"(?: \S+){0,2}? (?:dac biet kho khan|kho khan)\b"
        r"|\b(?:vung sau|vung xa|vung cao|vung sau vung xa|xa 135|khu vuc (?:iii|3))\b",
        "hardship_area",
    ),
    _spec(
        "hgroup",
        r"\b(?:nguoi |dong bao |la )?dan toc(?! kinh\b)(?: thieu so| \w+)?\b",
        "ethnic_minority_hardship",
    ),
    # --- people: a stated total, or counted people described ("2 người trên 60 tuổi")
    _spec(
        "persons",
        r"\b(\d{1,3}) (nguoi|thanh vien|khau|nhan khau|mang|suat)"
        r"(?: (lon|gia|cao tuoi|tre|nho|con|chau))?\b",
    ),
    # --- kinship phrases
    _spec("kin", r"(?<=\d )(?:me|bo|ba|ong|anh|chi) (?:con|chau|em)" + _OWNER, _head_pair),
    _spec(
        "kin",
        r"\bvo chong (?:(con|chau)(?: (?:trai|gai|ca|ut|lon|nho))?"
        r"|(anh|chi|em)(?= (?:trai|gai|ca|ut|toi|minh)\b)(?: (?:trai|gai|ca|ut))?)" + _OWNER,
        _pair_of,
    ),
    _spec(
        "kin",
        r"\bvo chong(?: " + _SELFS + r")?(?: (?:gia|cao tuoi))?",
        lambda m: _KinSpec(("self", "spouse"), ("self", "spouse"), **_owned(m)),
    ),
    _spec("kin", r"\bong ba(?: (noi|ngoai))?(?: (?:va )?(noi|ngoai))?" + _OWNER, _grandparents),
    _spec("kin", r"\b(ong|ba|cu)(?: (noi|ngoai))?" + _OWNER, _one("grandparent")),
    _spec("kin", r"\b(?:bo|cha) me(?: (de|ruot|vo|chong|nuoi))?" + _OWNER, _parents),
    _spec("kin", r"\b(bo|cha|me)(?: (de|ruot|vo|chong|nuoi|ke|ghe))?" + _OWNER, _one("parent")),
    _spec("kin", r"\b(anh|chi|em) (vo|chong)" + _OWNER, _one("sibling", neutral=True)),
    _spec(
        "kin", r"\b(vo|chong)()(?: (?:cu|sau))?" + _OWNER, lambda m: _kin_spec("spouse", "spouse")
    ),
    _spec(
        "kin",
        r"\b(?:anh chi em|anh em|chi em)(?: ruot)?" + _OWNER,
        lambda m: _kin_spec("sibling", "anh", "em", neutral=True),
    ),
    _spec("kin", r"\banh chi" + _OWNER, lambda m: _kin_spec("sibling", "anh", "chi")),
    _spec("kin", r"\b(?:em be|be so sinh)(?: (?:trai|gai))?" + _OWNER, _young("child", True)),
    _spec(  # "2 em nhỏ 10 và 6 tuổi", "đứa em 19t": younger ones, of any age
        "kin",
        r"\b(?:dua em|em nho)(?: (?:trai|gai|nho|ut|lon|be))?" + _OWNER,
        lambda m: _kin_spec("sibling", "em", neutral=True),
    ),
    _spec(
        "kin",
        r"\b(anh|chi|em) (trai|gai|dau|re|ho|ruot|ut|ca|ke|vo|chong|hai)" + _OWNER,
        _one("sibling", neutral=True),
    ),
    _spec("kin", r"\b(anh|chi)()" + _OWNER, _one("sibling")),
    _spec("kin", r"\b(?:dua )?be(?: (?:trai|gai|ut|nho|lon))?" + _OWNER, _young("child")),
    _spec("kin", r"\b(?:dua )?tre(?: (?:em|nho|con))?", _young(None)),
    _spec(
        "kin",
        r"\b(?:dua )?con(?: (?:trai|gai|dau|re|nuoi|ut|lon|nho|ca|rieng|chung|sinh doi"
        r"|thu (?:\d+|hai|ba|nhat|tu)))*" + _OWNER,
        _young("child"),
    ),
    _spec(
        "kin",
        r"\b(?:dua )?chau(?: (?:noi|ngoai|trai|gai|be|nho|lon|ut))*" + _OWNER,
        _young("grandchild"),
    ),
    _spec(
        "kin",
        r"\bdua(?: (?:nho|lon|ut|be|giua|cu|trai|gai|thu (?:\d+|hai|ba|nhat)))?",
        lambda m: _KinSpec(("child",), ("dua",), neutral=True, classifier=True),
    ),
    _spec(
        "kin",
        r"\bkother kother" + _OWNER,
        lambda m: _KinSpec(("other", "other"), ("kother", "kother")),
    ),
    _spec("kin", r"\b(kother)(?: (ruot|ho))?" + _OWNER, _one("other")),
    # --- "ông có lương hưu, bà thì không": the status before, denied (or granted) to this person
    _spec(
        "elided",
        r"\b(?:thi |lai |cung |van )?(?:khong|chua|chang)(?: (?:co|phai|duoc|huong|di))?"
        r"(?= [,.]|$)",
        "neg",
    ),
    _spec(
        "elided",
        r"\b(?:thi |lai |cung |van )(?:lai |van |cung )?co(?: luon)?(?= [,.]|$)"
        r"|\bcung (?:vay|the|the luon|nhu vay)(?= [,.]|$)",
        "pos",
    ),
]

_KIN_NORMS = {"ong", "ba", "bo", "me", "cha", "vo", "chong", "con", "chau", "anh", "chi", "em"}
_KIN_NORMS |= {"be", "dua", "tre", "cu", "kother"}
_KIN_RAW = {"ông", "bà", "bố", "mẹ", "vợ", "chồng", "cháu", "chị", "bé", "đứa", "trẻ", "cụ"}
_SELF_RAW = {"tôi", "mình", "tui", "em"}


def _join(norms: list[str]) -> tuple[str, list[int]]:
    starts, pos = [], 0
    for n in norms:
        starts.append(pos)
        pos += len(n) + 1
    return " ".join(norms), starts


def _span(s: int, e: int, starts: list[int], norms: list[str]) -> tuple[int, int] | None:
    """Token range of a regex match, or None if the match cuts a token."""
    i = bisect.bisect_right(starts, s) - 1
    j = bisect.bisect_left(starts, e)
    if i < 0 or starts[i] != s or j <= i or starts[j - 1] + len(norms[j - 1]) != e:
        return None
    return i, j


def _scan(toks: list[_Tok]) -> list[_Mark]:
    norms = [t.norm for t in toks]
    joined, starts = _join(norms)
    claimed = [False] * len(toks)
    marks: list[_Mark] = []
    for spec in _SPECS:
        for m in spec.regex.finditer(joined):
            span = _span(m.start(), m.end(), starts, norms)
            if span is None or any(claimed[span[0] : span[1]]):
                continue
            mark = _make_mark(spec, m, span, toks, norms)
            if mark is None:
                continue
            claimed[span[0] : span[1]] = [True] * (span[1] - span[0])
            marks.append(mark)
    return _negate_lists(sorted(marks, key=lambda mk: mk.start), norms)


_OR_WORDS = {"hay", "hoac", "va", "voi", "lan", "hay la", "hoac la", "hay ho", "hoac ho"}
_AMENDS = {"thoi", "a", "ma", "moi", "chu"}  # "không phải hộ nghèo, cận nghèo thôi"


def _negate_lists(marks: list[_Mark], norms: list[str]) -> list[_Mark]:
    """ "không phải hộ nghèo hay cận nghèo", "ko thuộc hộ nghèo, cận nghèo gì cả": the negation
    covers the whole list of statuses, unless the last one is said as the right one ("không
    phải hộ nghèo, cận nghèo thôi")."""
    for k in range(1, len(marks)):
        prev, mark = marks[k - 1], marks[k]
        if prev.value != "negated" or mark.kind not in ("hgroup", "status"):
            continue
        if mark.value in ("no_pension", "-school"):
            continue
        gap = norms[prev.end : mark.start]
        if not gap or len(gap) > 2:
            continue
        joined = " ".join(gap)
        after = norms[mark.end] if mark.end < len(norms) else ""
        if (
            joined in _OR_WORDS
            or (joined == "," and after not in _AMENDS)
            or (len(gap) == 2 and gap[0] == "," and gap[1] in _OR_WORDS)
        ):
            marks[k] = _Mark("skip", mark.start, mark.end, "negated")
    return marks


def _make_mark(
    spec: _Spec, m: re.Match[str], span: tuple[int, int], toks: list[_Tok], norms: list[str]
) -> _Mark | None:
    i, j = span
    value = spec.value(m) if callable(spec.value) else spec.value
    kind = "skip" if value == "_" else spec.kind  # read so that nothing else claims the words
    if kind == "kin":
        if not all(_typed_as_kin(t) for t in toks[i:j] if t.norm in _KIN_NORMS):
            return None
        if _negated(norms, i):  # "không có con"
            return _Mark("skip", i, j)
    elif kind in ("hgroup", "status") and value not in ("no_pension", "-school"):
        if _negated(norms, i):
            return _Mark("skip", i, j, "negated")
    elif kind == "months" and not _period(norms, i, j):
        return None
    elif kind == "gone" and any(t.raw in _GONE_TYPOS for t in toks[i:j]):
        return None  # "mặt", "mắt": no death
    elif kind in ("age", "age_months", "under6", "over", "birth", "persons"):
        value = m.groups()
    return _Mark(kind, i, j, value)


_GONE_TYPOS = {"mặt", "mắt", "mát", "mạt", "chét", "chẹt"}


def _typed_as_kin(tok: _Tok) -> bool:
    """ "bộ" (đội), "vô", "chống", "ảnh" fold to kinship words; typed accents tell them apart."""
    return tok.fixed or tok.raw.replace("đ", "d").isascii() or tok.raw in _KIN_RAW


def _negated(norms: list[str], i: int) -> bool:
    for k in range(i - 1, max(-1, i - 5), -1):
        if norms[k] in _NEG_WORDS:
            return True
        if norms[k] not in _NEG_GAP:
            return False
    return False


_PAY_AFTER = {"het", "thi", "gia", "tien", "mat", "tong", "nhieu"}
_LAPSE = {"han", "cach", "truoc", "ngung", "dut", "tre", "cham", "no", "sau", "roi"}


def _period(norms: list[str], i: int, j: int) -> bool:
    """ "1 năm", "6 tháng" only as a payment period: after paying words or before asking a price."""
    before = norms[max(0, i - 6) : i]
    if "." in before:
        before = before[len(before) - before[::-1].index(".") :]
    if any(w in _LAPSE for w in norms[max(0, i - 2) : i]):
        return False
    if any(w in _PAY for w in before) or any(w in _PAY_AFTER for w in norms[j : j + 4]):
        return True
    rest = [w for k, w in enumerate(norms) if not i <= k < j]
    return all(w in (".", ",", "thoi", "nhe", "a", "nha") for w in rest)  # the whole answer


# --- reading: attach ages and statuses to the phrase they belong to ---------------------------


@dataclass(eq=False)
class _Slot:
    """One person while reading."""

    kin: str | None
    key: str
    start: int
    end: int
    owner: _Draft | None = None
    age: int | None = None
    months: int | None = None
    shared: bool = False  # age copied from "ông bà 68 tuổi"; a later age in the phrase replaces it
    groups: set[str] = field(default_factory=set)
    in_school: bool | None = None
    no_pension: bool = False
    elderly: bool = False
    free: bool = True  # not yet singled out by a later phrase ("trong đó 1 cháu ...")
    alias: str = ""  # "2 vợ chồng già, ông 75 bà 73": the husband is also "ong"

    @property
    def aged(self) -> bool:
        return self.age is not None or self.months is not None


@dataclass(eq=False)
class _Draft:
    slots: list[_Slot]
    explicit: bool  # the number of people was said ("2 cháu", "ông bà")
    neutral: bool  # more ages than people may add people ("con 10 tuổi và 15 tuổi")
    sentence: int = 0
    implicit: bool = False  # made for an age said of nobody named ("65 tuổi")
    age_events: int = 0
    clause: int = 0  # index of the clause (between commas) the phrase began in
    adds: bool = False  # "1 con nữa", "thêm 1 cháu": said as more people


_FILLERS = {",", "va", "voi", "-", "/", "toi", "minh", "em", "tui", "nam", "nay", "deu", "thi"}
_FILLERS |= {"cung", "da", "khoang", "gan", "tam", "chung", "hien", "la", "duoc", "hon", "ngoai"}
_SELF_FILLERS = {"la", "dang", "nam", "nay", "thi", "cung", "da", "bi", "hien", "van", "duoc"}
_SELF_FILLERS |= {"nay", "tai", "thuoc"}
_DESC_FILLERS = {"deu", "thi", "la", "dang", "hien", "cung", "van", "da"}
_AGE_KINDS = {"age", "age_months", "under6", "over", "birth", "newborn"}
_THINGS = {"the", "giay", "so", "cmnd", "cccd", "tien", "viec", "xe", "vi", "ho so", "mat"}
_TO_BUY = [["can"], ["muon"], ["phai"], ["chua"], ["mua"], ["dong"], ["tham"], ["lam"], ["nop"]]
_TOTAL_NOUNS = {"thanh vien", "khau", "nhan khau", "mang", "suat"}


class _Reader:
    def __init__(self, toks: list[_Tok], text: str, today: date) -> None:
        self.toks, self.text, self.today = toks, text, today
        self.norms = [t.norm for t in toks]
        self.marks = {m.start: m for m in _scan(toks)}
        self.drafts: list[_Draft] = []
        self.target: list[_Slot] = []
        self.target_draft: _Draft | None = None
        self.target_sentence = -1
        self.last_tok = -10
        self.last_kind = ""
        self.sentence = 0
        self.pending: list[_Mark] = []
        self.clause: list[_Slot] = []  # people named since the last comma: "X và Y đều ..."
        self.clause_start = 0
        self.count: tuple[int, int] | None = None  # (value, token) of a number before a phrase
        self.totals: list[int] = []
        self.hgroups: list[str] = []
        self.months: int | None = None
        self.fixes: list[_Mark] = []
        self.named_again = False  # the target is a person named before ("bà thì không")
        self.last_status: tuple[str, list[_Slot]] | None = None  # for "bà thì không"
        self.status_drafts = 0  # drafts made before the last status of the sentence
        self.drop_at = -1  # "không tính ông bà": the people named from this token are left out
        self.clause_no = 0
        self.list_draft: _Draft | None = None  # "3 người (chồng và 2 con)": who the count is
        self.adding = False

    # --- the pass
    def run(self) -> _Reader:
        i = 0
        while i < len(self.toks):
            mark = self.marks.get(i)
            if mark is not None:
                self._mark(mark)
                i = mark.end
                continue
            norm = self.norms[i]
            raw = self.toks[i].raw
            if raw in ("(", ":") or norm == "gom":
                self._open_list()
            elif raw == ")" or norm == ".":
                self.list_draft = None
            if norm in (".", ","):
                self.clause, self.clause_start = [], i + 1
                self.clause_no += 1
            if norm == ".":
                self.sentence += 1
                self.pending.clear()
                self.status_drafts = len(self.drafts)
            elif _is_int(norm):
                self._number(i)
            elif norm in ("toi", "minh", "em", "tui") and self._typed_as_self(i):
                self._pronoun(i)
            i += 1
        return self

    def _mark(self, mark: _Mark) -> None:
        kind = mark.kind
        if kind in ("fix", "fix_tail", "suppress"):
            self.fixes.append(mark)
        elif kind == "months" and self.months is None:
            self.months = int(mark.value)  # type: ignore[call-overload]
        elif kind == "hgroup" and mark.value not in self.hgroups:
            self.hgroups.append(str(mark.value))
        elif kind == "status":
            self._status(mark)
        elif kind in _AGE_KINDS:
            self._age(mark)
        elif kind == "kin":
            self._kin(mark)
        elif kind == "persons":
            self._persons(mark)
        elif kind == "ref" and self.target:
            self.last_tok, self.last_kind = mark.end - 1, "kin"
        elif kind == "elided":
            self._elided(mark)
        elif kind == "gone":
            self._gone(mark)

    # --- people
    def _open_list(self) -> None:
        """ "3 người có bảo hiểm (chồng và 2 con)", "có 3 đứa: ...": the people listed next are
        those counted, not more."""
        draft = self.target_draft
        if draft is None or self.target_sentence != self.sentence or not draft.explicit:
            return
        if any(_placeholder(s, draft) for s in draft.slots):
            self.list_draft = draft

    def _fill(self, spec: _KinSpec, count: int, end: int) -> bool:
        """The phrase names `count` of the people of the open list; False if they don't fit."""
        draft = self.list_draft
        if draft is None or spec.keys == ("",) or self.adding:
            return False
        free = [s for s in draft.slots if _placeholder(s, draft)]
        if len(free) < count or count < 1:
            return False
        generic = [s for s in free if s.kin in (None, "other") and s.key == "nguoi"]
        if not generic and any(k not in _LIST_KINS.get(free[0].kin, ()) for k in spec.kins):
            return False
        picked = free[:count]
        n = len(spec.kins)
        for k, s in enumerate(picked):
            if s in generic:
                s.kin, s.key = spec.kins[k % n], spec.keys[k % n]
            s.free = False
            s.elderly = s.elderly or spec.elderly
            if spec.baby:
                s.groups.add("child_under_6")
        self.named_again = False
        self._point(picked, draft, end, "kin")
        for mark in self.pending:
            self._apply(picked, mark)
        self.pending.clear()
        return True

    def _new(self, spec: _KinSpec, count: int, explicit: bool, mark_start: int, end: int) -> None:
        if self._fill(spec, count, end):
            return
        start_char = self.toks[mark_start].start
        end_char = self.toks[end - 1].end
        draft = _Draft([], explicit, spec.neutral, self.sentence, implicit=spec.keys == ("",))
        draft.clause, draft.adds = self.clause_no, self.adding
        n = len(spec.kins)
        for k in range(min(count, MAX_MEMBERS)):
            kin = spec.kins[k % n] if not spec.head else spec.kins[min(k, 1)]
            key = spec.keys[k % n] if not spec.head else spec.keys[min(k, 1)]
            slot = _Slot(kin, key, start_char, end_char, draft)
            slot.elderly = spec.elderly
            if spec.baby:
                slot.groups.add("child_under_6")
            draft.slots.append(slot)
        self.drafts.append(draft)
        self.named_again = False
        self._point(draft.slots, draft, end, "kin")
        for mark in self.pending:
            self._apply(draft.slots, mark)
        self.pending.clear()

    def _point(self, slots: list[_Slot], draft: _Draft | None, end: int, kind: str) -> None:
        self.target, self.target_draft = slots, draft
        self.target_sentence = self.sentence
        self.last_tok, self.last_kind = end - 1, kind
        if kind == "kin":
            self.clause += [s for s in slots if s not in self.clause]
        for s in slots:
            s.end = max(s.end, self.toks[end - 1].end)

    def _take_count(self, start: int) -> int | None:
        if self.count is not None and self.count[1] == start - 1:
            value = self.count[0]
            self.count = None
            return value
        return None

    def _kin(self, mark: _Mark) -> None:
        spec = mark.value
        assert isinstance(spec, _KinSpec)
        n = self._take_count(mark.start)
        if self.drop_at >= 0 and mark.start - (n is not None) == self.drop_at:
            self.drop_at = -1
            return
        if spec.classifier and n is not None and len(self.clause) == n and self.last_kind == "kin":
            if self._adjacent(mark.start - 1):  # "em với em gái em 2 đứa": those two
                self.named_again = True
                self._point(list(self.clause), None, mark.end, "kin")
                return
        if spec.classifier:
            spec = self._classifier_kin(spec)
        if spec.head:
            if n is None or n < 2:
                return  # "mẹ con": read word by word
            if self._named("self", "self") is not None or spec.keys[0] == "self":
                spec = _KinSpec(("self", spec.kins[1]), ("self", spec.keys[1]), head=True)
        if n is None and not spec.neutral and len(spec.kins) == 1:
            slot = self._named(spec.kins[0], spec.keys[0])
            slot = slot or self._couple(spec.kins[0], spec.keys[0], mark.start)
            if slot is not None:  # "mẹ tôi 65 tuổi. Mẹ không có lương hưu": the same mother
                self.named_again = True
                self._point([slot], slot.owner, mark.end, "kin")
                return
        if n in (None, len(spec.kins)) and len(spec.kins) > 1 and not spec.neutral:
            again = self._named_all(spec)
            if again:  # "ông xã 40, em 38, hai vợ chồng đều ...": the two already named
                self.named_again = True
                self._point(again, None, mark.end, "kin")
                return
        if (n is not None or spec.neutral) and len(spec.kins) == 1 and not self._adds(mark):
            picked = self._free(spec.kins[0], spec.keys[0], n or 1)
            if picked:  # "2 con, con lớn 15 tuổi": one of the two
                for s in picked:
                    s.free = False
                self.named_again = True
                self._point(picked, None, mark.end, "kin")
                return
        start = mark.start
        if n is None:
            n = 2 if spec.keys == ("anh", "em") else len(spec.kins)
        else:
            start -= 1  # the count is part of the words shown back
        self.adding = self._adds(mark)
        self._new(spec, n, n != 1 or len(spec.kins) > 1, start, mark.end)
        self.adding = False

    def _classifier_kin(self, spec: _KinSpec) -> _KinSpec:
        for draft in reversed(self.drafts):
            kin = draft.slots[0].kin if draft.slots else None
            if kin in ("child", "grandchild"):
                return _KinSpec((kin,), (draft.slots[0].key,), neutral=True)
        return spec

    def _named(self, kin: str | None, key: str) -> _Slot | None:
        """The person of that kin named before. "cô", "dì", "chú" all read "kother": only one
        whose age is not yet known is named again ("chú thím, chú 50 thím 47"; "cô 50, dì 45"
        are two); one named again later without an age is found by `_refer_back`."""
        found = [
            s
            for draft in self.drafts
            for s in draft.slots
            if (s.kin == kin and _same_key(s.key, key))
            or (kin == "grandparent" and s.alias and s.alias == key)
        ]
        if kin == "other":
            return next((s for s in found if not s.aged), None)
        return found[0] if found else None

    def _named_all(self, spec: _KinSpec) -> list[_Slot]:
        """Each person of a pair ("vợ chồng", "bố mẹ") named before, each on their own."""
        out: list[_Slot] = []
        for kin, key in zip(spec.kins, spec.keys, strict=True):
            found = [
                s
                for d in self.drafts
                for s in d.slots
                if len(d.slots) == 1
                and s.kin == kin
                and (s.key == key or s.key.startswith(key + " "))
            ]
            if len(found) != 1 or found[0] in out:
                return []
            out.append(found[0])
        return out

    def _couple(self, kin: str | None, key: str, start: int) -> _Slot | None:
        """ "2 vợ chồng già, ông 75 bà 73": ông and bà are the couple just named, not two more.
        Only right after a couple of unknown ages, told as old or with nothing but a comma or
        filler words in between."""
        if kin != "grandparent" or key not in ("ong", "ba") or not self.drafts:
            return None
        draft = self.drafts[-1]
        kins = [s.kin for s in draft.slots]
        if kins != ["self", "spouse"] or draft.sentence != self.sentence:
            return None
        if any(s.alias == key or (s.aged and not s.alias) for s in draft.slots):
            return None
        slot = next((s for s in draft.slots if not s.alias), None)
        if slot is None:
            return None
        near = all(self.norms[k] in _FILLERS for k in range(self.last_tok + 1, start))
        if not (near or any(s.elderly for s in draft.slots)):
            return None
        slot.alias = key
        return slot

    def _free(self, kin: str | None, key: str, n: int) -> list[_Slot]:
        for draft in reversed(self.drafts):
            if not draft.explicit or len(draft.slots) < 2:
                continue
            free = [s for s in draft.slots if s.free and s.kin == kin and _same_key(s.key, key)]
            if len(free) >= n:
                return free[:n]
        return []

    def _adds(self, mark: _Mark) -> bool:
        """ "1 con nữa", "thêm 1 cháu": another person, not one of those already named."""
        around = self.norms[max(0, mark.start - 2) : mark.end + 2]
        return any(w in ("nua", "them", "khac") for w in around)

    def _gone(self, mark: _Mark) -> None:
        """ "chồng em mất rồi", "chị gái đi lấy chồng", "ông bà không tính": named, not counted."""
        things = set(self.norms[self.clause_start : mark.start]) & _THINGS
        if things and self.norms[mark.start] in ("mat", "da", "vua", "cung"):
            return  # "thẻ của mẹ em mất rồi": the card is lost, not the mother
        if self.target and self.last_kind in ("kin", "age") and self._adjacent(mark.start):
            gone = list(self.target)  # the target may be the draft's own list
            for s in gone:
                draft = s.owner
                if draft is not None and s in draft.slots:
                    draft.slots.remove(s)
                    if not draft.slots:
                        self.drafts.remove(draft)
            self.status_drafts = min(self.status_drafts, len(self.drafts))
            self.clause = [s for s in self.clause if s not in gone]
            self.target, self.target_draft = [], None
        elif mark.value == "either":
            self.drop_at = mark.end
        self.last_tok, self.last_kind = mark.end - 1, "gone"

    def _pronoun(self, i: int) -> None:
        n = self._take_count(i)
        if n is not None and self.norms[i] == "em":  # "2 em": younger siblings
            self._new(_kin_spec("sibling", "em", neutral=True), n, True, i - 1, i + 1)
            return
        if not self._is_self(i):
            return
        slot = self._named("self", "self")
        if slot is not None:
            self.named_again = True
            self._point([slot], slot.owner, i + 1, "kin")
        else:
            self._new(_kin_spec("self", "self"), 1, False, i, i + 1)

    def _typed_as_self(self, i: int) -> bool:
        tok = self.toks[i]
        return tok.fixed or tok.raw.isascii() or tok.raw in _SELF_RAW

    def _is_self(self, i: int) -> bool:
        """tôi/mình/em is a member only when the message says something about them."""
        norms = self.norms
        prev = norms[i - 1] if i > 0 else ""
        if prev in _KIN_NORMS or prev in ("nha", "ho", "dinh", "cua", "ben", "phia"):
            return False  # "mẹ tôi", "nhà mình": a possessive
        k = i + 1
        while k < len(norms) and k - i <= 4 and k not in self.marks and norms[k] in _SELF_FILLERS:
            k += 1
        mark = self.marks.get(k)
        if mark is not None and (mark.kind in _AGE_KINDS or mark.kind == "status"):
            return True
        if k < len(norms) and _is_int(norms[k]) and k not in self.marks:
            return 0 < int(norms[k]) <= 120 or 1900 <= int(norms[k]) <= self.today.year
        nxt = norms[i + 1] if i + 1 < len(norms) else ""
        after = self.marks.get(i + 2)
        if nxt in ("va", "voi", ",", "cung") and after is not None and after.kind == "kin":
            return True
        if prev in ("gom", "co", "ca", "them"):
            return True
        return prev in ("va", "voi", ",") and self.target_sentence == self.sentence

    def _persons(self, mark: _Mark) -> None:
        groups = mark.value
        assert isinstance(groups, tuple)
        n, noun, mod = int(groups[0]), groups[1], groups[2]
        described = bool(mod) or self._described_next(mark.end)
        household = self._household_before(mark.start)
        subset = self.totals and 1 <= n < self.totals[-1] and not household and noun == "nguoi"
        if subset and not mod and self.norms[mark.end : mark.end + 1] in _TO_BUY:
            return  # "nhà 6 người, 2 người cần mua": who to buy for, told later or not at all
        if subset:
            described = True  # "nhà 4 người, 1 người có bảo hiểm công ty": some of the four
        elif (noun in _TOTAL_NOUNS or not described or household) and 1 <= n <= MAX_TOTAL:
            self.totals.append(n)  # "nhà 4 người", "4 người đóng bao nhiêu"
        if noun in _TOTAL_NOUNS or not described or n < 1:
            return
        if len(self.target) == n and self.last_kind == "kin" and self._adjacent(mark.start):
            self._point(self.target, self.target_draft, mark.end, "kin")  # "ông bà 2 người"
            return
        # "3 người lớn", "2 người trên 60": members of the household, kin untold ("other")
        kin = {"con": "child", "chau": "grandchild"}.get(mod or "", "other")
        key = "nguoi" if kin == "other" else kin
        spec = _kin_spec(kin, key, neutral=True, elderly=mod in ("gia", "cao tuoi"))
        self._new(spec, n, True, mark.start, mark.end)

    def _household_before(self, i: int) -> bool:
        """ "nhà 2 người 68 tuổi" states the size; "nhà có 2 người trên 60" picks two out."""
        before = [w for w in self.norms[max(0, i - 3) : i] if w not in ("toi", "minh", "em")]
        return bool(before) and before[-1] in ("nha", "ho", "dinh", "van")  # "còn 3 người"

    def _described_next(self, j: int) -> bool:
        while j < len(self.norms) and j not in self.marks and self.norms[j] in _DESC_FILLERS:
            j += 1
        mark = self.marks.get(j)
        return mark is not None and (mark.kind in _AGE_KINDS or mark.kind == "status")

    # --- numbers and ages
    def _number(self, i: int) -> None:
        value = int(self.norms[i])
        nxt = self.marks.get(i + 1)
        nxt_word = self.norms[i + 1] if i + 1 < len(self.norms) else ""
        if 1 <= value <= MAX_COUNT and (
            (nxt is not None and (nxt.kind == "kin" or self._noun(nxt))) or nxt_word == "em"
        ):
            self.count = (value, i)
            return
        if not self._adjacent(i):
            return
        if nxt_word == "thang" and nxt is None and value <= 72 and self._childish():
            self._give([(value // 12, value)], i, i + 2)  # "bé 8 tháng"
        elif 1900 <= value <= self.today.year:
            self._give([(self.today.year - value, None)], i, i + 1)  # "bố 1958"
        elif 1 <= value <= 120:
            self._give([(value, None)], i, i + 1)  # "ông 70 bà 66"

    def _adjacent(self, i: int) -> bool:
        if not self.target or self.target_sentence != self.sentence or i - self.last_tok > 5:
            return False
        return all(self.norms[k] in _FILLERS for k in range(self.last_tok + 1, i))

    def _childish(self) -> bool:
        return any(s.kin in ("child", "grandchild", None) for s in self.target)

    def _age(self, mark: _Mark) -> None:
        kind, groups = mark.kind, mark.value
        if kind == "newborn":
            self._give([(0, 0)], mark.start, mark.end)
            return
        assert isinstance(groups, tuple)
        if kind == "age":
            numbers = [int(x) for x in re.findall(r"\d+", " ".join(g for g in groups if g))]
            self._give([(a, None) for a in numbers if a <= 120], mark.start, mark.end)
        elif kind == "age_months":
            self._give([(int(groups[0]) // 12, int(groups[0]))], mark.start, mark.end)
        elif kind == "birth":
            ages = []
            for word in re.findall(r"\d+", " ".join(g for g in groups if g)):
                year = int(word)
                year += (2000 if year <= self.today.year % 100 else 1900) if year < 100 else 0
                if 0 <= self.today.year - year <= 120:
                    ages.append((self.today.year - year, None))
            self._give(ages, mark.start, mark.end)
        elif kind == "under6":
            limit = int(groups[0]) if groups[1] == "tuoi" else int(groups[0]) / 12
            if limit <= 6:
                self._tag(self._age_target(mark.start, mark.end), "child_under_6", mark.end)
        elif kind == "over" and int(groups[0]) >= ELDERLY_FROM:
            for s in self._age_target(mark.start, mark.end):
                s.elderly = True
            self._point(self.target, self.target_draft, mark.end, "age")

    def _age_target(self, start: int, end: int) -> list[_Slot]:
        if self.target and (
            self.target_sentence == self.sentence or not any(s.aged for s in self.target)
        ):
            return self.target
        self._new(_kin_spec(None, "", neutral=True), 1, False, start, end)
        return self.target

    def _give(self, ages: list[tuple[int, int | None]], start: int, end: int) -> None:
        """Ages in order to the people of the current phrase; one age alone is for them all."""
        if not ages:
            return
        slots = self._age_target(start, end)
        if self.target_draft is not None:
            self.target_draft.age_events += 1
        open_ = [s for s in slots if not s.aged or s.shared]
        if not open_ and len(ages) == 1:
            same = [
                o
                for d in self.drafts
                for o in d.slots
                if o not in slots
                and (o.age, o.months) == ages[0]
                and any(o.kin == s.kin and o.kin is not None for s in slots)
            ]
            if len(same) == 1:  # "2 con 20 và 17 (đứa 17 đang học)": the one aged 17
                self._point(same, same[0].owner, end, "age")
                return
        if len(ages) == 1 and len(open_) == len(slots) and not any(s.shared for s in slots):
            for k, s in enumerate(slots):  # "ông bà 68 tuổi": both, until a second age comes
                s.age, s.months, s.shared = ages[0][0], ages[0][1], k > 0
        else:
            for age, months in ages:
                s = open_.pop(0) if open_ else self._grow(start, end)
                s.age, s.months, s.shared, s.free = age, months, False, False
        self._point(self.target, self.target_draft, end, "age")

    def _grow(self, start: int, end: int) -> _Slot:
        draft = self.target_draft
        if draft is not None and draft.neutral and self.target and len(self.target) < MAX_MEMBERS:
            model = self.target[-1]
            slot = _Slot(model.kin, model.key, model.start, model.end, draft)
            slot.groups, slot.in_school = set(model.groups), model.in_school
            draft.slots.append(slot)
            self.target = [*self.target, slot]
            return slot
        self._new(_kin_spec(None, "", neutral=True), 1, False, start, end)
        return self.target[0]

    # --- statuses
    def _noun(self, mark: _Mark) -> bool:
        """ "sinh viên", "công nhân": a status that also names a person ("1 sv", "có 1 bộ đội")."""
        words = " ".join(self.norms[mark.start : mark.start + 2])
        return mark.kind == "status" and any(words.startswith(w) for w in _STATUS_NOUNS)

    def _status(self, mark: _Mark) -> None:
        n = self._take_count(mark.start)
        if n is not None:  # "1 hs", "2 sinh viên"
            spec = _kin_spec(None, "nguoi", neutral=True)
            self._new(spec, n, True, mark.start - 1, mark.start + 1)
        elif self._noun(mark) and self.norms[mark.start - 1 : mark.start] in (
            ["co"],
            ["gom"],
            ["them"],
        ):
            self._new(_kin_spec(None, "nguoi"), 1, False, mark.start, mark.start + 1)
        scope = self._scope(mark)
        if scope:
            slots = scope
        elif self.target:
            slots = self.target
            if mark.value == "no_pension" and self._joined(mark.start, aged=True):
                slots = list(self.clause)  # "mệ với mạ không có lương hưu": both of them
            elif mark.value == "no_pension" and not self._singled_out():
                slots = self._elders_before() + slots
            elif mark.value in _WORK and self._joined(mark.start):
                slots = list(self.clause)  # "tui với bà xã làm công nhân": both of them
        else:
            self.pending.append(mark)  # "có lương hưu là bố tôi": for the next person named
            return
        self._apply(slots, mark)
        self.last_status = (str(mark.value), slots)
        self.status_drafts = len(self.drafts)
        self.last_tok, self.last_kind = mark.end - 1, "status"

    def _joined(self, end: int, aged: bool = False) -> bool:
        """The clause so far is only adults joined by "và"/"với" ("tôi với vợ", "anh và chị
        dâu"): what is said next of their work is said of them all."""
        if len(self.clause) < 2 or any(s not in self.clause for s in self.target):
            return False
        if any(s.kin not in _ADULT_KINS or (s.aged or s.groups) and not aged for s in self.clause):
            return False
        k = self.clause_start
        while k < end:
            mark = self.marks.get(k)
            if mark is not None and mark.kind == "kin":
                k = mark.end
            elif self.norms[k] in _JOIN_WORDS:
                k += 1
            else:
                return False
        return True

    def _singled_out(self) -> bool:
        """ "ông 80 bà 76, bà không có lương hưu": a person named again, alone in the clause."""
        return self.named_again and bool(self.clause) and all(s in self.target for s in self.clause)

    def _elders_before(self) -> list[_Slot]:
        """ "ông 70 bà 66 không có lương hưu": said after several old people, of them all. Only
        those named in the sentence since its last status, and not already given an income."""
        out = []
        for draft in self.drafts[self.status_drafts :]:
            if draft.sentence != self.sentence:
                continue
            for s in draft.slots:
                if s in self.target or s.no_pension or s.groups & _INCOME:
                    continue
                old = s.age >= ELDERLY_FROM if s.age is not None else s.kin == "grandparent"
                if old or (s.age is None and s.elderly):
                    out.append(s)
        return out

    def _elided(self, mark: _Mark) -> None:
        """ "ông có lương hưu, bà thì không": the last status, denied or granted to the person
        named since."""
        if self.last_status is None or not self.target or self.last_kind not in ("kin", "age"):
            return
        if self.last_tok != mark.start - 1:  # "bà 68 có được miễn không": a question
            return
        value, slots = self.last_status
        if any(s in slots for s in self.target):
            return
        flip = _DENIED if mark.value == "neg" else _GRANTED
        new = flip.get(value, value if mark.value == "pos" else None)
        if new is None:
            return
        self._apply(self.target, _Mark("status", mark.start, mark.end, new))
        self.last_tok, self.last_kind = mark.end - 1, "status"

    def _scope(self, mark: _Mark) -> list[_Slot]:
        """ "đều", "cả hai", "không ai": the status is said of several phrases at once."""
        own = self.norms[mark.start : mark.end]
        before = self.norms[max(0, mark.start - 2) : mark.start]
        if "ai" in own or "nao" in own or before[-2:] == ["ca", "nha"]:
            return [s for d in self.drafts for s in d.slots]
        if "deu" in own or "deu" in before or before[-2:] in (["ca", "hai"], ["ca", "2"]):
            if len(self.clause) > 1:  # "ông bà và bố mẹ đều ...", "cả 2 đứa đều ..."
                return self.clause
            return [s for d in self.drafts if d.sentence == self.sentence for s in d.slots]
        return []

    def _apply(self, slots: list[_Slot], mark: _Mark) -> None:
        value = str(mark.value)
        for s in slots:
            s.end = max(s.end, self.toks[mark.end - 1].end)
            if value == "+school":
                s.in_school = True
            elif value == "-school":
                s.in_school = False
            elif value == "no_pension":
                s.no_pension = True
            elif value == "armed":
                s.groups.add("armed_forces_relative" if self._genitive(mark) else "employee")
            elif value in _GROUP_IDS:
                s.groups.add(value)
                if value == "student":
                    s.in_school = True

    def _genitive(self, mark: _Mark) -> bool:
        """ "vợ bộ đội" is a soldier's wife; "chồng là bộ đội" is the soldier."""
        if self.norms[mark.start] in ("di", "la", "dang"):
            return False
        prev = self.norms[mark.start - 1] if mark.start else ""
        return prev == "cua" or (self.last_kind == "kin" and self.last_tok == mark.start - 1)

    def _tag(self, slots: list[_Slot], group: str, end: int) -> None:
        for s in slots:
            s.groups.add(group)
        self._point(slots, self.target_draft, end, "age")

    # --- result
    def _refer_back(self) -> None:
        """ "ba má 65 64 ..., nên chỉ hỏi ba má thôi": people named again in a later clause,
        each of a kin already described and of no other age, are those people."""
        kept: list[_Draft] = []
        for draft in self.drafts:
            if not draft.implicit and not draft.adds and draft.slots:
                earlier = [s for d in kept if d.clause != draft.clause for s in d.slots]
                pairs = _back(draft.slots, earlier)
                if pairs:
                    for new, old in pairs:
                        _fold(new, old)
                    continue
            kept.append(draft)
        self.drafts = kept

    def people(self) -> list[PersonGroup]:
        self._refer_back()
        out: list[PersonGroup] = []
        for draft in self.drafts:
            _settle(draft)
            run: list[_Slot] = []
            for s in draft.slots:
                if run and _signature(run[0]) != _signature(s):
                    out.append(self._group(run))
                    run = []
                run.append(s)
            if run:
                out.append(self._group(run))
        return out

    def _group(self, run: list[_Slot]) -> PersonGroup:
        s = run[0]
        kin, age, months, groups, in_school = _signature(s)
        words = " ".join(self.text[min(x.start for x in run) : max(x.end for x in run)].split())
        return PersonGroup(len(run), age, months, kin, groups, in_school, words)


_INCOME = {"pensioner", "social_pension", "employee"}
_WORK = {"employee", "armed", "pensioner"}
_ADULT_KINS = {"self", "spouse", "parent", "sibling", "grandparent"}
_JOIN_WORDS = {"va", "voi", "cung", "ca", "hai", "2", "toi", "minh", "em", "tui", "thi", "lam"}
_JOIN_WORDS |= {"di", "dang", "hien", "nay", "deu", "la"}
_DENIED = {"pensioner": "no_pension", "+school": "-school", "no_pension": "no_pension"}
_DENIED["-school"] = "-school"
_GRANTED = {"no_pension": "pensioner", "-school": "+school"}

_GROUP_IDS = set(
    "student social_pension child_under_6 meritorious disabled disabled_severe hiv"
    " blind_association waste_collector party_member_40y employee pensioner"
    " armed_forces_relative".split()
)


_LIST_KINS = {
    "child": ("child", "grandchild", None),
    "grandchild": ("child", "grandchild", None),
    "sibling": ("sibling",),
}
_EXCLUSIVE = ({"trai", "gai"}, {"lon", "nho", "ut", "ca", "giua"}, {"noi", "ngoai"})
_IN_LAW = {"vo", "chong", "nuoi", "ke", "ghe", "dau", "re", "ho", "rieng"}


def _placeholder(s: _Slot, draft: _Draft) -> bool:
    """A person counted but not yet told who ("3 người", "3 đứa")."""
    if not s.free or s.aged:
        return False
    if s.kin in (None, "other") and s.key == "nguoi":
        return True
    return draft.neutral and len(draft.slots) >= 2 and s.kin in _LIST_KINS


def _same_person(a: str, b: str, kin: str | None) -> bool:
    """Keys that may name the same person: "ong" and "ong noi", not "me" and "me chong"."""
    wa, wb = set(a.split()), set(b.split())
    if any(wa & g and wb & g and wa & g != wb & g for g in _EXCLUSIVE):
        return False
    if (wa ^ wb) & _IN_LAW:
        return False
    return a.split()[:1] == b.split()[:1] or kin in ("child", "grandchild")


def _back(slots: list[_Slot], earlier: list[_Slot]) -> list[tuple[_Slot, _Slot]]:
    """Each of `slots` paired with one person of `earlier` they name again, or []."""
    pairs: list[tuple[_Slot, _Slot]] = []
    used: list[_Slot] = []
    for s in slots:
        if s.kin is None or s.key == "nguoi":
            return []
        found = [
            o
            for o in earlier
            if o not in used
            and o.kin == s.kin
            and _same_person(o.key, s.key, s.kin)
            and _no_more_said(s.key, o.key, s.kin)
            and (not s.aged or (o.age, o.months) == (s.age, s.months))
        ]
        if not found:
            return []
        used.append(found[0])
        pairs.append((s, found[0]))
    return pairs


def _no_more_said(new: str, old: str, kin: str | None) -> bool:
    """ "ông bà" may name "ông ngoại, bà ngoại" again; "ông bà ngoại" after "ông bà" are others."""
    base = {"con", "be", "chau", "dua", "tre", "em"} if kin in ("child", "grandchild") else set()
    return set(new.split()) - base <= set(old.split()) - base


def _fold(new: _Slot, old: _Slot) -> None:
    old.groups |= new.groups
    if new.in_school is not None:
        old.in_school = new.in_school
    old.no_pension = old.no_pension or new.no_pension
    old.elderly = old.elderly or new.elderly


def _same_key(a: str, b: str) -> bool:
    """ "ong" names "ong noi"; "ong noi" and "ong ngoai" are two people."""
    return a == b or a.startswith(b + " ") or b.startswith(a + " ")


def _settle(draft: _Draft) -> None:
    """Facts that depend on the whole message: pension, school, a shared age that was not."""
    for s in draft.slots:
        if s.shared and draft.age_events > 1:  # "3 con 10 tuổi và 15 tuổi": the third is unknown
            s.age, s.months = None, None
        if s.no_pension:
            s.groups.discard("pensioner")
            old = s.age >= ELDERLY_FROM if s.age is not None else s.kin == "grandparent"
            if old or (s.age is None and s.elderly):
                s.groups.add("elderly_no_pension")
        if s.in_school is False:
            s.groups.discard("student")
        elif s.in_school or "student" in s.groups:
            s.in_school = True
            s.groups.add("student")
        if "disabled_severe" in s.groups:
            s.groups.discard("disabled")


def _signature(
    s: _Slot,
) -> tuple[str | None, int | None, int | None, tuple[str, ...], bool | None]:
    return s.kin, s.age, s.months, tuple(sorted(s.groups)), s.in_school


# --- entry point ---------------------------------------------------------------------------------


def read_household(text: str, today: date | None = None) -> HouseholdReading:
    """The people, total, household statuses and period one message describes."""
    if not isinstance(text, str) or not text.strip():
        return HouseholdReading()
    return _never_poor_for_near_poor(_read_household(text, today), text)


_NEAR_POOR_WORDS = re.compile(r"\bcan ngheo\b|\bho cn\b|\bhcn\b")
_POOR_WORDS = re.compile(r"(?<!\bcan )\bngheo\b")


def _never_poor_for_near_poor(reading: HouseholdReading, text: str) -> HouseholdReading:
    """Safety net: "poor" means a free card, "near-poor" a 70 % one. When every "nghèo" in the
    message is "cận nghèo", a "poor" reading is wrong whatever rule produced it."""
    if "poor" not in reading.household_groups:
        return reading
    folded = " ".join(strip_accents(nfc(text[:MAX_CHARS])).lower().split())
    folded = re.sub(r"[^\w ]+", " ", folded)
    if _NEAR_POOR_WORDS.search(folded) and not _POOR_WORDS.search(folded):
        groups = tuple(
            dict.fromkeys("near_poor" if g == "poor" else g for g in reading.household_groups)
        )
        return replace(reading, household_groups=groups)
    return reading


def _read_household(text: str, today: date | None) -> HouseholdReading:
    today = today or date.today()
    cut = nfc(text[:MAX_CHARS])
    accented = not cut.replace("đ", "d").replace("Đ", "D").isascii()
    toks = _rewrite(_numbers_to_digits(_self_address(_tokenize(cut))), accented)
    whole = _Reader(toks, cut, today)
    leading = [m for m in whole.marks.values() if m.kind == "fix"]
    correction = bool(leading) or any(
        m.kind in ("fix_tail", "suppress") for m in whole.marks.values()
    )
    if not leading:
        return _reading(whole.run(), correction)
    split = max(leading, key=lambda m: m.start)
    before = _Reader(toks[: split.start], cut, today).run()
    after = _Reader(toks[split.end :], cut, today).run()
    return _amend(before, after)


def _reading(r: _Reader, correction: bool) -> HouseholdReading:
    groups = tuple(g for g in r.hgroups if g in HOUSEHOLD_GROUPS)
    total = r.totals[-1] if r.totals else None
    return HouseholdReading(tuple(r.people()), total, groups, correction, r.months)


def _amend(before: _Reader, after: _Reader) -> HouseholdReading:
    """ "nhà 4 người, à không, 5 người": what follows the correction wins."""
    if before.drafts and after.drafts and all(d.implicit for d in after.drafts):
        ages = [s for d in after.drafts for s in d.slots]  # "ông bà 68 tuổi, à không, 70"
        for k, s in enumerate(before.drafts[-1].slots):
            new = ages[min(k, len(ages) - 1)]
            s.age, s.months, s.shared = new.age, new.months, False
        after.drafts = []
    elif before.drafts and after.drafts and not after.totals and _amends(before, after):
        # "2 bé 5t và 8t, à nhầm bé lớn 9t": one person's facts amended, the household kept
        return _reading(before, False)
    first, second = _reading(before, True), _reading(after, True)
    people = second.people or first.people
    total = second.stated_total if second.stated_total is not None else first.stated_total
    groups = tuple(dict.fromkeys(first.household_groups + second.household_groups))
    months = second.months if second.months is not None else first.months
    return HouseholdReading(people, total, groups, True, months)


def _amends(before: _Reader, after: _Reader) -> bool:
    """Amend the people of `before` that each person of `after` names again ("bé lớn" is the
    oldest child); False, and nothing changed, unless every one of them is found."""
    earlier = [s for d in before.drafts for s in d.slots]
    pairs: list[tuple[_Slot, _Slot]] = []
    for new in (s for d in after.drafts for s in d.slots):
        found = [
            o
            for o in earlier
            if new.kin is not None
            and o.kin == new.kin
            and new.key != "nguoi"
            and _same_person(o.key, new.key, new.kin)
            and all(o is not p for _, p in pairs)
        ]
        words = set(new.key.split())
        if len(found) > 1 and all(o.age is not None for o in found) and words & _ELDEST:
            found = [max(found, key=lambda o: o.age or 0)]
        elif len(found) > 1 and all(o.age is not None for o in found) and words & _YOUNGEST_WORDS:
            found = [min(found, key=lambda o: o.age or 0)]
        if len(found) != 1:
            return False
        pairs.append((new, found[0]))
    for new, old in pairs:
        if new.aged:
            old.age, old.months, old.shared = new.age, new.months, False
        _fold(new, old)
    return bool(pairs)


_ELDEST = {"lon", "ca", "dau"}
_YOUNGEST_WORDS = {"nho", "ut", "be"}


# --- summary -------------------------------------------------------------------------------------

_KIN_VI = {
    "self": "bạn",
    "spouse": "vợ/chồng",
    "parent": "bố/mẹ",
    "grandparent": "ông/bà",
    "child": "con",
    "grandchild": "cháu",
    "sibling": "anh/chị/em",
    "other": "người thân",
}
_PAIR_VI = {"parent": "bố mẹ", "grandparent": "ông bà"}
_GROUP_VI = {
    "elderly_no_pension": "không lương hưu",
    "pensioner": "có lương hưu",
    "social_pension": "hưởng trợ cấp xã hội",
    "child_under_6": "dưới 6 tuổi",
    "employee": "đi làm có bảo hiểm",
    "armed_forces_relative": "thân nhân quân đội/công an",
    "disabled": "khuyết tật",
    "disabled_severe": "khuyết tật nặng",
    "meritorious": "người có công",
    "hiv": "nhiễm HIV",
    "blind_association": "hội viên hội người mù",
    "waste_collector": "thu gom rác",
    "party_member_40y": "đảng viên 40 năm",
}
_HOUSEHOLD_VI = {
    "poor": "hộ nghèo",
    "near_poor": "hộ cận nghèo",
    "farm_avg_income": "hộ nông nghiệp mức sống trung bình",
    "ethnic_minority_hardship": "dân tộc thiểu số",
    "hardship_area": "ở vùng đặc biệt khó khăn",
    "island_commune": "ở xã đảo",
}


def summary_vi(reading: HouseholdReading) -> str:
    """Short Vietnamese text to show back ("ông bà 68 tuổi không lương hưu, 2 cháu đi học")."""
    parts = [_phrase_vi(p) for p in reading.people]
    unknown = (reading.stated_total or 0) - reading.described_count
    if unknown > 0:
        parts.append(f"{unknown} người chưa rõ tuổi" if parts else f"{unknown} người")
    text = ", ".join(parts)
    status = ", ".join(_HOUSEHOLD_VI[g] for g in reading.household_groups if g in _HOUSEHOLD_VI)
    if status:
        text = f"{status}: {text}" if text else status
    if reading.conflict:
        text += f" (bạn nói nhà {reading.stated_total} người)"
    if reading.months:
        text += f"; đóng {reading.months} tháng" if text else f"đóng {reading.months} tháng"
    return text or "chưa có thông tin về hộ"


def _phrase_vi(p: PersonGroup) -> str:
    if p.kin in _PAIR_VI and p.count == 2:
        words = [_PAIR_VI[p.kin]]
    elif p.kin == "self":
        words = ["bạn"]
    elif p.kin is None or (p.kin == "other" and "nguoi" in strip_accents(p.words.lower())):
        words = [f"{p.count} {'trẻ' if 'child_under_6' in p.groups else 'người'}"]
    elif p.kin in ("spouse", "parent", "grandparent") and p.count == 1:
        words = [_KIN_VI[p.kin]]
    else:
        words = [f"{p.count} {_KIN_VI[p.kin]}"]
    if p.age == 0 and p.age_months is not None:
        words.append(f"{p.age_months} tháng tuổi")
    elif p.age is not None:
        words.append(f"{p.age} tuổi")
    words += [_GROUP_VI[g] for g in p.groups if g in _GROUP_VI and (g != "child_under_6" or p.kin)]
    if p.in_school:
        words.append("đi học")
    elif p.in_school is False:
        words.append("không đi học")
    return " ".join(words)
