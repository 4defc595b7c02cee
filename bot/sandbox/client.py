"""Async client for the sandbox control API (/sandbox/...): plays users, observes the bot."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

UserRef = int | str | dict[str, Any]

# Outbox methods that are bot messages a user sees (wait_for's default).
# How long the bot must stay silent before a turn counts as over: longer than the bot's
# per-chat pacing (Telegram: about one message per second to a chat), so a second message of
# one turn, held back up to a second, still belongs to that turn.
SETTLE_S = 1.2

MESSAGE_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
)


class SandboxError(RuntimeError):
    pass


class SandboxClient:
    """Drive a sandbox: `async with SandboxClient(sb.url) as c: ...`.

    Users are referred to by id, first_name or username (or the dict add_user returned).
    Each user action moves that user's mark to the current end of the outbox, so
    `wait_for(user)` returns the bot's answers to that action.
    """

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None):
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None
        self._marks: dict[Any, int] = {}
        self._global_mark = 0
        self._user_keys: dict[str, int] = {}  # any reference (name, username, id) -> user id

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
            self._own_session = True
        return self._session

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        async with self.session.request(method, f"{self.base_url}/sandbox/{path}", **kw) as resp:
            data = await resp.json(content_type=None)
            if resp.status >= 400:
                raise SandboxError(data.get("error") if isinstance(data, dict) else data)
            return data

    def _ref(self, user: UserRef) -> Any:
        if isinstance(user, dict):
            return user["id"]
        return user

    async def _user_id(self, user: UserRef) -> int:
        ref = self._ref(user)
        if isinstance(ref, int):
            return ref
        key = str(ref).lstrip("@").casefold()
        if key not in self._user_keys:
            for u in await self.users():
                for name in (u["first_name"], u.get("username"), str(u["id"])):
                    if name:
                        self._user_keys[name.casefold()] = u["id"]
        if key not in self._user_keys:
            raise SandboxError(f"unknown sandbox user {ref!r}")
        return self._user_keys[key]

    async def _act(self, path: str, user: UserRef, **body: Any) -> dict[str, Any]:
        uid = await self._user_id(user)
        answer = await self._call("POST", path, json={"user": uid, **body})
        self._marks[uid] = answer["seq"]
        return answer

    # ----- users

    async def add_user(
        self,
        id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "vi",
        last_name: str | None = None,
        phone_number: str | None = None,
        started: bool = True,
    ) -> dict[str, Any]:
        """Register a user. started=False: the bot gets 403 until the user writes first."""
        body = {
            "id": id,
            "first_name": first_name,
            "username": username,
            "language_code": language_code,
            "last_name": last_name,
            "phone_number": phone_number,
            "started": started,
        }
        user = await self._call("POST", "users", json=body)
        self._user_keys.clear()
        return user

    async def users(self) -> list[dict[str, Any]]:
        return await self._call("GET", "users")

    # ----- acting as users (each returns {"update_id", "update", "seq"})

    async def send_text(self, user: UserRef, text: str) -> dict[str, Any]:
        return await self._act("send_text", user, text=text)

    async def press(
        self,
        user: UserRef,
        label: str,
        message_id: int | None = None,
        phone: str | None = None,
    ) -> dict[str, Any]:
        """Press a button by label (exact, then case-insensitive) on the latest bot message
        having it; inline -> callback_query, reply keyboard -> the label as text (a
        request_contact button shares `phone` or the user's registered phone_number)."""
        return await self._act("press", user, label=label, message_id=message_id, phone=phone)

    async def send_contact(
        self, user: UserRef, phone: str, first_name: str | None = None, own: bool = True
    ) -> dict[str, Any]:
        return await self._act("send_contact", user, phone=phone, first_name=first_name, own=own)

    async def send_media(
        self, user: UserRef, kind: str, caption: str | None = None, data: bytes | None = None
    ) -> dict[str, Any]:
        """kind: sticker | photo | voice | document; `data` is what getFile downloads."""
        raw = data.decode("latin-1") if data is not None else None
        return await self._act("send_media", user, kind=kind, caption=caption, data=raw)

    async def send_sticker(self, user: UserRef) -> dict[str, Any]:
        return await self.send_media(user, "sticker")

    async def send_photo(
        self, user: UserRef, caption: str | None = None, data: bytes | None = None
    ) -> dict[str, Any]:
        return await self.send_media(user, "photo", caption, data)

    async def send_voice(self, user: UserRef) -> dict[str, Any]:
        return await self.send_media(user, "voice")

    async def send_document(self, user: UserRef, caption: str | None = None) -> dict[str, Any]:
        return await self.send_media(user, "document", caption)

    async def block(self, user: UserRef) -> dict[str, Any]:
        return await self._act("block", user)

    async def unblock(self, user: UserRef) -> dict[str, Any]:
        return await self._act("unblock", user)

    # ----- observing the bot

    async def outbox(
        self,
        since: int = 0,
        user: UserRef | None = None,
        methods: tuple[str, ...] | None = None,
        wait: float = 0.0,
    ) -> list[dict[str, Any]]:
        """Outbox entries after `since`; with `wait`, long-poll until at least one arrives."""
        params: dict[str, Any] = {"since": since, "wait": wait}
        if user is not None:
            params["chat_id"] = await self._user_id(user)
        if methods:
            params["methods"] = ",".join(methods)
        return (await self._call("GET", "outbox", params=params))["entries"]

    async def seq(self) -> int:
        return (await self._call("GET", "health"))["seq"]

    async def mark(self, user: UserRef | None = None) -> int:
        """Move the mark (of `user`, or the global one) to the end of the outbox."""
        seq = await self.seq()
        if user is None:
            self._global_mark = seq
        else:
            self._marks[await self._user_id(user)] = seq
        return seq

    async def wait_for(
        self,
        user: UserRef | None = None,
        count: int = 1,
        timeout: float = 5.0,
        methods: tuple[str, ...] | None = MESSAGE_METHODS,
    ) -> list[dict[str, Any]]:
        """Wait for `count` bot messages to `user` (any chat when None) after the mark, return
        exactly those and move the mark past them. Raises TimeoutError with what did arrive."""
        uid = await self._user_id(user) if user is not None else None
        since = self._marks.get(uid, 0) if uid is not None else self._global_mark
        params: dict[str, Any] = {"since": since, "count": count, "wait": timeout}
        if uid is not None:
            params["chat_id"] = uid
        if methods:
            params["methods"] = ",".join(methods)
        deadline = time.monotonic() + timeout
        while True:
            params["wait"] = max(deadline - time.monotonic(), 0)
            entries = (await self._call("GET", "outbox", params=params))["entries"]
            if len(entries) >= count:
                break
            if time.monotonic() >= deadline:
                got = [(e["method"], e["text"]) for e in entries]
                raise TimeoutError(
                    f"waited {timeout}s for {count} bot message(s) to {user!r}; got {got}"
                )
        entries = entries[:count]
        last = entries[-1]["seq"]
        if uid is not None:
            self._marks[uid] = last
        else:
            self._global_mark = last
        return entries

    async def wait_idle(self, quiet: float = 0.5, timeout: float = 10.0) -> bool:
        """Wait until no update awaits pickup and the bot was silent for `quiet` seconds."""
        answer = await self._call("POST", "wait_idle", json={"quiet": quiet, "timeout": timeout})
        return bool(answer["idle"])

    async def messages(self, user: UserRef) -> list[dict[str, Any]]:
        """The chat history with `user` as the sandbox holds it (edits applied)."""
        return await self._call("GET", "messages", params={"user": await self._user_id(user)})

    async def stats(self) -> dict[str, Any]:
        return await self._call("GET", "stats")

    async def latencies(self) -> list[dict[str, Any]]:
        return await self._call("GET", "latencies")

    async def violations(self) -> list[dict[str, Any]]:
        return await self._call("GET", "violations")

    async def errors(self, since: int = 0) -> list[dict[str, Any]]:
        """Error answers the bot got (400/403/404/429...), each with method, chat_id, seq."""
        return await self._call("GET", "errors", params={"since": since})

    async def config(self, **settings: Any) -> dict[str, Any]:
        """Read, or change (mode, global_rate, per_chat_rate, global_burst, per_chat_burst)."""
        if settings:
            return await self._call("POST", "config", json=settings)
        return await self._call("GET", "config")

    async def reset(self) -> None:
        """Clear outbox, stats and violations (users and chats stay)."""
        await self._call("POST", "reset")
        self._marks.clear()
        self._global_mark = 0

    async def bot_settings(self) -> dict[str, Any]:
        return await self._call("GET", "bot")
