"""NluClient against fake servers (app venv; never imports rasa)."""

import asyncio
import json

import httpx
import pytest
from aiohttp import web

from nlu.client import Entity, NluClient, NluResult, NluUnavailable, parse_response


def rasa_answer(text, intent="ask_cost", confidence=0.93, entities=()):
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [
            {"name": intent, "confidence": confidence},
            {"name": "inform", "confidence": round(1 - confidence, 3)},
        ],
        "entities": list(entities),
    }


def mock_client(handler, **kwargs):
    return NluClient("http://nlu.test", transport=httpx.MockTransport(handler), **kwargs)


async def test_parse_maps_intent_ranking_and_entities():
    entities = [
        {"entity": "household_size", "value": "4", "start": 8, "end": 9, "confidence_entity": 0.99},
        {"entity": "months", "value": 12, "start": 30, "end": 35},
        {"entity": "phone", "value": "0912345678", "start": 40, "end": 50},
        {"entity": "location", "value": "Hai Phong", "start": 17, "end": 26},
    ]
    seen = []

    def handler(request):
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(200, json=rasa_answer("nha toi 4 nguoi", entities=entities))

    async with mock_client(handler) as client:
        result = await client.parse("nha toi 4 nguoi")
    assert seen == [("POST", "/model/parse", {"text": "nha toi 4 nguoi"})]
    assert isinstance(result, NluResult)
    assert result.intent == "ask_cost"
    assert result.ranking[0] == ("ask_cost", 0.93)
    assert result.first("household_size") == 4  # "4" -> int per contract
    assert result.first("months") == 12
    assert result.first("phone") == "0912345678"  # phones stay strings (leading 0)
    assert result.values("location") == ["Hai Phong"]
    assert result.first("age") is None
    assert result.entities[0] == Entity("household_size", 4, 8, 9, 0.99)


async def test_low_confidence_means_not_understood():
    def handler(request):
        return httpx.Response(200, json=rasa_answer("hmm", confidence=0.30))

    async with mock_client(handler, threshold=0.45) as client:
        result = await client.parse("hmm")
    assert result.intent is None
    assert result.confidence == pytest.approx(0.30)
    assert result.ranking[0][0] == "ask_cost"  # the guess stays visible


def test_nlu_fallback_intent_is_not_understood():
    result = parse_response("x", rasa_answer("x", intent="nlu_fallback", confidence=0.9), 0.45)
    assert result.intent is None


async def test_connection_error_is_retried_once_then_succeeds():
    calls = 0

    def handler(request):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=rasa_answer("alo", intent="greet"))

    async with mock_client(handler) as client:
        result = await client.parse("alo")
    assert calls == 2
    assert result.intent == "greet"


async def test_two_timeouts_raise_nlu_unavailable():
    calls = 0

    def handler(request):
        nonlocal calls
        calls += 1
        raise httpx.ReadTimeout("slow", request=request)

    async with mock_client(handler) as client:
        with pytest.raises(NluUnavailable):
            await client.parse("alo")
    assert calls == 2  # one try + one retry


async def test_5xx_raises_without_retry():
    calls = 0

    def handler(request):
        nonlocal calls
        calls += 1
        return httpx.Response(500, json={"error": "boom"})

    async with mock_client(handler) as client:
        with pytest.raises(NluUnavailable, match="500"):
            await client.parse("alo")
    assert calls == 1


async def test_invalid_json_raises():
    async with mock_client(lambda r: httpx.Response(200, text="<html>")) as client:
        with pytest.raises(NluUnavailable):
            await client.parse("alo")


@pytest.fixture
async def slow_then_fast_server(unused_tcp_port):
    """A real HTTP server: the first parse sleeps past the client timeout, the next is fast."""
    state = {"calls": 0, "loaded": False}

    async def parse(request):
        state["calls"] += 1
        body = await request.json()
        if state["calls"] == 1:
            await asyncio.sleep(1.0)
        return web.json_response(rasa_answer(body["text"], intent="thank", confidence=0.8))

    async def status(request):
        state["loaded"] = state["loaded"] or state.get("polls", 0) >= 2
        state["polls"] = state.get("polls", 0) + 1
        return web.json_response({"model_id": "abc" if state["loaded"] else None})

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    app.router.add_get("/status", status)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", unused_tcp_port)
    await site.start()
    yield f"http://127.0.0.1:{unused_tcp_port}", state
    await runner.cleanup()


