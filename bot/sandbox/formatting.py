"""Entity parsing for parse_mode (HTML, MarkdownV2, Markdown), close to Telegram's rules.

The sandbox returns the plain text plus entities like Telegram does, and rejects what Telegram
rejects (unescaped reserved MarkdownV2 characters, unclosed or unsupported HTML tags), so
formatting bugs surface locally instead of in production.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class EntityParseError(ValueError):
    """Raised with Telegram's wording after 'Bad Request: can't parse entities: '."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}


class _HTMLEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pos16 = 0
        self.stack: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}"')
        extra: dict[str, Any] = {}
        attr = dict(attrs)
        if tag == "a":
            href = attr.get("href")
            if not href:
                raise EntityParseError('Can\'t find "href" attribute of the "a" tag')
            extra["url"] = href
        if tag == "span" and attr.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        if tag == "tg-emoji":
            extra["custom_emoji_id"] = attr.get("emoji-id", "")
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            cls = attr.get("class") or ""
            if cls.startswith("language-"):
                self.stack[-1][2]["language"] = cls[len("language-") :]
        if tag == "blockquote" and "expandable" in attr:
            extra["type"] = "expandable_blockquote"
        self.stack.append((tag, self.pos16, extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise EntityParseError(f'Unmatched end tag "{tag}"')
        start_tag, start, extra = self.stack.pop()
        length = self.pos16 - start
        if length <= 0:
            return
        entity = {"type": extra.pop("type", _HTML_TAGS[start_tag]), "offset": start}
        entity["length"] = length
        entity.update(extra)
        # <pre><code class="language-x"> becomes one pre entity with a language
        if start_tag == "code" and self.stack and self.stack[-1][0] == "pre":
            return
        self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos16 += utf16_len(data)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    parser = _HTMLEntities()
    parser.feed(text)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = [("||", "spoiler"), ("__", "underline"), ("*", "bold"), ("_", "italic")]
_MDV2_MARKERS += [("~", "strikethrough")]


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    offset = 0
    stack: list[tuple[str, str, int, int]] = []  # marker, type, utf16 offset, byte position
    entities: list[dict[str, Any]] = []
    link_stack: list[int] = []
    i = 0
    n = len(text)

    def emit(s: str) -> None:
        nonlocal offset
        out.append(s)
        offset += utf16_len(s)

    def byte_pos(idx: int) -> int:
        return len(text[:idx].encode("utf-8"))

    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 < n:
                emit(text[i + 1])
                i += 2
                continue
            raise EntityParseError(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise EntityParseError(f"Can't find end of Pre entity at byte offset {byte_pos(i)}")
            body = text[i + 3 : end]
            language = ""
            if "\n" in body:
                first, rest = body.split("\n", 1)
                if first and " " not in first:
                    language, body = first, rest
            body = body.replace("\\`", "`").replace("\\\\", "\\")
            start = offset
            emit(body)
            entity: dict[str, Any] = {"type": "pre", "offset": start, "length": offset - start}
            if language:
                entity["language"] = language
            entities.append(entity)
            i = end + 3
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of Code entity at byte offset {byte_pos(i)}"
                )
            body = text[i + 1 : end].replace("\\\\", "\\")
            start = offset
            emit(body)
            entities.append({"type": "code", "offset": start, "length": offset - start})
            i = end + 1
            continue
        if ch == "[":
            link_stack.append(offset)
            i += 1
            continue
        if ch == "]" and link_stack:
            if not text.startswith("(", i + 1):
                raise EntityParseError(
                    f"Can't find end of TextUrl entity at byte offset {byte_pos(i)}"
                )
            end = text.find(")", i + 2)
            if end < 0:
                raise EntityParseError(
                    f"Can't find end of TextUrl entity at byte offset {byte_pos(i)}"
                )
            url = text[i + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
            start = link_stack.pop()
            if offset > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": offset - start, "url": url}
                )
            i = end + 1
            continue
        matched = False
        for marker, etype in _MDV2_MARKERS:
            if text.startswith(marker, i):
                if stack and stack[-1][0] == marker:
                    _, _, start, _ = stack.pop()
                    if offset > start:
                        entities.append({"type": etype, "offset": start, "length": offset - start})
                else:
                    stack.append((marker, etype, offset, byte_pos(i)))
                i += len(marker)
                matched = True
                break
        if matched:
            continue
        if ch in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(ch)
        i += 1
    if stack:
        _, etype, _, pos = stack[-1]
        name = {"bold": "Bold", "italic": "Italic", "underline": "Underline"}.get(etype, etype)
        raise EntityParseError(f"Can't find end of {name} entity at byte offset {pos}")
    if link_stack:
        raise EntityParseError("Can't find end of TextUrl entity")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out: list[str] = []
    offset = 0
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(text)
    pairs = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "*_`[":
            out.append(text[i + 1])
            offset += 1
            i += 2
            continue
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise EntityParseError(
                    "Can't find end of the entity starting at byte offset "
                    + str(len(text[:i].encode()))
                )
            body = text[i + 3 : end]
            entities.append({"type": "pre", "offset": offset, "length": utf16_len(body)})
            out.append(body)
            offset += utf16_len(body)
            i = end + 3
            continue
        if ch in pairs:
            end = text.find(ch, i + 1)
            if end < 0:
                raise EntityParseError(
                    "Can't find end of the entity starting at byte offset "
                    + str(len(text[:i].encode()))
                )
            body = text[i + 1 : end]
            if body:
                entities.append({"type": pairs[ch], "offset": offset, "length": utf16_len(body)})
            out.append(body)
            offset += utf16_len(body)
            i = end + 1
            continue
        if ch == "[":
            close = text.find("](", i + 1)
            end = text.find(")", close + 2) if close >= 0 else -1
            if close >= 0 and end >= 0:
                body = text[i + 1 : close]
                entities.append(
                    {
                        "type": "text_link",
                        "offset": offset,
                        "length": utf16_len(body),
                        "url": text[close + 2 : end],
                    }
                )
                out.append(body)
                offset += utf16_len(body)
                i = end + 1
                continue
        out.append(ch)
        offset += utf16_len(ch)
        i += 1
    return "".join(out), entities


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    if mode:
        raise EntityParseError(f"Unsupported parse_mode {parse_mode!r}")
    return text, []
