"""Bot API methods and Telegram's error semantics, through PTB's own Bot client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden

from bot.sandbox import DEFAULT_TOKEN as TOKEN
from bot.sandbox import Sandbox, SandboxClient

from telegram import Bot  # isort: skip


@pytest.fixture
async def bot(sandbox: Sandbox, client: SandboxClient) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot"
    ) as b:
        yield b


async def test_get_me_is_the_bot_from_the_token(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.is_bot and me.username == "sandbox_bot"


async def test_send_message_returns_a_full_message(bot: Bot, client: SandboxClient) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    msg = await bot.send_message(1001, "hello", reply_markup=markup)
    assert msg.message_id > 0 and msg.chat.id == 1001 and msg.chat.type == "private"
    assert msg.from_user.id == 123456 and msg.from_user.is_bot
    assert msg.text == "hello" and msg.reply_markup == markup
    [entry] = await client.outbox(user="Lan")
    assert entry["message_id"] == msg.message_id and entry["buttons"] == ["A"]


async def test_html_is_parsed_into_entities(bot: Bot) -> None:
    msg = await bot.send_message(
        1001, "Phí <b>1.366.200 ₫</b> &amp; hơn", parse_mode=ParseMode.HTML
    )
    assert msg.text == "Phí 1.366.200 ₫ & hơn"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 4, 11)]
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(1001, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
        await bot.send_message(1001, "<div>x</div>", parse_mode=ParseMode.HTML)


async def test_markdown_v2_reserved_characters_must_be_escaped(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)character '\\.' is reserved"):
        await bot.send_message(1001, "Phí 1.366.200 ₫", parse_mode=ParseMode.MARKDOWN_V2)
    msg = await bot.send_message(1001, "*Phí* 1\\.366\\.200 ₫", parse_mode=ParseMode.MARKDOWN_V2)
    assert msg.text == "Phí 1.366.200 ₫"
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 0, 3)]


async def test_bad_requests(bot: Bot, client: SandboxClient) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "x" * 4097)
    assert (await bot.send_message(1001, "x" * 4096)).text == "x" * 4096
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1001, "   ")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999999, "hi")
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x" * 65)]])
        await bot.send_message(1001, "hi", reply_markup=markup)
    stats = await client.stats()
    assert stats["count_400"] == 4 and stats["requests"]["sendMessage"] == 5


async def test_edit_and_delete(bot: Bot, client: SandboxClient) -> None:
    msg = await bot.send_message(1001, "v1")
    edited = await bot.edit_message_text("v2", chat_id=1001, message_id=msg.message_id)
    assert edited.text == "v2" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("v2", chat_id=1001, message_id=msg.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("v3", chat_id=1001, message_id=424242)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="b")]])
    with_kb = await bot.edit_message_reply_markup(1001, msg.message_id, reply_markup=markup)
    assert with_kb.reply_markup == markup and with_kb.text == "v2"
    # the user's own message cannot be edited by the bot
    sent = await client.send_text("Lan", "của tôi")
    user_mid = sent["update"]["message"]["message_id"]
    with pytest.raises(BadRequest, match="can't be edited"):
        await bot.edit_message_text("hack", chat_id=1001, message_id=user_mid)
    assert await bot.delete_message(1001, msg.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, msg.message_id)
    methods = [e["method"] for e in await client.outbox(user="Lan")]
    assert methods == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
    ]


async def test_blocked_user_gives_forbidden(bot: Bot, client: SandboxClient) -> None:
    await client.block("Lan")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "hi")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(1001, "typing")
    assert (await bot.send_message(1002, "others still fine")).chat.id == 1002
    updates = await bot.get_updates()
    member = [u.my_chat_member for u in updates if u.my_chat_member]
    assert member and member[0].new_chat_member.status == "kicked"
    await client.unblock("Lan")
    assert (await bot.send_message(1001, "back")).text == "back"
    stats = await client.stats()
    assert stats["count_403"] == 2


async def test_user_who_never_started_cannot_be_messaged(bot: Bot, client: SandboxClient) -> None:
    await client.add_user(id=1003, first_name="Mai", started=False)
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(1003, "hi")
    await client.send_text("Mai", "/start")
    assert (await bot.send_message(1003, "hi")).text == "hi"


async def test_callback_answer_only_once(bot: Bot, client: SandboxClient) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="ok")]])
    await bot.send_message(1001, "?", reply_markup=markup)
    await client.press("Lan", "Đồng ý")
    [update] = await bot.get_updates()
    assert update.callback_query.data == "ok"
    assert update.callback_query.message.text == "?"
    assert await update.callback_query.answer("done", show_alert=True)
    with pytest.raises(BadRequest, match="query id is invalid"):
        await update.callback_query.answer("again")
    [answer] = await client.outbox(methods=("answerCallbackQuery",))
    assert answer["text"] == "done" and answer["show_alert"] is True and answer["to"] == "Lan"


async def test_files_upload_reuse_and_download(bot: Bot, client: SandboxClient) -> None:
    doc_msg = await bot.send_document(
        1001, document=b"bao cao", filename="bc.txt", caption="Báo cáo"
    )
    assert doc_msg.document.file_name == "bc.txt" and doc_msg.caption == "Báo cáo"
    file_id = doc_msg.document.file_id
    again = await bot.send_document(1002, document=file_id)
    assert again.document.file_id == file_id
    tg_file = await bot.get_file(file_id)
    assert bytes(await tg_file.download_as_bytearray()) == b"bao cao"
    photo_msg = await bot.send_photo(1001, photo=b"\x89PNG....", caption="ảnh")
    assert photo_msg.photo[-1].file_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(1001, photo="nonexistent-id")
    entries = await client.outbox(methods=("sendDocument", "sendPhoto"))
    assert [(e["to"], e["text"]) for e in entries] == [
        ("Lan", "Báo cáo"),
        ("Hùng", None),
        ("Lan", "ảnh"),
    ]


async def test_commands_menu_chat_webhook(bot: Bot, client: SandboxClient) -> None:
    assert await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu"), BotCommand("help", "Trợ giúp")]
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    scope = BotCommandScopeChat(1002)
    assert await bot.set_my_commands([BotCommand("leads", "Khách")], scope=scope)
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["leads"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])

    button = MenuButtonWebApp("Mở", WebAppInfo("https://example.org"))
    assert await bot.set_chat_menu_button(chat_id=1001, menu_button=button)
    assert await bot.get_chat_menu_button(chat_id=1001) == button

    chat = await bot.get_chat(1001)
    assert chat.id == 1001 and chat.first_name == "Lan" and chat.username == "lan_vn"

    assert await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.log_out() and await bot.close()


async def test_unknown_method_and_bad_token_are_404(sandbox: Sandbox, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):  # PTB's reading of Telegram's 404 for a method
        await bot.do_api_request("noSuchMethod")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sandbox.url}/bot{TOKEN}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{sandbox.url}/botnot-a-token/getMe") as resp:
            assert resp.status == 404
        # method names are case-insensitive, like Telegram's
        async with http.get(f"{sandbox.url}/bot{TOKEN}/GETME") as resp:
            assert (await resp.json())["result"]["username"] == "sandbox_bot"


async def test_json_form_and_query_bodies(sandbox: Sandbox, client: SandboxClient) -> None:
    url = f"{sandbox.url}/bot{TOKEN}/sendMessage"
    markup = '{"inline_keyboard": [[{"text": "X", "callback_data": "x"}]]}'
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"chat_id": 1001, "text": "json"}) as resp:
            assert (await resp.json())["result"]["text"] == "json"
        async with http.post(
            url, data={"chat_id": "1002", "text": "123", "reply_markup": markup}
        ) as resp:
            body = await resp.json()
            assert body["result"]["text"] == "123"  # a numeric text stays a string
            assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "X"
        async with http.get(url, params={"chat_id": "1001", "text": "query"}) as resp:
            assert (await resp.json())["result"]["text"] == "query"
        async with http.post(url, json={"text": "no chat"}) as resp:
            assert resp.status == 400
            assert await resp.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat_id is empty",
            }
        async with http.post(url, json={"chat_id": 1001}) as resp:
            assert (await resp.json())["description"] == "Bad Request: message text is empty"
    assert [e["text"] for e in await client.outbox()] == ["json", "123", "query"]


async def test_get_updates_offset_limit_and_long_poll(bot: Bot, client: SandboxClient) -> None:
    for i in range(3):
        await client.send_text("Lan", f"m{i}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["m0", "m1"]
    # without a higher offset the same updates come again
    assert [u.message.text for u in await bot.get_updates()] == ["m0", "m1", "m2"]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["m2"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()

    # a long poll returns as soon as an update arrives
    poll = asyncio.create_task(bot.get_updates(offset=rest[-1].update_id + 1, timeout=30))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await client.send_text("Lan", "wake up")
    updates = await asyncio.wait_for(poll, 10)
    assert [u.message.text for u in updates] == ["wake up"]


async def test_allowed_updates_filters_types(bot: Bot, client: SandboxClient) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    await bot.send_message(1001, "?", reply_markup=markup)
    await client.send_text("Lan", "text")
    await client.press("Lan", "A")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["a"]


async def test_second_poller_terminates_the_first(sandbox: Sandbox) -> None:
    # PTB's Bot holds one connection for getUpdates, so two pollers need two raw clients
    url = f"{sandbox.url}/bot{TOKEN}/getUpdates"

    async def poll(timeout: float) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"timeout": timeout}) as resp:
                return resp.status, await resp.json()

    first = asyncio.create_task(poll(30))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(poll(0.2))
    status, body = await asyncio.wait_for(first, 10)
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert await second == (200, {"ok": True, "result": []})


async def test_reply_to_message(bot: Bot, client: SandboxClient) -> None:
    sent = await client.send_text("Lan", "câu hỏi")
    question_id = sent["update"]["message"]["message_id"]
    answer = await bot.send_message(1001, "trả lời", reply_to_message_id=question_id)
    assert answer.reply_to_message.text == "câu hỏi"
    assert answer.reply_to_message.from_user.id == 1001
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(1001, "x", reply_to_message_id=9999)


async def test_writing_to_a_blocked_bot_unblocks_it(bot: Bot, client: SandboxClient) -> None:
    await client.block("Lan")
    await client.send_text("Lan", "/start")
    kinds = ["my_chat_member" if u.my_chat_member else "message" for u in await bot.get_updates()]
    assert kinds == ["my_chat_member", "my_chat_member", "message"]  # blocked, restarted, text
    assert (await bot.send_message(1001, "welcome back")).text == "welcome back"


async def test_ptb_builder_points_at_the_sandbox(sandbox: Sandbox, client: SandboxClient) -> None:
    app = sandbox.ptb_builder().build()
    async with app:
        assert app.bot.base_url == f"{sandbox.url}/bot{TOKEN}"
        assert (await app.bot.get_me()).username == "sandbox_bot"
