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
    ("x", "xã"),
)
PROVINCE_PREFIXES: tuple[str, ...] = ("thanh pho", "tinh", "tp")
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
