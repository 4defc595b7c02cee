"""Babel catalogs shared by every package: `<pkg>/locales/<lang>/LC_MESSAGES/messages.po`.

Catalogs are compiled in memory from the .po files, so no build step can be forgotten.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

DEFAULT_LOCALE = "vi"
SUPPORTED_LOCALES = ("vi", "en")


@cache
def translations(locales_dir: str, locale: str = DEFAULT_LOCALE) -> NullTranslations:
    """Translations for one package's catalog; falls back to Vietnamese, then to msgids."""
    for lang in (locale, DEFAULT_LOCALE):
        po = Path(locales_dir) / lang / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.open("rb") as f:
                catalog = read_po(f, locale=lang)
            buf = io.BytesIO()
            write_mo(buf, catalog)
            buf.seek(0)
            return Translations(fp=buf)
    return NullTranslations()


def normalise_locale(code: str | None) -> str:
    """Map a Telegram language_code ('en-US', 'vi') to a supported catalog."""
    if not code:
        return DEFAULT_LOCALE
    lang = code.split("-")[0].lower()
    return lang if lang in SUPPORTED_LOCALES else DEFAULT_LOCALE


def format_vnd(amount: int | Decimal, locale: str = DEFAULT_LOCALE) -> str:
    """Money as people read it: `1.366.200 ₫` (Vietnamese grouping in every locale)."""
    return format_currency(amount, "VND", locale="vi_VN", format="#,##0 ¤")
