"""The bot's catalog: Vietnamese msgids (Vietnamese first), English in bot/locales/en."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from policies.i18n import format_vnd, normalise_locale, translations

LOCALES_DIR = str(Path(__file__).resolve().parent / "locales")

Gettext = Callable[[str], str]


def gettext_for(locale: str | None) -> Gettext:
    return translations(LOCALES_DIR, normalise_locale(locale)).gettext


def money(amount: int) -> str:
    return format_vnd(amount)


__all__ = ["Gettext", "gettext_for", "money", "normalise_locale"]
