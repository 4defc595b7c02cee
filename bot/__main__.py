"""`python -m bot run`: the bot against Telegram (TELEGRAM_BOT_TOKEN set) or the local sandbox
with a terminal chat (no token)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from bot.config import Settings
from bot.sandbox.terminal import DEFAULT_USERS, chat
from bot.stack import Stack, grant_roles

DEMO_COMMUNE = "Phường Ái Quốc, Hải Phòng"


async def run(settings: Settings) -> None:
    if settings.telegram_token:
        async with Stack(settings):
            print("Bot polling Telegram. Ctrl-C stops it.", file=sys.stderr)
            await asyncio.Event().wait()
        return
    # No token: the sandbox stands in for Telegram, and this terminal is the phone.
    async with Stack(settings, sandbox_options={"mode": "count"}) as stack:
        assert stack.database is not None and stack.sandbox is not None
        for role in ("agent", "cadre"):
            u = DEFAULT_USERS[role]
            grant_roles(stack.database, u["id"], u["first_name"], role, [DEMO_COMMUNE])
        print(
            f"Sandbox at {stack.sandbox.url}. You are the citizen Lan; /as agent or /as cadre "
            f"switches to Hùng or Minh ({DEMO_COMMUNE}).",
            file=sys.stderr,
        )
        from bot.sandbox import SandboxClient

        async with SandboxClient(stack.sandbox.url) as client:
            await chat(client, identity="citizen")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot")
    parser.add_argument("command", choices=["run"])
    parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(run(Settings.from_env()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
