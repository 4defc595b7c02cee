"""`python -m bot.sandbox serve --port P` | `chat --url URL` | `scenario FILE.yaml`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from .client import SETTLE_S, SandboxClient
from .server import start_sandbox
from .terminal import chat


async def _serve(args: argparse.Namespace) -> None:
    sandbox = await start_sandbox(
        port=args.port,
        host=args.host,
        global_rate=args.global_rate,
        per_chat_rate=args.per_chat_rate,
        per_chat_burst=args.per_chat_burst,
        mode=args.mode,
        bot_username=args.bot_username,
    )
    print(sandbox.url, flush=True)
    print(
        f"PTB: .base_url('{sandbox.bot_base_url}').base_file_url('{sandbox.bot_base_file_url}')",
        file=sys.stderr,
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


async def _chat(args: argparse.Namespace) -> None:
    async with SandboxClient(args.url) as client:
        await chat(client, identity=args.identity, settle=args.settle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the fake Bot API server")
    serve.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--mode", choices=["enforce", "count", "off"], default="enforce")
    serve.add_argument("--global-rate", type=float, default=30.0)
    serve.add_argument("--per-chat-rate", type=float, default=1.0)
    serve.add_argument("--per-chat-burst", type=float, default=3.0)
    serve.add_argument("--bot-username", default="sandbox_bot")
    term = sub.add_parser("chat", help="chat with the bot through a running sandbox")
    term.add_argument("--url", default="http://127.0.0.1:8081")
    term.add_argument("--identity", default="citizen")
    term.add_argument("--settle", type=float, default=SETTLE_S)
    scen = sub.add_parser("scenario", help="play a scripted conversation against the real bot")
    scen.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "scenario":
        from .scenario import main as scenario_main

        sys.exit(scenario_main(args.file))
    try:
        asyncio.run(_serve(args) if args.command == "serve" else _chat(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
