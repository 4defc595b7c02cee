"""Conversations through the sandbox with the real PTB Application (polling) and an echo bot."""

from __future__ import annotations

import pytest

from bot.sandbox import SandboxClient, SandboxError


async def test_message_round_trip_with_command_entity(client: SandboxClient, echo_bot) -> None:
    sent = await client.send_text("Lan", "/start abc")
    assert sent["update"]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 6}
    ]
    [reply] = await client.wait_for("Lan")
    assert reply["method"] == "sendMessage"
    assert reply["to"] == "Lan" and reply["chat_id"] == 1001
    assert reply["text"] == "Chào Lan abc"  # context.args parsed by PTB from the entity
    assert reply["buttons"] == ["Đồng ý", "Không"]

    await client.send_text("lan_vn", "xin chào")  # users resolve by username too
    [echo] = await client.wait_for("Lan")
    assert echo["text"] == "Echo: xin chào"
    assert echo["seq"] > reply["seq"]


async def test_inline_button_press_reaches_callback_handler(
    client: SandboxClient, echo_bot
) -> None:
    await client.send_text("Lan", "/start")
    [menu] = await client.wait_for("Lan")
    await client.press("Lan", "đồng ý")  # case-insensitive fallback
    [edit] = await client.wait_for("Lan")
    assert edit["method"] == "editMessageText"
    assert edit["message_id"] == menu["message_id"]
    assert edit["text"] == "Bạn chọn: yes"
    assert edit["buttons"] == []  # an edit without reply_markup drops the keyboard
    await client.wait_idle(quiet=0.1)
    answers = await client.outbox(user="Lan", methods=("answerCallbackQuery",))
    assert [a["text"] for a in answers] == ["ok yes"]
    # the keyboard is gone, so the button can no longer be pressed
    with pytest.raises(SandboxError, match="no button"):
        await client.press("Lan", "Không")


async def test_press_targets_latest_message_with_that_button(
    client: SandboxClient, echo_bot
) -> None:
    await client.send_text("Lan", "/start")
    await client.send_text("Lan", "/start")
    first, second = await client.wait_for("Lan", count=2)
    await client.press("Lan", "Không")
    [edit] = await client.wait_for("Lan")
    assert edit["message_id"] == second["message_id"] != first["message_id"]
    assert edit["text"] == "Bạn chọn: no"


async def test_contact_sharing_by_reply_keyboard_and_directly(
    client: SandboxClient, echo_bot
) -> None:
    await client.send_text("Lan", "/phone")
    [ask] = await client.wait_for("Lan")
    assert ask["buttons"] == ["Chia sẻ số điện thoại", "Bỏ qua"]
    assert ask["reply_markup"]["one_time_keyboard"] is True

    await client.press("Lan", "Chia sẻ số điện thoại")  # uses the registered phone number
    [got] = await client.wait_for("Lan")
    assert got["text"] == "Số: 0912345678 (own)"
    assert got["reply_markup"] == {"remove_keyboard": True}

    await client.send_contact("Hùng", "0987654321", first_name="Chị Mai", own=False)
    [other] = await client.wait_for("Hùng")
    assert other["text"] == "Số: 0987654321 (other)"


async def test_reply_keyboard_button_sends_label_as_text(client: SandboxClient, echo_bot) -> None:
    await client.send_text("Lan", "/phone")
    await client.wait_for("Lan")
    sent = await client.press("Lan", "bỏ qua")
    assert sent["update"]["message"]["text"] == "Bỏ qua"
    [echo] = await client.wait_for("Lan")
    assert echo["text"] == "Echo: Bỏ qua"


async def test_media_from_users(client: SandboxClient, echo_bot) -> None:
    await client.send_photo("Lan", data=b"\xff\xd8\xff" + b"x" * 1000)
    [photo] = await client.wait_for("Lan")
    assert photo["text"] == "photo 1003 bytes"  # the bot downloaded the file via getFile
    await client.send_sticker("Lan")
    [sticker] = await client.wait_for("Lan")
    assert sticker["text"] == "sticker 👍"
    await client.send_voice("Lan")
    [voice] = await client.wait_for("Lan")
    assert voice["text"] == "voice 3s"


async def test_wait_idle_and_reply_latency_are_recorded(client: SandboxClient, echo_bot) -> None:
    for text in ("một", "hai"):
        await client.send_text("Lan", text)
    assert await client.wait_idle(quiet=0.2, timeout=10)
    stats = await client.stats()
    assert stats["pending_updates"] == 0
    assert stats["requests"]["sendMessage"] == 2
    records = [r for r in await client.latencies() if r["kind"] == "message"]
    assert len(records) == 2
    for r in records:
        assert r["replied"] is not None and r["delivered"] is not None
        assert r["enqueued"] <= r["delivered"] <= r["replied"]
        assert r["reply_latency"] == pytest.approx(r["replied"] - r["enqueued"])


async def test_wait_for_times_out_with_what_arrived(client: SandboxClient, echo_bot) -> None:
    await client.send_text("Lan", "chỉ một")
    with pytest.raises(TimeoutError, match="Echo: chỉ một"):
        await client.wait_for("Lan", count=2, timeout=0.5)


async def test_unknown_user_is_an_error(client: SandboxClient) -> None:
    with pytest.raises(SandboxError, match="unknown sandbox user"):
        await client.send_text("Nobody", "hi")


async def test_global_wait_for_and_latency_summary(client: SandboxClient, echo_bot) -> None:
    await client.send_text("Lan", "a")
    await client.send_text("Hùng", "b")
    replies = await client.wait_for(count=2)  # any chat
    assert sorted(r["text"] for r in replies) == ["Echo: a", "Echo: b"]
    summary = (await client.stats())["reply_latency"]
    assert summary["replied"] == 2 and summary["unreplied"] == 0
    assert 0 < summary["p50"] <= summary["max"]
