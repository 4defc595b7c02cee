"""What a recipient sees: the cadre's text (or photo + caption), the optional button and
always a one-tap unsubscribe button (`unsub:<broadcast id>`, handled in bot/cadre)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import gettext_for

if TYPE_CHECKING:
    from db.models import Broadcast

# Broadcast.button_url holds either a URL (deep link) or "callback:<data>" for an inline button
# the citizen handlers understand (e.g. "callback:menu:ask_cost"); no schema change needed.
CALLBACK_PREFIX = "callback:"
UNSUB_PREFIX = "unsub:"


@dataclass(frozen=True)
class Rendered:
    text: str
    photo: str | None
    markup: InlineKeyboardMarkup

    @cached_property
    def markup_json(self) -> str:
        return self.markup.to_json()


def button(text: str, target: str) -> InlineKeyboardButton:
    if target.startswith(CALLBACK_PREFIX):
        return InlineKeyboardButton(text, callback_data=target[len(CALLBACK_PREFIX) :])
    return InlineKeyboardButton(text, url=target)


def render(
    broadcast_id: int | str,
    text: str,
    photo_file_id: str | None = None,
    button_text: str | None = None,
    button_url: str | None = None,
    locale: str | None = None,
) -> Rendered:
    _ = gettext_for(locale)
    rows = []
    if button_text and button_url:
        rows.append([button(button_text, button_url)])
    rows.append(
        [InlineKeyboardButton(_("🔕 Hủy nhận tin"), callback_data=f"{UNSUB_PREFIX}{broadcast_id}")]
    )
    return Rendered(text, photo_file_id, InlineKeyboardMarkup(rows))


def render_broadcast(b: Broadcast) -> Rendered:
    """From a db.models.Broadcast (or anything with the same attributes)."""
    return render(b.id, b.text, b.photo_file_id, b.button_text, b.button_url, b.language)
