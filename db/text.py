"""Search keys: accent-stripped, lower-case, đ→d, punctuation collapsed to single spaces."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Division prefixes people type before a commune or province name (already normalised).
COMMUNE_PREFIXES: tuple[tuple[str, str | None], ...] = (
    ("thi tran", None),  # pre-2025 towns; no longer a type, but people still type it
    ("dac khu", "đặc khu"),
    ("phuong", "phường"),
    ("xa", "xã"),
    ("tt", None),
    ("p", "phường"),
    ("f", "phường"),  # "F.1", "f ai quoc": the old Saigon spelling of phường
    ("x", "xã"),
)
PROVINCE_PREFIXES: tuple[str, ...] = ("thanh pho", "tinh", "tp", "t p")
# Words before a pre-2025 district name ("huyện An Lão", "tx Cửa Lò", "q 1").
DISTRICT_PREFIXES: tuple[str, ...] = ("thanh pho", "thi xa", "huyen", "quan", "tp", "tx", "q")
PROVINCE_ALIASES: dict[str, str] = {
    "hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "sai gon": "ho chi minh",
    "saigon": "ho chi minh",
    "hn": "ha noi",
    "hue": "hue",
}


def normalise(text: str) -> str:
    """'Phường Ái Quốc' -> 'phuong ai quoc'."""
    text = unicodedata.normalize("NFC", text).lower().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", text).strip()


def strip_commune_prefix(key: str) -> tuple[str, str | None]:
    """('phuong ai quoc') -> ('ai quoc', 'phường'); the type is None when no (typed) prefix."""
    for prefix, division in COMMUNE_PREFIXES:
        if key.startswith(prefix + " ") and len(key) > len(prefix) + 1:
            return key[len(prefix) + 1 :], division
    return key, None


def strip_province_prefix(key: str) -> str:
    for prefix in PROVINCE_PREFIXES:
        if key.startswith(prefix + " ") and len(key) > len(prefix) + 1:
            return key[len(prefix) + 1 :]
    return key


def province_key(text: str) -> str:
    key = strip_province_prefix(normalise(text))
    return PROVINCE_ALIASES.get(key, key)


def like_escape(key: str) -> str:
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fold_char(c: str) -> str:
    """One lower-case character without its accents ('ố' -> 'o', 'đ' -> 'd')."""
    if c == "đ":
        return "d"
    return "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x))


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def tokens(text: str) -> list[tuple[str, str]]:
    """Words as (folded, as typed in lower case): the folded words are normalise(text).split()."""
    out: list[tuple[str, str]] = []
    folded: list[str] = []
    typed: list[str] = []
    for c in unicodedata.normalize("NFC", text).lower() + " ":
        f = fold_char(c)
        if f and all(x in _ALNUM for x in f):
            folded.append(f)
            typed.append(c)
        elif folded:
            out.append(("".join(folded), "".join(typed)))
            folded, typed = [], []
    return out


_TELEX_PAIRS: tuple[tuple[str, str], ...] = (
    ("dd", "d"),
    ("aa", "a"),
    ("aw", "a"),
    ("ee", "e"),
    ("oo", "o"),
    ("ow", "o"),
)
_TELEX_PAIRS += (("uw", "u"),)
_VOWELS = re.compile(r"[aeiouy]")
_SYLLABLE_END = re.compile(r"(?:[aeiouy]|c|ch|m|n|ng|nh|p|t)$")


def telex_fold(key: str) -> str:
    """Undo Telex typed without an input method: 'quoocs' -> 'quoc', 'ddoongf' -> 'dong'.

    Only used as a second reading of the query (some real names contain 'oo', 'Ea Wer')."""
    words = []
    for w in key.split():
        for a, b in _TELEX_PAIRS:
            w = w.replace(a, b)
        if len(w) > 2 and w[-1] in "sfrxj" and _SYLLABLE_END.search(w[:-1]):
            w = w[:-1]
        words.append(w)
    return " ".join(words)


def osa_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 when larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


def deletions(word: str, depth: int) -> set[str]:
    """Every string obtained by deleting up to `depth` characters (symmetric-delete index)."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out