async def test_real_timeout_then_retry_succeeds(slow_then_fast_server):
    url, state = slow_then_fast_server
    async with NluClient(url, timeout=0.3) as client:
        result = await client.parse("cam on")
    assert state["calls"] == 2
    assert result.intent == "thank"


async def test_wait_ready_polls_until_model_loaded(slow_then_fast_server):
    url, state = slow_then_fast_server
    async with NluClient(url) as client:
        assert await client.wait_ready(timeout=5, interval=0.01)
    assert state["polls"] >= 3


async def test_wait_ready_gives_up_when_server_is_down(unused_tcp_port):
    async with NluClient(f"http://127.0.0.1:{unused_tcp_port}", timeout=0.2) as client:
        assert not await client.wait_ready(timeout=0.3, interval=0.05)
        with pytest.raises(NluUnavailable):
            await client.parse("alo")


async def test_client_is_pooled_and_closable():
    client = mock_client(lambda r: httpx.Response(200, json=rasa_answer("a")))
    await client.parse("a")
    first = client._http()
    await client.parse("b")
    assert client._http() is first
    await client.aclose()
    assert first.is_closed


async def test_cache_answers_a_repeated_text_without_asking_the_server():
    asked = []

    def handler(request):
        text = json.loads(request.content)["text"]
        asked.append(text)
        return httpx.Response(200, json=rasa_answer(text, intent=f"intent_{len(asked)}"))

    async with mock_client(handler, cache_size=2) as client:
        first = await client.parse("bao nhieu tien")
        again = await client.parse("bao nhieu tien")
        other = await client.parse("Bao nhieu tien")  # another text: its own parse
        assert asked == ["bao nhieu tien", "Bao nhieu tien"]
        assert again == first and first.intent == "intent_1" and other.intent == "intent_2"
        await client.parse("cam on")  # size 2: the least recently used text goes
        await client.parse("bao nhieu tien")
        assert asked[-1] == "bao nhieu tien" and len(asked) == 4
        assert client.cache is not None and client.cache.info()["hits"] == 1


async def test_cache_entries_expire_and_failures_are_not_kept():
    now = [0.0]
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(503)
        return httpx.Response(200, json=rasa_answer("ok"))

    async with mock_client(handler, cache_size=10, cache_ttl_s=60) as client:
        assert client.cache is not None
        client.cache.clock = lambda: now[0]
        with pytest.raises(NluUnavailable):
            await client.parse("ok")
        assert (await client.parse("ok")).intent == "ask_cost"  # the failure was not cached
        await client.parse("ok")
        assert len(calls) == 2
        now[0] = 61.0
        await client.parse("ok")
        assert len(calls) == 3


@pytest.fixture
async def held_server():
    """An NLU server that answers every parse only once `release` is set; (url, release, asked)."""
    release = asyncio.Event()
    asked = []

    async def parse(request):
        asked.append(1)
        await release.wait()
        return web.json_response(rasa_answer((await request.json())["text"]))

    server = web.Application()
    server.router.add_post("/model/parse", parse)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", release, asked
    await runner.cleanup()


async def test_concurrent_identical_texts_share_one_request(held_server):
    url, release, asked = held_server
    async with NluClient(url, cache_size=8) as client:
        tasks = [asyncio.create_task(client.parse("mua o dau")) for _ in range(5)]
        await asyncio.sleep(0.2)
        release.set()
        results = await asyncio.gather(*tasks)
    assert len(asked) == 1
    assert {r.intent for r in results} == {"ask_cost"}


async def test_without_a_cache_every_parse_asks_the_server():
    asked = []

    def handler(request):
        asked.append(1)
        return httpx.Response(200, json=rasa_answer("x"))

    async with mock_client(handler) as client:
        await client.parse("x")
        await client.parse("x")
    assert len(asked) == 2 and client.cache is None


async def test_a_cancelled_caller_does_not_cancel_the_others_waiting_on_the_same_text(
    held_server,
):
    url, release, asked = held_server
    async with NluClient(url, cache_size=8) as client:
        first = asyncio.create_task(client.parse("bao nhieu tien"))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(client.parse("bao nhieu tien"))
        await asyncio.sleep(0.1)
        first.cancel()
        release.set()
        assert (await second).intent == "ask_cost"
        assert first.cancelled() and len(asked) == 1
        assert client.cache is not None and client.cache.info()["size"] == 1
