"""Async HTTP client for the Rasa NLU server (`rasa run --enable-api`). App venv; no rasa import."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

# Entities whose contract value is an integer (see /work/shared/nlu-spec.md).
INTEGER_ENTITIES = frozenset({"age", "birth_year", "household_size", "months"})


class NluUnavailable(RuntimeError):
    """The NLU server is down, too slow, or failing (5xx / unparsable answer)."""


@dataclass(frozen=True)
class Entity:
    entity: str
    value: Any
    start: int | None = None
    end: int | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class NluResult:
    text: str
    intent: str | None  # None when the top intent is below the threshold: "not understood"
    confidence: float
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    def first(self, entity_name: str) -> Any | None:
        """Value of the first entity of that type, or None."""
        for ent in self.entities:
            if ent.entity == entity_name:
                return ent.value
        return None

    def values(self, entity_name: str) -> list[Any]:
        return [ent.value for ent in self.entities if ent.entity == entity_name]


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = value.strip()
        if digits.isdigit():
            return int(digits)
    return value  # leave anything else untouched: the caller validates


def parse_response(text: str, data: dict[str, Any], threshold: float) -> NluResult:
    """Turn a /model/parse JSON answer into an NluResult (pure; tested without a server)."""
    intent_data = data.get("intent") or {}
    name = intent_data.get("name")
    confidence = float(intent_data.get("confidence") or 0.0)
    ranking = [
        (str(item["name"]), float(item.get("confidence") or 0.0))
        for item in data.get("intent_ranking") or []
        if item.get("name")
    ]
    entities = []
    for ent in data.get("entities") or []:
        kind = ent.get("entity")
        if not kind:
            continue
        value = ent.get("value")
        if kind in INTEGER_ENTITIES:
            value = _to_int(value)
        conf = ent.get("confidence_entity", ent.get("confidence"))
        entities.append(
            Entity(
                entity=str(kind),
                value=value,
                start=ent.get("start"),
                end=ent.get("end"),
                confidence=None if conf is None else float(conf),
            )
        )
    understood = bool(name) and name != "nlu_fallback" and confidence >= threshold
    return NluResult(
        text=data.get("text", text),
        intent=name if understood else None,
        confidence=confidence,
        ranking=ranking,
        entities=entities,
    )


class ParseCache:
    """Recent parses by exact text: the model is deterministic, and during a campaign many
    people type the same short messages ("bao nhiêu tiền", "ok", "cảm ơn"). A parse costs the
    NLU server ~8 ms of CPU; a hit costs microseconds. Entries expire after `ttl_s`, so a
    retrained model served behind the same URL is picked up within that time. Concurrent
    misses of one text share one request."""

    def __init__(
        self, size: int, ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self.clock = clock
        self._items: OrderedDict[str, tuple[float, NluResult]] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[NluResult]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, text: str) -> NluResult | None:
        item = self._items.get(text)
        if item is None or self.clock() - item[0] > self.ttl_s:
            return None
        self._items.move_to_end(text)
        return item[1]

    def put(self, text: str, result: NluResult) -> None:
        self._items[text] = (self.clock(), result)
        self._items.move_to_end(text)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    async def through(self, text: str, fetch: Callable[[], Any]) -> NluResult:
        if (cached := self.get(text)) is not None:
            self.hits += 1
            return cached
        if (pending := self._inflight.get(text)) is not None:
            self.hits += 1
            return await asyncio.shield(pending)
        self.misses += 1
        # The request is its own task: a caller that is cancelled (its update timed out)
        # leaves it running for the others waiting on the same text.
        task: asyncio.Task[NluResult] = asyncio.ensure_future(fetch())
        self._inflight[text] = task
        task.add_done_callback(lambda t: self._settle(text, t))
        return await asyncio.shield(task)

    def _settle(self, text: str, task: asyncio.Task[NluResult]) -> None:
        if self._inflight.get(text) is task:
            del self._inflight[text]
        if not task.cancelled() and task.exception() is None:  # failures are not kept
            self.put(text, task.result())

    def info(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "size": len(self._items)}


class NluClient:
    """One pooled AsyncClient per NluClient (created lazily in the running loop; `aclose()` it).

    `cache_size` > 0 keeps that many recent parses (see ParseCache); failures are never
    cached, so a server that comes back is asked again at once."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:5005",
        timeout: float = 2.0,
        threshold: float = 0.45,
        *,
        retries: int = 1,
        transport: httpx.AsyncBaseTransport | None = None,
        cache_size: int = 0,
        cache_ttl_s: float = 600.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.threshold = threshold
        self.retries = retries
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.cache = ParseCache(cache_size, cache_ttl_s) if cache_size > 0 else None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                # waiting for a free connection is queueing behind a busy server, not a failure
                timeout=httpx.Timeout(self.timeout, pool=max(10.0, 5 * self.timeout)),
                transport=self._transport,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> NluClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def parse(self, text: str) -> NluResult:
        """POST /model/parse (or a recent identical parse); one retry on connection errors
        and timeouts."""
        if self.cache is not None:
            return await self.cache.through(text, lambda: self._parse(text))
        return await self._parse(text)

    async def _parse(self, text: str) -> NluResult:
        last_error: Exception | None = None
        for _attempt in range(self.retries + 1):
            try:
                response = await self._http().post("/model/parse", json={"text": text})
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = exc
                continue
            if response.status_code >= 500:
                raise NluUnavailable(f"NLU server error {response.status_code}")
            if response.status_code != 200:
                raise NluUnavailable(f"NLU server answered {response.status_code}")
            try:
                data = response.json()
            except ValueError as exc:
                raise NluUnavailable("NLU server sent invalid JSON") from exc
            return parse_response(text, data, self.threshold)
        raise NluUnavailable(f"NLU server unreachable: {last_error!r}") from last_error

    async def is_ready(self) -> bool:
        try:
            response = await self._http().get("/status")
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        try:
            return bool(response.json().get("model_id") or response.json().get("model_file"))
        except ValueError:
            return False

    async def wait_ready(self, timeout: float = 120.0, interval: float = 0.5) -> bool:
        """Poll GET /status until a model is loaded; False if it never was within `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            if await self.is_ready():
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(interval)
