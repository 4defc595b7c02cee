"""The English catalog covers every Vietnamese msgid in the bot's source, safely."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, gettext_for

ROOT = Path(__file__).resolve().parents[2]
EN_PO = Path(LOCALES_DIR) / "en" / "LC_MESSAGES" / "messages.po"

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


@cache
def source_msgids() -> frozenset[str]:
    """Msgids as `make i18n` extracts them, straight from the source (not the .pot)."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map, options_map
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return frozenset(ids)


@cache
def english() -> dict[str, str]:
    with EN_PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    return {m.id: m.string for m in catalog if m.id and "fuzzy" not in m.flags}


def test_extraction_finds_the_bot_strings():
    ids = source_msgids()
    assert "Bạn muốn hỏi gì?" in ids
    assert len(ids) > 100


def test_every_msgid_has_an_english_translation():
    en = english()
    missing = sorted(i for i in source_msgids() if not (en.get(i) or "").strip())
    assert not missing, f"{len(missing)} msgids lack English in {EN_PO}:\n" + "\n".join(
        repr(i) for i in missing
    )


def test_translations_keep_the_placeholders():
    bad = [
        (i, s)
        for i, s in english().items()
        if s and set(PLACEHOLDER.findall(i)) != set(PLACEHOLDER.findall(s))
    ]
    assert not bad, "placeholders differ:\n" + "\n".join(f"{i!r} -> {s!r}" for i, s in bad)


def test_translations_keep_the_html_tags():
    bad = [
        (i, s)
        for i, s in english().items()
        if s and Counter(TAG.findall(i)) != Counter(TAG.findall(s))
    ]
    assert not bad, "HTML tags differ:\n" + "\n".join(f"{i!r} -> {s!r}" for i, s in bad)


def test_catalog_passes_babels_own_checks():
    # python-format strings (those with '%') would break `pybabel compile` otherwise
    with EN_PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
    assert not errors, errors
    assert not any("fuzzy" in m.flags for m in catalog if m.id)


def test_english_users_get_english_and_vietnamese_users_the_msgid():
    assert gettext_for("en")("Bạn muốn hỏi gì?") == "What would you like to ask?"
    assert gettext_for("en-US")("Bạn muốn hỏi gì?") == "What would you like to ask?"
    assert gettext_for("vi")("Bạn muốn hỏi gì?") == "Bạn muốn hỏi gì?"
    assert gettext_for(None)("Bạn muốn hỏi gì?") == "Bạn muốn hỏi gì?"


def test_the_runtime_loader_serves_every_english_entry():
    # the catalog is compiled in memory; a broken entry would silently fall back to Vietnamese
    _ = gettext_for("en")
    wrong = [i for i, s in english().items() if s and _(i) != s]
    assert not wrong, wrong


def test_formatting_the_english_with_the_source_arguments_works():
    # same names as the msgid, so .format(**the msgid's fields) must not raise
    en = english()
    for msgid, text in en.items():
        if not text or "{}" in msgid:
            continue
        fields = {p[1:-1].split(":")[0].split("!")[0] for p in PLACEHOLDER.findall(msgid)}
        text.format(**dict.fromkeys(fields, "x"))
