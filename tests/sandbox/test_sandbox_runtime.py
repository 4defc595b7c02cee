"""Long polling behaviour, webhook delivery, the terminal chat and the standalone server."""

from __future__ import annotations

import asyncio
import io
import sys

import aiohttp
from aiohttp import web
from telegram import Bot

from bot.sandbox import DEFAULT_TOKEN as TOKEN
from bot.sandbox import Sandbox, SandboxClient
from bot.sandbox.terminal import chat


async def test_idle_long_polling_does_not_busy_loop(client: SandboxClient, echo_bot) -> None:
    await client.send_text("Lan", "hi")
    await client.wait_for("Lan")
    before = (await client.stats())["requests"]["getUpdates"]
    await asyncio.sleep(1.0)  # PTB holds one 10 s long poll open; a busy loop would make dozens
    after = (await client.stats())["requests"]["getUpdates"]
    assert after - before <= 2


async def test_webhook_delivery_with_secret(sandbox: Sandbox, client: SandboxClient) -> None:
    received: list[tuple[dict, str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response()

    app = web.Application()
    app.add_routes([web.post("/hook", hook)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with Bot(TOKEN, base_url=f"{sandbox.url}/bot") as bot:
            await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
            await client.send_text("Lan", "qua webhook")
            assert await client.wait_idle(quiet=0.1, timeout=10)
            assert (await bot.get_webhook_info()).pending_update_count == 0
        [(update, secret)] = received
        assert update["message"]["text"] == "qua webhook" and secret == "s3cret"
    finally:
        await runner.cleanup()


SCRIPT = """\
/start
1
/as agent
xin chào
7
/as Lan
/phone
1
/contact 0987654321
/as nobody
/quit
never sent
"""


async def test_terminal_chat_with_piped_input(sandbox: Sandbox, echo_bot) -> None:
    out = io.StringIO()
    async with SandboxClient(sandbox.url) as c:
        # slow refill, so the 4th quick message to Lan is over the limit however slow the host
        await c.config(per_chat_rate=0.1, per_chat_burst=3)
        await chat(c, stdin=io.StringIO(SCRIPT), out=out, settle=0.1)
        contact = (await c.messages("Lan"))[-1]["contact"]
        sent = [e for e in (await c.outbox()) if e["method"] == "sendMessage"]
    text = out.getvalue()
    expected_in_order = [
        "Lan (citizen) > /start",
        "bot -> Lan (citizen): Chào Lan",
        "   [1] Đồng ý  [2] Không",
        "Lan (citizen) > 1",
        "bot -> Lan (citizen) [toast]: ok yes",
        "bot -> Lan (citizen) [edited #2]: Bạn chọn: yes",
        "(you are now Hùng (agent))",
        "bot -> Hùng (agent): Echo: xin chào",
        "bot -> Hùng (agent): Echo: 7",  # no buttons to press: the number is text
        "(you are now Lan (citizen))",
        "bot -> Lan (citizen): Cho tôi số điện thoại?",
        "   [1] Chia sẻ số điện thoại  [2] Bỏ qua",
        "bot -> Lan (citizen): Số: 0912345678 (own)",  # button 1 shared the registered phone
        # a fourth message to Lan within seconds: over the per-chat burst of 3
        "bot -x Lan (citizen) [sendMessage failed]: Too Many Requests: retry after",
        "(unknown identity 'nobody'",
    ]
    pos = 0
    for line in expected_in_order:
        found = text.find(line, pos)
        assert found >= 0, f"missing {line!r} after position {pos} in:\n{text}"
        pos = found + len(line)
    assert "never sent" not in text
    assert len(sent) == 5
    assert contact == {"phone_number": "0987654321", "first_name": "Lan", "user_id": 700001}


async def test_standalone_server_prints_its_url() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "serve",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/bot{TOKEN}/getMe") as resp:
                assert (await resp.json())["result"]["is_bot"] is True
    finally:
        proc.terminate()
        await proc.wait()
