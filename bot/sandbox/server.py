"""A local fake Telegram Bot API server for python-telegram-bot 22 bots.

Bot API: `/bot<token>/<method>` (GET/POST; JSON, form-urlencoded or multipart bodies), files at
`/file/bot<token>/<file_path>`. Control API for tests and tools: `/sandbox/...` (JSON).

Point PTB at it with `.base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")`: PTB appends the
token to both.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from .formatting import EntityParseError, parse_text, utf16_len
from .ratelimit import FloodControl

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Methods whose answer is a message the user sees: they count for flood control and latency.
SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}
EDIT_METHODS = {"editmessagetext", "editmessagereplymarkup", "editmessagecaption"}
MESSAGE_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
)
DEFAULT_UPDATE_TYPES = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_join_request",
}
# A well-formed token for local runs without a real one (bot id 123456).
DEFAULT_TOKEN = "123456:SANDBOX-token"
_TOKEN_RE = re.compile(r"^(\d+):[\w-]+$")


class ApiError(Exception):
    """A Bot API error answer: HTTP status equals error_code, like Telegram."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def _now() -> float:
    return time.time()


@dataclass
class SandboxUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "vi"
    phone_number: str | None = None
    started: bool = True  # False: the bot cannot message them until they write first
    blocked: bool = False

    def as_user(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def as_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data

    def public(self) -> dict[str, Any]:
        return {**self.__dict__}


@dataclass
class ChatState:
    user: SandboxUser
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None  # the reply keyboard the user currently sees
    awaiting_reply: list[UpdateRecord] = field(default_factory=list)

    def new_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class UpdateRecord:
    update_id: int
    kind: str
    payload: dict[str, Any]
    chat_id: int | None
    enqueued: float
    delivered: float | None = None
    replied: float | None = None

    def latency(self) -> dict[str, Any]:
        return {
            "update_id": self.update_id,
            "kind": self.kind,
            "chat_id": self.chat_id,
            "enqueued": self.enqueued,
            "delivered": self.delivered,
            "replied": self.replied,
            "pickup_delay": None if self.delivered is None else self.delivered - self.enqueued,
            "reply_latency": None if self.replied is None else self.replied - self.enqueued,
        }


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def file_path(self) -> str:
        return f"files/{self.file_unique_id}"


class Notifier:
    """Wakes every waiter when something changes (new update, new outbox entry)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
            return True
        except TimeoutError:
            return False


class SandboxState:
    """The whole fake Telegram world: users, chats, the update queue and the bot's outbox."""

    def __init__(
        self,
        flood: FloodControl,
        bot_username: str = "sandbox_bot",
        bot_first_name: str = "Sandbox Bot",
        token: str | None = None,
    ) -> None:
        self.flood = flood
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.token = token
        self.bot_id: int = int(token.split(":")[0]) if token else 0
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, ChatState] = {}
        self.queue: list[UpdateRecord] = []  # not yet confirmed by offset
        self.update_log: list[UpdateRecord] = []
        self.next_update_id = 1000
        self.allowed_updates: set[str] = set(DEFAULT_UPDATE_TYPES)
        self.outbox: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []  # every error answer given to the bot
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}  # id -> {"answered", "chat_id"}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[str, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.update_notifier = Notifier()
        self.outbox_notifier = Notifier()
        self.poll_generation = 0
        self.inflight = 0  # Bot API calls being handled, getUpdates excluded
        self.last_activity = time.monotonic()  # last outbox entry or update delivery
        self._ids = itertools.count(1)

    # ----- users and updates -------------------------------------------------------------

    def add_user(self, **data: Any) -> SandboxUser:
        allowed = SandboxUser.__dataclass_fields__.keys()
        unknown = set(data) - set(allowed)
        if unknown:
            raise ValueError(f"unknown user fields: {sorted(unknown)}")
        user = SandboxUser(**data)
        user.id = int(user.id)
        if user.id in self.users:
            old = self.users[user.id]
            user.blocked = old.blocked
            self.chats[user.id].user = user
        else:
            self.chats[user.id] = ChatState(user)
        self.users[user.id] = user
        return user

    def resolve_user(self, ref: Any) -> SandboxUser:
        if isinstance(ref, dict):
            ref = ref.get("id", ref.get("first_name"))
        if isinstance(ref, int) or (isinstance(ref, str) and ref.lstrip("-").isdigit()):
            user = self.users.get(int(ref))
            if user:
                return user
        if isinstance(ref, str):
            key = ref.lstrip("@").casefold()
            for user in self.users.values():
                if user.first_name.casefold() == key or (user.username or "").casefold() == key:
                    return user
        raise KeyError(f"unknown sandbox user {ref!r}")

    def enqueue(self, kind: str, body: dict[str, Any], chat_id: int | None) -> UpdateRecord:
        update_id = self.next_update_id
        self.next_update_id += 1
        record = UpdateRecord(
            update_id, kind, {"update_id": update_id, kind: body}, chat_id, _now()
        )
        self.queue.append(record)
        self.update_log.append(record)
        if chat_id is not None and kind in ("message", "callback_query"):
            self.chats[chat_id].awaiting_reply.append(record)
        self.update_notifier.notify()
        return record

    def user_message(self, user: SandboxUser, **content: Any) -> dict[str, Any]:
        chat = self.chats[user.id]
        if user.blocked:  # writing to a blocked bot means pressing "Restart": unblock first
            self.set_blocked(user, False)
        user.started = True
        msg = {
            "message_id": chat.new_message_id(),
            "from": user.as_user(),
            "chat": user.as_chat(),
            "date": int(_now()),
            **content,
        }
        chat.messages[msg["message_id"]] = msg
        return msg

    def send_text(self, user: SandboxUser, text: str) -> UpdateRecord:
        content: dict[str, Any] = {"text": text}
        match = re.match(r"^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if match:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}
            ]
        msg = self.user_message(user, **content)
        if chat_keyboard := self.chats[user.id].reply_keyboard:
            if chat_keyboard.get("one_time_keyboard"):
                self.chats[user.id].reply_keyboard = None
        return self.enqueue("message", msg, user.id)

    def send_contact(
        self, user: SandboxUser, phone: str, first_name: str | None = None, own: bool = True
    ) -> UpdateRecord:
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or user.first_name,
        }
        if own:
            contact["user_id"] = user.id
            if user.last_name:
                contact["last_name"] = user.last_name
        msg = self.user_message(user, contact=contact)
        return self.enqueue("message", msg, user.id)

    def new_file(
        self, data: bytes | None, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        unique = f"U{next(self._ids):06d}{secrets.token_hex(4)}"
        stored = StoredFile(
            f"F{secrets.token_hex(12)}_{unique}", unique, data, file_name, mime_type
        )
        self.files[stored.file_id] = stored
        return stored

    def send_media(
        self,
        user: SandboxUser,
        kind: str,
        caption: str | None = None,
        data: bytes | None = None,
        emoji: str = "👍",
        duration: int = 3,
        file_name: str = "document.pdf",
    ) -> UpdateRecord:
        content: dict[str, Any] = {}
        if kind == "sticker":
            f = self.new_file(data or b"RIFF-sticker", mime_type="image/webp")
            content["sticker"] = {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
                "file_size": len(f.data or b""),
            }
        elif kind == "photo":
            f = self.new_file(data or b"\xff\xd8\xff-photo", mime_type="image/jpeg")
            content["photo"] = [_photo_size(f, 90, 90), _photo_size(f, 800, 600)]
        elif kind == "voice":
            f = self.new_file(data or b"OggS-voice", mime_type="audio/ogg")
            content["voice"] = {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": len(f.data or b""),
            }
        elif kind == "document":
            f = self.new_file(data or b"%PDF-1.4", file_name, "application/pdf")
            content["document"] = _document(f)
        else:
            raise ValueError(f"unknown media kind {kind!r}")
        if caption:
            content["caption"] = caption
        msg = self.user_message(user, **content)
        return self.enqueue("message", msg, user.id)

    def set_blocked(self, user: SandboxUser, blocked: bool) -> UpdateRecord:
        member = {"user": self.bot_user(), "status": "member"}
        kicked = {"user": self.bot_user(), "status": "kicked", "until_date": 0}
        user.blocked = blocked
        body = {
            "chat": user.as_chat(),
            "from": user.as_user(),
            "date": int(_now()),
            "old_chat_member": member if blocked else kicked,
            "new_chat_member": kicked if blocked else member,
        }
        return self.enqueue("my_chat_member", body, None)

    def find_button(
        self, user: SandboxUser, label: str, message_id: int | None = None
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Find a button by label: ("inline", button, message) or ("reply", button, None)."""
        chat = self.chats[user.id]
        bot_messages = [
            m
            for mid, m in sorted(chat.messages.items(), reverse=True)
            if m.get("from", {}).get("is_bot") and (message_id is None or mid == message_id)
        ]
        reply_buttons = []
        if chat.reply_keyboard and message_id is None:
            reply_buttons = [
                b if isinstance(b, dict) else {"text": b}
                for row in chat.reply_keyboard.get("keyboard", [])
                for b in row
            ]
        # exact, then case-insensitive, then a label that contains the words ("Đồng ý" presses
        # "✅ Đồng ý chia sẻ"), as a person reads a button by its words rather than its emoji
        matchers = [
            lambda a, b: a == b,
            lambda a, b: a.casefold().strip() == b.casefold().strip(),
            lambda a, b: b.casefold().strip() in a.casefold(),
        ]
        for same in matchers:
            for msg in bot_messages:
                for row in msg.get("reply_markup", {}).get("inline_keyboard", []):
                    for button in row:
                        if same(button.get("text", ""), label):
                            return "inline", button, msg
            for button in reply_buttons:
                if same(button.get("text", ""), label):
                    return "reply", button, None
        raise KeyError(f"no button {label!r} in the chat with {user.first_name}")

    def press(
        self,
        user: SandboxUser,
        label: str,
        message_id: int | None = None,
        phone: str | None = None,
    ) -> UpdateRecord:
        kind, button, msg = self.find_button(user, label, message_id)
        if kind == "reply":
            if button.get("request_contact"):
                number = phone or user.phone_number
                if not number:
                    raise ValueError(
                        f"button {label!r} shares the contact: give a phone or use send_contact"
                    )
                record = self.send_contact(user, number)
            else:
                record = self.send_text(user, button["text"])
            if (self.chats[user.id].reply_keyboard or {}).get("one_time_keyboard"):
                self.chats[user.id].reply_keyboard = None
            return record
        if "callback_data" not in button:
            raise ValueError(f"button {label!r} has no callback_data (url/web_app buttons)")
        assert msg is not None
        query_id = str(next(self._ids) * 7919 + 10**15)
        self.callback_queries[query_id] = {"answered": False, "chat_id": user.id}
        body = {
            "id": query_id,
            "from": user.as_user(),
            "message": msg,
            "chat_instance": str(-(user.id * 31 + 17)),
            "data": button["callback_data"],
        }
        return self.enqueue("callback_query", body, user.id)

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ----- outbox ---------------------------------------------------------------------

    def record(self, method: str, chat_id: int | None, **data: Any) -> dict[str, Any]:
        user = self.users.get(chat_id) if chat_id is not None else None
        entry = {
            "seq": len(self.outbox) + 1,
            "to": user.first_name if user else chat_id,
            "chat_id": chat_id,
            "method": method,
            "text": data.pop("text", None),
            "buttons": _button_labels(data.get("reply_markup")),
            "message_id": data.pop("message_id", None),
            "reply_markup": data.pop("reply_markup", None),
            "ts": _now(),
            **data,
        }
        self.outbox.append(entry)
        self.last_activity = time.monotonic()
        if chat_id is not None and method in MESSAGE_METHODS:
            chat = self.chats.get(chat_id)
            if chat:
                # the bot cannot answer an update it has not fetched yet
                for rec in chat.awaiting_reply:
                    if rec.delivered is not None:
                        rec.replied = entry["ts"]
                chat.awaiting_reply = [r for r in chat.awaiting_reply if r.replied is None]
        self.outbox_notifier.notify()
        return entry

    def select_outbox(
        self, since: int = 0, chat_id: int | None = None, methods: set[str] | None = None
    ) -> list[dict[str, Any]]:
        return [
            e
            for e in self.outbox[since:]
            if (chat_id is None or e["chat_id"] == chat_id)
            and (methods is None or e["method"] in methods)
        ]

    def pending_updates(self) -> int:
        return sum(1 for r in self.queue if r.delivered is None)

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "count_429": self.statuses[429],
            "count_403": self.statuses[403],
            "count_400": self.statuses[400],
            "violations": self.flood.counts(),
            "outbox": len(self.outbox),
            "updates": len(self.update_log),
            "pending_updates": self.pending_updates(),
            "reply_latency": self.latency_summary(),
            "flood": self.flood.config(),
        }

    def latency_summary(self) -> dict[str, Any]:
        values = sorted(r.replied - r.enqueued for r in self.update_log if r.replied is not None)
        waiting = sum(1 for r in self.update_log if r.chat_id is not None and r.replied is None)

        def pct(q: float) -> float | None:
            return values[min(len(values) - 1, int(q * len(values)))] if values else None

        return {
            "replied": len(values),
            "unreplied": waiting,
            "p50": pct(0.5),
            "p95": pct(0.95),
            "max": values[-1] if values else None,
        }

    def reset_observations(self) -> None:
        self.outbox.clear()
        self.errors.clear()
        self.requests.clear()
        self.statuses.clear()
        self.flood.violations.clear()
        self.update_log = [r for r in self.update_log if r.delivered is None]


def _photo_size(f: StoredFile, width: int, height: int) -> dict[str, Any]:
    return {
        "file_id": f.file_id,
        "file_unique_id": f.file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(f.data or b""),
    }


def _document(f: StoredFile) -> dict[str, Any]:
    doc: dict[str, Any] = {"file_id": f.file_id, "file_unique_id": f.file_unique_id}
    if f.file_name:
        doc["file_name"] = f.file_name
    if f.mime_type:
        doc["mime_type"] = f.mime_type
    doc["file_size"] = len(f.data or b"")
    return doc


def _button_labels(markup: dict[str, Any] | None) -> list[str]:
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [b["text"] if isinstance(b, dict) else str(b) for row in rows for b in row]


# ----- parameter helpers (values arrive JSON-typed or as form strings) ---------------------


class Params:
    def __init__(self, data: dict[str, Any], files: dict[str, web.FileField]):
        self.data = data
        self.files = files

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def get_str(self, name: str, required: bool = False, what: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise bad_request(f"{what or name} is empty")
            return None
        return value if isinstance(value, str) else str(value)

    def get_int(self, name: str, default: int | None = None, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.data.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value


async def read_params(request: web.Request) -> Params:
    data: dict[str, Any] = dict(request.query)
    files: dict[str, web.FileField] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON") from None
            if isinstance(body, dict):
                data.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value
                else:
                    data[key] = value
    return Params(data, files)


# ----- the Bot API --------------------------------------------------------------------


class BotApi:
    def __init__(self, state: SandboxState, http: ClientSession | None = None):
        self.state = state
        self.http = http
        self.methods = {
            name[4:].lower(): getattr(self, name) for name in dir(self) if name.startswith("api_")
        }
        self._webhook_task: asyncio.Task[None] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        st = self.state
        st.requests[method] += 1
        params: Params | None = None
        try:
            match = _TOKEN_RE.match(token)
            if not match:
                raise ApiError(404, "Not Found")
            if st.token and token != st.token:
                raise ApiError(401, "Unauthorized")
            if not st.bot_id:
                st.bot_id = int(match.group(1))
            handler = self.methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            params = await read_params(request)
            busy = method.lower() != "getupdates"
            if busy:
                st.inflight += 1
            try:
                result = await handler(params)
            finally:
                if busy:
                    st.inflight -= 1
                    # any call (even sendChatAction) shows the bot is still working
                    st.last_activity = time.monotonic()
            st.statuses[200] += 1
            return web.json_response({"ok": True, "result": result}, dumps=_dumps)
        except ApiError as exc:
            st.statuses[exc.code] += 1
            chat_id = request.query.get("chat_id") or (params.raw("chat_id") if params else None)
            st.errors.append(
                {
                    "seq": len(st.errors) + 1,
                    "ts": _now(),
                    "method": method,
                    "chat_id": int(str(chat_id)) if str(chat_id).lstrip("-").isdigit() else None,
                    "error_code": exc.code,
                    "description": exc.description,
                }
            )
            return web.json_response(exc.payload(), status=exc.code, dumps=_dumps)

    # --- helpers

    def chat_for(self, params: Params, *, sending: bool, method: str) -> ChatState:
        chat_id = params.raw("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        chat = self.state.chats.get(cid)
        if chat is None:
            raise bad_request("chat not found")
        if sending:
            if chat.user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            if method.lower() in SEND_METHODS:
                retry_after = self.state.flood.check(cid, method)
                if retry_after:
                    raise ApiError(
                        429,
                        f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after},
                    )
        return chat

    def formatted(
        self, params: Params, field_name: str, limit: int, too_long: str
    ) -> tuple[str | None, list[dict[str, Any]]]:
        raw = params.get_str(field_name)
        if raw is None:
            return None, []
        entities_param = params.get_json(
            "caption_entities" if field_name == "caption" else "entities"
        )
        try:
            text, entities = parse_text(raw, params.get_str("parse_mode"))
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        if entities_param and not params.get_str("parse_mode"):
            entities = entities_param
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, entities

    def markup(self, params: Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            actions = {"callback_data", "url", "web_app", "login_url", "switch_inline_query"}
            actions |= {"switch_inline_query_current_chat", "callback_game", "pay", "copy_text"}
            actions |= {"switch_inline_query_chosen_chat"}
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request("can't parse inline keyboard button: Text is empty")
                    if not actions & button.keys():
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not (1 <= len(str(data).encode()) <= 64):
                        raise bad_request("BUTTON_DATA_INVALID")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request("can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not text:
                        raise bad_request("can't parse keyboard button: Text is empty")
        elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
            raise bad_request('can\'t find field "inline_keyboard"')
        return markup

    def reply_target(self, params: Params, chat: ChatState) -> dict[str, Any] | None:
        reply = params.get_json("reply_parameters") or {}
        if not isinstance(reply, dict):
            raise bad_request("can't parse reply parameters JSON object")
        mid = reply.get("message_id") or params.get_int("reply_to_message_id")
        if not mid:
            return None
        target = chat.messages.get(int(mid))
        if target is None:
            if reply.get("allow_sending_without_reply") or params.get_bool(
                "allow_sending_without_reply"
            ):
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def bot_message(
        self,
        chat: ChatState,
        markup: dict[str, Any] | None,
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "from": self.state.bot_user(),
            "chat": chat.user.as_chat(),
            "date": int(_now()),
        }
        msg.update({k: v for k, v in content.items() if v not in (None, [])})
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        elif markup and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        chat.messages[msg["message_id"]] = msg
        return msg

    def file_input(self, params: Params, name: str, default_mime: str) -> StoredFile:
        upload = params.files.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.files.get(value[len("attach://") :])
        if upload is not None:
            data = upload.file.read()
            return self.state.new_file(data, upload.filename, upload.content_type or default_mime)
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if value in self.state.files:
            return self.state.files[value]
        if value.startswith(("http://", "https://")):
            stored = self.state.new_file(None, value.rsplit("/", 1)[-1] or None, default_mime)
            stored.url = value
            return stored
        raise bad_request("wrong file identifier/HTTP URL specified")

    def editable(self, params: Params, method: str) -> tuple[ChatState, dict[str, Any]]:
        if params.raw("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        chat = self.chat_for(params, sending=True, method=method)
        mid = params.get_int("message_id", required=True)
        msg = chat.messages.get(mid) if mid is not None else None
        if msg is None:
            raise bad_request("message to edit not found")
        if not msg.get("from", {}).get("is_bot"):
            raise bad_request("message can't be edited")
        return chat, msg

    # --- getting updates and webhooks

    async def api_getMe(self, params: Params) -> dict[str, Any]:
        return {
            **self.state.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        st = self.state
        if st.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset", 0) or 0
        limit = min(max(params.get_int("limit", 100) or 100, 1), 100)
        timeout = max(params.get_float("timeout", 0.0), 0.0)
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            st.allowed_updates = set(allowed) if allowed else set(DEFAULT_UPDATE_TYPES)
        st.poll_generation += 1
        generation = st.poll_generation
        st.update_notifier.notify()  # wakes an older long poll, which then answers 409
        deadline = time.monotonic() + timeout
        while True:
            if offset > 0:
                st.queue = [r for r in st.queue if r.update_id >= offset]
            elif offset < 0:
                st.queue = st.queue[offset:]
            # updates of types the bot did not ask for are dropped, like Telegram does
            st.queue = [r for r in st.queue if r.kind in st.allowed_updates]
            batch = st.queue[:limit]
            if batch or time.monotonic() >= deadline:
                break
            await st.update_notifier.wait(deadline - time.monotonic())
            if st.poll_generation != generation or st.webhook.get("url"):
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        now = _now()
        for record in batch:
            if record.delivered is None:
                record.delivered = now
                st.last_activity = time.monotonic()
        return [r.payload for r in batch]

    async def api_setWebhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if url and not url.startswith(("http://", "https://")):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        if params.get_bool("drop_pending_updates"):
            self.state.queue.clear()
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            self.state.allowed_updates = set(allowed) if allowed else set(DEFAULT_UPDATE_TYPES)
        self.state.webhook = {"url": url, "secret_token": params.get_str("secret_token")}
        self.state.update_notifier.notify()
        return True

    async def api_deleteWebhook(self, params: Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self.state.queue.clear()
        self.state.webhook = {}
        return True

    async def api_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.state.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.queue),
        }
        if self.state.webhook.get("url"):
            info["allowed_updates"] = sorted(self.state.allowed_updates)
            info["max_connections"] = 40
        return info

    async def api_logOut(self, params: Params) -> bool:
        return True

    async def api_close(self, params: Params) -> bool:
        return True

    async def deliver_webhooks(self) -> None:
        """Push queued updates to the webhook URL, one at a time, like Telegram."""
        st = self.state
        while True:
            url = st.webhook.get("url")
            if not url or not st.queue or self.http is None:
                await st.update_notifier.wait(1.0)
                continue
            record = st.queue[0]
            headers = {}
            if st.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = st.webhook["secret_token"]
            record.delivered = record.delivered or _now()
            st.last_activity = time.monotonic()
            try:
                async with self.http.post(url, json=record.payload, headers=headers) as resp:
                    ok = resp.status < 300
            except Exception:  # the bot's webhook may be down; retry like Telegram does
                ok = False
            if ok:
                if st.queue and st.queue[0] is record:
                    st.queue.pop(0)
            else:
                await asyncio.sleep(0.5)

    # --- messages

    async def api_sendMessage(self, params: Params) -> dict[str, Any]:
        text, entities = self.formatted(params, "text", MAX_TEXT, "message is too long")
        if text is None or not text.strip():
            if params.raw("chat_id") in (None, ""):
                raise bad_request("chat_id is empty")
            raise bad_request("message text is empty")
        markup = self.markup(params)
        chat = self.chat_for(params, sending=False, method="sendMessage")
        reply_to = self.reply_target(params, chat)
        chat = self.chat_for(params, sending=True, method="sendMessage")
        msg = self.bot_message(chat, markup, reply_to, text=text, entities=entities)
        self.state.record(
            "sendMessage",
            chat.user.id,
            text=text,
            message_id=msg["message_id"],
            reply_markup=markup,
            parse_mode=params.get_str("parse_mode"),
            raw_text=params.get_str("text"),
            entities=entities,
        )
        return msg

    async def _send_file(self, params: Params, method: str, name: str) -> dict[str, Any]:
        caption, entities = self.formatted(
            params, "caption", MAX_CAPTION, "message caption is too long"
        )
        markup = self.markup(params)
        chat = self.chat_for(params, sending=False, method=method)
        reply_to = self.reply_target(params, chat)
        stored = self.file_input(
            params, name, "image/jpeg" if name == "photo" else "application/octet-stream"
        )
        chat = self.chat_for(params, sending=True, method=method)
        media: Any = (
            [_photo_size(stored, 90, 90), _photo_size(stored, 1280, 960)]
            if name == "photo"
            else _document(stored)
        )
        msg = self.bot_message(
            chat,
            markup,
            reply_to,
            **{name: media, "caption": caption, "caption_entities": entities},
        )
        self.state.record(
            method,
            chat.user.id,
            text=caption,
            message_id=msg["message_id"],
            reply_markup=markup,
            file_id=stored.file_id,
            file_name=stored.file_name,
            parse_mode=params.get_str("parse_mode"),
        )
        return msg

    async def api_sendPhoto(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "sendPhoto", "photo")

    async def api_sendDocument(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "sendDocument", "document")

    async def api_getFile(self, params: Params) -> dict[str, Any]:
        file_id = params.get_str("file_id", required=True)
        stored = self.state.files.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        result: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        if stored.data is not None:
            result["file_size"] = len(stored.data)
            result["file_path"] = stored.file_path
        return result

    async def api_editMessageText(self, params: Params) -> dict[str, Any]:
        text, entities = self.formatted(params, "text", MAX_TEXT, "message is too long")
        if text is None or not text.strip():
            raise bad_request("message text is empty")
        markup = self.markup(params)
        chat, msg = self.editable(params, "editMessageText")
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if (
            msg.get("text") == text
            and msg.get("entities", []) == entities
            and msg.get("reply_markup") == new_markup
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg["text"] = text
        msg.pop("entities", None)
        if entities:
            msg["entities"] = entities
        self._set_inline_markup(msg, new_markup)
        self.state.record(
            "editMessageText",
            chat.user.id,
            text=text,
            message_id=msg["message_id"],
            reply_markup=new_markup,
            parse_mode=params.get_str("parse_mode"),
            raw_text=params.get_str("text"),
        )
        return msg

    def _set_inline_markup(self, msg: dict[str, Any], markup: dict[str, Any] | None) -> None:
        msg["edit_date"] = int(_now())
        # Telegram drops the inline keyboard when an edit carries none
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)

    async def api_editMessageReplyMarkup(self, params: Params) -> dict[str, Any]:
        markup = self.markup(params)
        if markup and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        chat, msg = self.editable(params, "editMessageReplyMarkup")
        if msg.get("reply_markup") == (markup or None) or (
            not msg.get("reply_markup") and not (markup or {}).get("inline_keyboard")
        ):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._set_inline_markup(msg, markup)
        self.state.record(
            "editMessageReplyMarkup",
            chat.user.id,
            text=msg.get("text", msg.get("caption")),
            message_id=msg["message_id"],
            reply_markup=markup,
        )
        return msg

    async def api_editMessageCaption(self, params: Params) -> dict[str, Any]:
        caption, entities = self.formatted(
            params, "caption", MAX_CAPTION, "message caption is too long"
        )
        markup = self.markup(params)
        chat, msg = self.editable(params, "editMessageCaption")
        if "text" in msg:
            raise bad_request("there is no caption in the message to edit")
        new_markup = markup if markup and "inline_keyboard" in markup else None
        if msg.get("caption") == caption and msg.get("reply_markup") == new_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        msg.pop("caption", None)
        msg.pop("caption_entities", None)
        if caption:
            msg["caption"] = caption
        if entities:
            msg["caption_entities"] = entities
        self._set_inline_markup(msg, new_markup)
        self.state.record(
            "editMessageCaption",
            chat.user.id,
            text=caption,
            message_id=msg["message_id"],
            reply_markup=new_markup,
        )
        return msg

    async def api_deleteMessage(self, params: Params) -> bool:
        chat = self.chat_for(params, sending=False, method="deleteMessage")
        mid = params.get_int("message_id", required=True)
        if mid not in chat.messages:
            raise bad_request("message to delete not found")
        del chat.messages[mid]
        self.state.record("deleteMessage", chat.user.id, message_id=mid)
        return True

    async def api_answerCallbackQuery(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id", required=True)
        query = self.state.callback_queries.get(query_id or "")
        if query is None or query["answered"]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get_str("text")
        if text and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query["answered"] = True
        self.state.record(
            "answerCallbackQuery",
            query["chat_id"],
            text=text,
            callback_query_id=query_id,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
        )
        return True

    async def api_sendChatAction(self, params: Params) -> bool:
        action = params.get_str("action")
        valid = {"typing", "upload_photo", "record_video", "upload_video", "record_voice"}
        valid |= {"upload_voice", "upload_document", "choose_sticker", "find_location"}
        valid |= {"record_video_note", "upload_video_note"}
        if action not in valid:
            raise bad_request("wrong parameter action in request")
        self.chat_for(params, sending=True, method="sendChatAction")
        return True

    # --- bot settings

    def _commands_key(self, params: Params) -> str:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps([scope, params.get_str("language_code") or ""], sort_keys=True)

    async def api_setMyCommands(self, params: Params) -> bool:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        for cmd in commands:
            name = cmd.get("command", "") if isinstance(cmd, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not (1 <= len(cmd.get("description", "")) <= 256):
                raise bad_request("command description is empty")
        self.state.commands[self._commands_key(params)] = commands
        return True

    async def api_getMyCommands(self, params: Params) -> list[dict[str, Any]]:
        return self.state.commands.get(self._commands_key(params), [])

    async def api_deleteMyCommands(self, params: Params) -> bool:
        self.state.commands.pop(self._commands_key(params), None)
        return True

    async def api_setChatMenuButton(self, params: Params) -> bool:
        key = params.get_str("chat_id") or ""
        if key and int(key) not in self.state.chats:
            raise bad_request("chat not found")
        button = params.get_json("menu_button") or {"type": "default"}
        self.state.menu_buttons[key] = button
        return True

    async def api_getChatMenuButton(self, params: Params) -> dict[str, Any]:
        key = params.get_str("chat_id") or ""
        return (
            self.state.menu_buttons.get(key)
            or self.state.menu_buttons.get("")
            or {"type": "commands"}
        )

    async def api_getChat(self, params: Params) -> dict[str, Any]:
        chat = self.chat_for(params, sending=False, method="getChat")
        return {
            **chat.user.as_chat(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


# ----- control API ------------------------------------------------------------------------


class ControlApi:
    """JSON endpoints under /sandbox/ used by SandboxClient, tests, the terminal and benches."""

    def __init__(self, state: SandboxState):
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/sandbox/health", self.health),
            web.get("/sandbox/users", self.list_users),
            web.post("/sandbox/users", self.add_user),
            web.post("/sandbox/send_text", self.send_text),
            web.post("/sandbox/press", self.press),
            web.post("/sandbox/send_contact", self.send_contact),
            web.post("/sandbox/send_media", self.send_media),
            web.post("/sandbox/block", self.block),
            web.post("/sandbox/unblock", self.unblock),
            web.get("/sandbox/outbox", self.outbox),
            web.post("/sandbox/wait_idle", self.wait_idle),
            web.get("/sandbox/stats", self.stats),
            web.get("/sandbox/latencies", self.latencies),
            web.get("/sandbox/violations", self.violations),
            web.get("/sandbox/errors", self.errors),
            web.get("/sandbox/config", self.get_config),
            web.post("/sandbox/config", self.set_config),
            web.post("/sandbox/reset", self.reset),
            web.get("/sandbox/messages", self.messages),
            web.get("/sandbox/bot", self.bot_settings),
        ]

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        return web.json_response(data, status=status, dumps=_dumps)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        body = await request.json()
        return body if isinstance(body, dict) else {}

    def _user(self, body: dict[str, Any]) -> SandboxUser:
        try:
            return self.state.resolve_user(body.get("user"))
        except KeyError as exc:
            raise web.HTTPNotFound(
                text=json.dumps({"error": str(exc)}), content_type="application/json"
            ) from None

    def _update_answer(self, record: UpdateRecord) -> web.Response:
        return self._json(
            {"update_id": record.update_id, "update": record.payload, "seq": len(self.state.outbox)}
        )

    async def health(self, request: web.Request) -> web.Response:
        return self._json({"ok": True, "seq": len(self.state.outbox)})

    async def list_users(self, request: web.Request) -> web.Response:
        return self._json([u.public() for u in self.state.users.values()])

    async def add_user(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            user = self.state.add_user(**body)
        except (TypeError, ValueError) as exc:
            return self._json({"error": str(exc)}, 400)
        return self._json(user.public())

    async def send_text(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return self._update_answer(self.state.send_text(self._user(body), str(body["text"])))

    async def press(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user = self._user(body)
        try:
            record = self.state.press(
                user, str(body["label"]), body.get("message_id"), body.get("phone")
            )
        except (KeyError, ValueError) as exc:
            return self._json({"error": str(exc).strip("'\"")}, 404)
        return self._update_answer(record)

    async def send_contact(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        record = self.state.send_contact(
            self._user(body), str(body["phone"]), body.get("first_name"), body.get("own", True)
        )
        return self._update_answer(record)

    async def send_media(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        data = body.get("data")
        try:
            record = self.state.send_media(
                self._user(body),
                body["kind"],
                caption=body.get("caption"),
                data=data.encode("latin-1") if isinstance(data, str) else None,
            )
        except ValueError as exc:
            return self._json({"error": str(exc)}, 400)
        return self._update_answer(record)

    async def block(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return self._update_answer(self.state.set_blocked(self._user(body), True))

    async def unblock(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return self._update_answer(self.state.set_blocked(self._user(body), False))

    async def outbox(self, request: web.Request) -> web.Response:
        """GET ?since=&chat_id=&methods=a,b&count=&wait= ; with wait, long-polls for count."""
        q = request.query
        since = int(q.get("since", 0))
        chat_id = int(q["chat_id"]) if q.get("chat_id") else None
        if q.get("user"):
            try:
                chat_id = self.state.resolve_user(q["user"]).id
            except KeyError as exc:
                return self._json({"error": str(exc).strip("'\"")}, 404)
        methods = set(q["methods"].split(",")) if q.get("methods") else None
        count = int(q.get("count", 0))
        deadline = time.monotonic() + float(q.get("wait", 0))
        while True:
            entries = self.state.select_outbox(since, chat_id, methods)
            remaining = deadline - time.monotonic()
            if len(entries) >= max(count, 1) or remaining <= 0:
                break
            await self.state.outbox_notifier.wait(remaining)
        return self._json({"entries": entries, "seq": len(self.state.outbox)})

    async def wait_idle(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        quiet = float(body.get("quiet", 0.5))
        deadline = time.monotonic() + float(body.get("timeout", 10.0))
        st = self.state
        while True:
            now = time.monotonic()
            idle_for = now - st.last_activity
            if st.pending_updates() == 0 and st.inflight == 0 and idle_for >= quiet:
                return self._json({"idle": True, "seq": len(st.outbox)})
            if now >= deadline:
                return self._json(
                    {"idle": False, "pending_updates": st.pending_updates(), "seq": len(st.outbox)}
                )
            await asyncio.sleep(min(max(quiet - idle_for, 0.01), 0.05, max(deadline - now, 0)))

    async def stats(self, request: web.Request) -> web.Response:
        return self._json(self.state.stats())

    async def latencies(self, request: web.Request) -> web.Response:
        return self._json([r.latency() for r in self.state.update_log])

    async def violations(self, request: web.Request) -> web.Response:
        return self._json([v.as_dict() for v in self.state.flood.violations])

    async def errors(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", 0))
        return self._json(self.state.errors[since:])

    async def get_config(self, request: web.Request) -> web.Response:
        return self._json(self.state.flood.config())

    async def set_config(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        try:
            self.state.flood.configure(**body)
        except ValueError as exc:
            return self._json({"error": str(exc)}, 400)
        return self._json(self.state.flood.config())

    async def reset(self, request: web.Request) -> web.Response:
        self.state.reset_observations()
        return self._json({"ok": True})

    async def messages(self, request: web.Request) -> web.Response:
        try:
            user = self.state.resolve_user(request.query.get("user"))
        except KeyError as exc:
            return self._json({"error": str(exc).strip("'\"")}, 404)
        chat = self.state.chats[user.id]
        return self._json([chat.messages[k] for k in sorted(chat.messages)])

    async def bot_settings(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "commands": {k: v for k, v in self.state.commands.items()},
                "menu_buttons": self.state.menu_buttons,
                "webhook": self.state.webhook,
            }
        )


# ----- server lifecycle -------------------------------------------------------------------


class Sandbox:
    """A running sandbox. `url` is the base (http://127.0.0.1:PORT)."""

    def __init__(self, state: SandboxState, host: str = "127.0.0.1", port: int = 0):
        self.state = state
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """For `ApplicationBuilder.base_url` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def bot_base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def ptb_builder(self, token: str = DEFAULT_TOKEN) -> Any:
        """An `ApplicationBuilder` pointed at this sandbox (add handlers, `.build()`)."""
        from telegram.ext import Application

        return (
            Application.builder()
            .token(token)
            .base_url(self.bot_base_url)
            .base_file_url(self.bot_base_file_url)
        )

    def make_app(self) -> web.Application:
        self._http = ClientSession(timeout=ClientTimeout(total=30))
        api = BotApi(self.state, self._http)
        control = ControlApi(self.state)
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.add_routes(control.routes())
        app.add_routes(
            [
                web.get("/file/bot{token}/{path:.+}", self.serve_file),
                web.route("*", "/bot{token}/{method}", api.handle),
            ]
        )
        self._tasks.append(asyncio.create_task(api.deliver_webhooks()))
        return app

    async def serve_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        for stored in self.state.files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        raise web.HTTPNotFound()

    async def start(self) -> Sandbox:
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if server is not None and server.sockets:  # type: ignore[attr-defined]
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        # release long-polls so the runner can shut down promptly
        self.state.update_notifier.notify()
        self.state.outbox_notifier.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> Sandbox:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def start_sandbox(
    port: int = 0,
    host: str = "127.0.0.1",
    global_rate: float = 30.0,
    per_chat_rate: float = 1.0,
    mode: str = "enforce",
    per_chat_burst: float = 3.0,
    global_burst: float | None = None,
    bot_username: str = "sandbox_bot",
    bot_first_name: str = "Sandbox Bot",
    token: str | None = None,
) -> Sandbox:
    """Start a sandbox server; `port=0` picks a free port. Stop it with `await sb.stop()`.

    mode: "enforce" answers 429 over the limits, "count" only records violations, "off".
    token: when given, other tokens get 401 Unauthorized; otherwise any well-formed token works.
    """
    flood = FloodControl(
        global_rate=global_rate,
        per_chat_rate=per_chat_rate,
        mode=mode,
        global_burst=global_burst,
        per_chat_burst=per_chat_burst,
    )
    state = SandboxState(flood, bot_username, bot_first_name, token)
    return await Sandbox(state, host, port).start()
