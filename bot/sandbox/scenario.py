"""Run a scripted conversation through the sandbox against the real application.

`python -m bot.sandbox scenario FILE.yaml` starts the real NLU server (or uses NLU_URL), a fresh
temporary database and the bot, plays the steps, and prints one JSON object per line for every
message the bot sends: {"to", "method", "text", "buttons"}. The format is a contract others use.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.config import Settings
from bot.sandbox.client import SETTLE_S, SandboxClient, SandboxError
from bot.stack import Stack, grant_roles

PRINTED_METHODS = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText",
                   "editMessageCaption", "editMessageReplyMarkup"}  # fmt: skip
QUIET_S = float(os.environ.get("SCENARIO_QUIET_S", SETTLE_S))


class ScenarioError(ValueError):
    pass


def load(path: str | Path) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "users" not in data or "steps" not in data:
        raise ScenarioError(f"{path}: a scenario needs 'users' and 'steps'")
    for name, u in data["users"].items():
        if "id" not in u:
            raise ScenarioError(f"{path}: users.{name}: missing id")
    for i, step in enumerate(data["steps"]):
        if "wait" in step:
            continue
        if step.get("from") not in data["users"]:
            raise ScenarioError(f"{path}: steps[{i}]: unknown user {step.get('from')!r}")
        if not any(k in step for k in ("text", "press", "contact", "command")):
            raise ScenarioError(f"{path}: steps[{i}]: needs text, press, contact or command")
    return data


def _line(entry: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    chat_id = entry.get("chat_id")
    return {
        "to": names.get(chat_id, entry.get("to")) if chat_id is not None else entry.get("to"),
        "method": entry["method"],
        "text": entry.get("text") or "",
        "buttons": entry.get("buttons") or [],
    }


async def play(
    scenario: dict[str, Any], client: SandboxClient, out: TextIO | None = None
) -> list[dict[str, Any]]:
    """Play the steps; returns (and prints, if `out`) the bot's messages in order."""
    users = scenario["users"]
    names = {int(u["id"]): name for name, u in users.items()}
    for name, u in users.items():
        await client.add_user(id=int(u["id"]), first_name=u.get("first_name", name),
                              username=name, language_code=u.get("language_code", "vi"))  # fmt: skip
    seen = await client.seq()
    lines: list[dict[str, Any]] = []

    async def flush() -> None:
        nonlocal seen
        for entry in await client.outbox(since=seen):
            seen = max(seen, entry["seq"])
            if entry["method"] in PRINTED_METHODS:
                line = _line(entry, names)
                lines.append(line)
                if out is not None:
                    print(json.dumps(line, ensure_ascii=False), file=out, flush=True)

    for step in scenario["steps"]:
        if "wait" in step:
            await asyncio.sleep(float(step["wait"]))
        else:
            who = int(users[step["from"]]["id"])
            if "text" in step:
                await client.send_text(who, str(step["text"]))
            elif "command" in step:
                await client.send_text(who, str(step["command"]))
            elif "press" in step:
                await client.press(who, str(step["press"]))
            elif "contact" in step:
                await client.send_contact(who, str(step["contact"]))
        await client.wait_idle(quiet=QUIET_S, timeout=30)
        await flush()
    return lines


async def run_scenario(
    scenario: dict[str, Any], out: TextIO | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    settings = settings or Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="bhyt-scenario-") as tmp:
        settings = replace(settings, database_url=f"sqlite:///{tmp}/scenario.sqlite3",
                           telegram_token=None)  # fmt: skip
        async with Stack(settings, sandbox_options={"mode": "count"}) as stack:
            assert stack.database is not None and stack.sandbox is not None
            for name, u in scenario["users"].items():
                role = u.get("role")
                if role in ("agent", "cadre", "admin"):
                    grant_roles(stack.database, int(u["id"]), u.get("first_name", name), role,
                                list(u.get("communes") or []))  # fmt: skip
            async with SandboxClient(stack.sandbox.url) as client:
                return await play(scenario, client, out)


def main(path: str) -> int:
    try:
        scenario = load(path)
    except (OSError, yaml.YAMLError, ScenarioError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        asyncio.run(run_scenario(scenario, out=sys.stdout))
    except SandboxError as e:  # a step the conversation did not allow, e.g. a missing button
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
