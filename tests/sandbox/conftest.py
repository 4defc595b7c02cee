"""Fixtures: a sandbox per test, a control client, and a tiny echo bot on real PTB polling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import DEFAULT_TOKEN, Sandbox, SandboxClient, start_sandbox

TOKEN = DEFAULT_TOKEN


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Đồng ý", callback_data="yes"),
                InlineKeyboardButton("Không", callback_data="no"),
            ]
        ]
    )
    args = " ".join(context.args or [])
    await update.message.reply_text(
        f"Chào {update.effective_user.first_name} {args}".strip(), reply_markup=keyboard
    )


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"ok {query.data}")
    await query.edit_message_text(f"Bạn chọn: {query.data}")


async def _phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Chia sẻ số điện thoại", request_contact=True)], ["Bỏ qua"]],
        one_time_keyboard=True,
    )
    await update.message.reply_text("Cho tôi số điện thoại?", reply_markup=keyboard)


async def _contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    contact = update.message.contact
    own = contact.user_id == update.effective_user.id
    await update.message.reply_text(
        f"Số: {contact.phone_number} ({'own' if own else 'other'})",
        reply_markup=ReplyKeyboardRemove(),
    )


async def _media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.message
    if msg.photo:
        data = await (await msg.photo[-1].get_file()).download_as_bytearray()
        await msg.reply_text(f"photo {len(data)} bytes")
    elif msg.sticker:
        await msg.reply_text(f"sticker {msg.sticker.emoji}")
    elif msg.voice:
        await msg.reply_text(f"voice {msg.voice.duration}s")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"Echo: {update.message.text}")


def build_echo_app(sandbox: Sandbox, **builder_kw: Any) -> Application:
    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{sandbox.url}/bot")  # PTB appends the token: {url}/bot{token}/{method}
        .base_file_url(f"{sandbox.url}/file/bot")
    )
    for name, value in builder_kw.items():
        builder = getattr(builder, name)(value)
    app = builder.build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CommandHandler("phone", _phone))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.CONTACT, _contact))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Sticker.ALL | filters.VOICE, _media))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    return app


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    sb = await start_sandbox(port=0)
    yield sb
    await sb.stop()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as c:
        await c.add_user(id=1001, first_name="Lan", username="lan_vn", phone_number="0912345678")
        await c.add_user(id=1002, first_name="Hùng", username="hung_agent")
        yield c


@pytest.fixture
async def echo_bot(sandbox: Sandbox, client: SandboxClient) -> AsyncIterator[Application]:
    app = build_echo_app(sandbox)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=10)
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
