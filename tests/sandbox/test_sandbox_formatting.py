"""parse_mode handling: plain text and entities as Telegram computes them (UTF-16 offsets)."""

from __future__ import annotations

import pytest

from bot.sandbox.formatting import EntityParseError, parse_text


def test_html_nested_links_and_pre_language() -> None:
    text, entities = parse_text(
        '<b>Bảo <i>hiểm</i></b> <a href="https://bhxh.gov.vn">BHXH</a>\n'
        '<pre><code class="language-python">x = 1</code></pre>',
        "HTML",
    )
    assert text == "Bảo hiểm BHXH\nx = 1"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 8},
        {"type": "italic", "offset": 4, "length": 4},
        {"type": "text_link", "offset": 9, "length": 4, "url": "https://bhxh.gov.vn"},
        {"type": "pre", "offset": 14, "length": 5, "language": "python"},
    ]


def test_offsets_count_utf16_units() -> None:
    # an emoji outside the BMP takes two UTF-16 units, as in Telegram's offsets
    text, entities = parse_text("😀 <b>ok</b>", "HTML")
    assert text == "😀 ok"
    assert entities == [{"type": "bold", "offset": 3, "length": 2}]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag "i"'),
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("<a>x</a>", 'Can\'t find "href" attribute'),
    ],
)
def test_html_errors(source: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message):
        parse_text(source, "HTML")


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = parse_text(
        "*Phí* _năm_ __gạch__ ~bỏ~ ||ẩn|| `mã` [link](https://x.org) 1\\.366\\.200\\!", "MarkdownV2"
    )
    assert text == "Phí năm gạch bỏ ẩn mã link 1.366.200!"
    types = [(e["type"], text[e["offset"] : e["offset"] + e["length"]]) for e in entities]
    assert types == [
        ("bold", "Phí"),
        ("italic", "năm"),
        ("underline", "gạch"),
        ("strikethrough", "bỏ"),
        ("spoiler", "ẩn"),
        ("code", "mã"),
        ("text_link", "link"),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Giá 100.000", "Character '.' is reserved"),
        ("(ghi chú)", "Character '\\(' is reserved"),
        ("*đậm", "Can't find end of Bold entity"),
        ("`code", "Can't find end of Code entity"),
    ],
)
def test_markdown_v2_errors(source: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message):
        parse_text(source, "MarkdownV2")


def test_legacy_markdown_and_plain() -> None:
    text, entities = parse_text("*Chào* bạn. [web](https://x.org)", "Markdown")
    assert text == "Chào bạn. web"
    assert [e["type"] for e in entities] == ["bold", "text_link"]
    assert parse_text("a *b* <i>", None) == ("a *b* <i>", [])
