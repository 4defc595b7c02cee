"""Chat with the bot from a terminal through the sandbox, as several users in turn.

Lines typed: plain text is sent as that user's message; a number presses that button of the
latest message with buttons; `/as agent|cadre|citizen|<name>` switches identity;
`/contact 09...` shares a contact; `/photo`, `/sticker`, `/voice`, `/document`; `/block`,
`/unblock`; `/text <literal>` sends text verbatim (e.g. a number); `/help`; `/quit`.
Works with piped stdin: after each line it waits for the bot to go quiet before reading on.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import Any, TextIO

from .client import SETTLE_S, SandboxClient, SandboxError

DEFAULT_USERS: dict[str, dict[str, Any]] = {
    "citizen": {
        "id": 700001,
        "first_name": "Lan",
        "username": "lan_citizen",
        "phone_number": "0912345678",
    },
    "agent": {"id": 700002, "first_name": "Hùng", "username": "hung_agent"},
    "cadre": {"id": 700003, "first_name": "Minh", "username": "minh_cadre"},
}

HELP = (
    "text -> message | N -> press button N | /as <role|name> | /contact <phone> | "
    "/photo /sticker /voice /document | /block /unblock | /text <literal> | /quit"
)


def _stdin_lines(stream: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Read lines in a daemon thread so a blocked read never holds up the event loop or exit."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def reader() -> None:
        try:
            for line in stream:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        finally:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=reader, name="sandbox-terminal-stdin", daemon=True).start()
    return queue


class _Terminal:
    def __init__(
        self,
        client: SandboxClient,
        users: dict[str, dict[str, Any]],
        identity: str,
        out: TextIO,
        settle: float,
    ):
        self.client = client
        self.users = users
        self.role = identity
        self.out = out
        self.settle = settle
        self.printed = 0
        self.errors_seen = 0
        self.lock = asyncio.Lock()
        self.by_chat = {u["id"]: role for role, u in users.items()}
        # latest inline-button message and current reply keyboard, per user id
        self.inline: dict[int, tuple[int, list[str]]] = {}
        self.reply: dict[int, list[str]] = {}

    @property
    def user(self) -> dict[str, Any]:
        return self.users[self.role]

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def choices(self, uid: int) -> list[str]:
        if uid in self.inline:
            return self.inline[uid][1]
        return self.reply.get(uid, [])

    def show(self, entry: dict[str, Any]) -> None:
        uid = entry["chat_id"]
        if uid not in self.by_chat:
            return
        who = f"{self.users[self.by_chat[uid]]['first_name']} ({self.by_chat[uid]})"
        method = entry["method"]
        markup = entry.get("reply_markup") or {}
        if method == "answerCallbackQuery":
            if entry.get("text"):
                kind = "alert" if entry.get("show_alert") else "toast"
                self.say(f"bot -> {who} [{kind}]: {entry['text']}")
            return
        if method == "deleteMessage":
            if self.inline.get(uid, (None,))[0] == entry["message_id"]:
                del self.inline[uid]
            self.say(f"bot -> {who} [deleted #{entry['message_id']}]")
            return
        tag = ""
        if method.startswith("edit"):
            tag = f" [edited #{entry['message_id']}]"
        elif method == "sendPhoto":
            tag = " [photo]"
        elif method == "sendDocument":
            tag = f" [document {entry.get('file_name') or ''}]".replace(" ]", "]")
        self.say(f"bot -> {who}{tag}: {entry.get('text') or ''}")
        if "inline_keyboard" in markup:
            self.inline[uid] = (entry["message_id"], entry["buttons"])
        elif method.startswith("edit") and self.inline.get(uid, (None,))[0] == entry["message_id"]:
            del self.inline[uid]  # the edit removed that message's keyboard
        if "keyboard" in markup:
            self.reply[uid] = entry["buttons"]
            self.inline.pop(uid, None)  # the newest keyboard is the one a person answers
        elif markup.get("remove_keyboard"):
            self.reply.pop(uid, None)
        labels = self.choices(uid) if ("inline_keyboard" in markup or "keyboard" in markup) else []
        if labels:
            self.say("   " + "  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1)))

    async def drain(self, wait: float = 0.0) -> None:
        entries = await self.client.outbox(since=self.printed, wait=wait)
        errors = await self.client.errors(since=self.errors_seen)
        async with self.lock:
            for entry in entries:
                if entry["seq"] > self.printed:
                    self.printed = entry["seq"]
                    self.show(entry)
            for error in errors:
                if error["seq"] > self.errors_seen:
                    self.errors_seen = error["seq"]
                    if error["chat_id"] in self.by_chat:
                        role = self.by_chat[error["chat_id"]]
                        who = f"{self.users[role]['first_name']} ({role})"
                        self.say(f"bot -x {who} [{error['method']} failed]: {error['description']}")

    async def printer(self) -> None:
        while True:
            try:
                await self.drain(wait=1.0)
            except SandboxError:
                await asyncio.sleep(0.2)

    def switch(self, name: str) -> None:
        key = name.strip().casefold()
        for role, u in self.users.items():
            names = {
                role.casefold(),
                u["first_name"].casefold(),
                (u.get("username") or "").casefold(),
            }
            if key in names or key == str(u["id"]):
                self.role = role
                self.say(f"(you are now {u['first_name']} ({role}))")
                return
        self.say(f"(unknown identity {name!r}; known: {', '.join(self.users)})")

    async def handle(self, line: str) -> bool | None:
        """Act on one input line: False quits, None was local (nothing sent to the bot)."""
        uid = self.user["id"]
        cmd, _, arg = line.partition(" ")
        if line in ("/quit", "/exit"):
            return False
        if cmd == "/help":
            self.say(HELP)
            return None
        if cmd == "/as":
            self.switch(arg)
            return None
        if cmd == "/contact":
            await self.client.send_contact(uid, arg.strip() or self.user.get("phone_number", ""))
        elif cmd in ("/photo", "/sticker", "/voice", "/document"):
            await self.client.send_media(uid, cmd[1:], caption=arg or None)
        elif cmd == "/block":
            await self.client.block(uid)
        elif cmd == "/unblock":
            await self.client.unblock(uid)
        elif cmd == "/text":
            await self.client.send_text(uid, arg)
        elif line.isdigit() and 1 <= int(line) <= len(self.choices(uid)):
            label = self.choices(uid)[int(line) - 1]
            message_id = self.inline[uid][0] if uid in self.inline else None
            await self.client.press(uid, label, message_id=message_id)
        else:
            await self.client.send_text(uid, line)
        return True


async def chat(
    client: SandboxClient,
    users: dict[str, dict[str, Any]] | None = None,
    identity: str = "citizen",
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    settle: float = SETTLE_S,
    timeout: float = 10.0,
    register: bool = True,
) -> None:
    """Run the terminal chat until /quit or end of input.

    users: role -> user fields (id, first_name, username, language_code, phone_number);
    registered in the sandbox when `register`. After each line the terminal waits until the
    bot is idle for `settle` seconds (at most `timeout`), so piped scripts are deterministic.
    """
    users = users or DEFAULT_USERS
    if identity not in users:
        identity = next(iter(users))
    term = _Terminal(client, users, identity, out or sys.stdout, settle)
    if register:
        for u in users.values():
            await client.add_user(**u)
    term.printed = await client.seq()
    term.errors_seen = len(await client.errors())
    lines = _stdin_lines(stdin or sys.stdin, asyncio.get_running_loop())
    printer = asyncio.create_task(term.printer())
    term.say(f"(sandbox chat as {term.user['first_name']} ({identity}); /help for commands)")
    try:
        while True:
            line = await lines.get()
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            async with term.lock:
                term.say(f"{term.user['first_name']} ({term.role}) > {line}")
            try:
                acted = await term.handle(line)
            except SandboxError as exc:
                term.say(f"(sandbox: {exc})")
                continue
            if acted is False:
                break
            if acted is None:
                continue
            if not await client.wait_idle(quiet=settle, timeout=timeout):
                term.say(f"(the bot did not go quiet within {timeout:g}s: is it running?)")
            await term.drain()
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
