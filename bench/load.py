"""Campaign-peak load: many citizens talking to the real bot at once (optionally during a broadcast).

Run: .venv/bin/python -m bench.load --users U --messages M [--broadcast N --rate R]

Processes: this one runs the Bot API sandbox and plays the citizens (in-process, straight on the
sandbox state, so playing them costs no HTTP); the bot runs in a child process (`--serve-bot`,
the same `Stack` as `python -m bot run`, pointed at our sandbox) so its RSS and CPU are its own;
the Rasa NLU server is its own process too (NLU_URL when it answers, else started here).

Each citizen is its own chat and sends its next message as soon as the bot's first reply to
the previous one arrived (closed loop): messages from nlu/tests/test_nlu.yml (questions with
and without diacritics) and quote conversations (question, household size, a months button).
Reply latency is the sandbox's: user message enqueued -> first bot message to that chat.
The sandbox runs in "count" mode: it accepts everything and counts every moment the bot went
over the global rate or the per-chat rate (1/s, burst 3). The bot runs with its production
settings except the per-person flood guard, raised because these citizens type at machine speed.
Options worth knowing:
  --rate R          the broadcast's rate (the engine's BROADCAST_RATE, times --broadcast-share).
                    The sandbox's global limit stays --global-rate (default 1000, Telegram's
                    ceiling with paid broadcasts): the issue asks for >= 100 replies/s beside a
                    100/s broadcast, which no 30/s bot could send. The bot's limiter is given
                    the same global rate and shares it with the broadcast (replies first).
  --rate-limiter    app: the app's setting (RATE_LIMITER, default chat: per chat 1/s, budget
                    shared with broadcasts); aio: python-telegram-bot's AIORateLimiter, for
                    comparison (no per-chat pacing; the broadcast paces itself apart).
  --think S         citizens read S seconds (0.5x-1.5x) before the next message; 0 (default) is
                    the closed loop of issue 9, where latency >= users / throughput and, at
                    Telegram's one message per second to a chat, close to 1 s (docs/LOAD.md).
  --nlu-servers K   start K Rasa servers, the bot round-robins over them (or give --nlu-url a,b).
  --profile F       py-spy record of the bot process during the measured phase (.txt: raw).
broadcast_efficiency = broadcast messages per second actually delivered / R.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.nlu import _ANNOTATION, TEST_FILE
from nlu.server import REPO_ROOT, NluServer, is_ready

CITIZEN_ID0 = 910_000_000
WARM_ID0 = 919_000_000
BROADCAST_ID0 = 920_000_000
QUESTION_INTENTS = {
    "ask_cost", "ask_eligibility", "ask_where_to_buy", "ask_benefits", "ask_card_validity",
    "ask_documents",
}  # fmt: skip
SMALL_TALK = {"greet", "thank", "goodbye", "affirm", "deny", "bot_challenge", "out_of_scope"}
DIACRITICS = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")


# ----- the citizens' messages ----------------------------------------------------------------


def load_by_intent(path: Path = TEST_FILE) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for block in data["nlu"]:
        texts = [
            _ANNOTATION.sub(r"\1", line.strip()[2:])
            for line in block.get("examples", "").splitlines()
            if line.strip().startswith("- ")
        ]
        out.setdefault(block["intent"], []).extend(texts)
    return out


Step = tuple[str, str]  # ("text", text) | ("press", label)


def user_script(rng: random.Random, by_intent: dict[str, list[str]], n: int) -> list[Step]:
    """n steps: /start, then questions, small talk and quote conversations, shuffled by seed."""
    cost_bare = [t for t in by_intent["ask_cost"] if not any(c.isdigit() for c in t)]
    questions = [t for i in QUESTION_INTENTS for t in by_intent.get(i, [])]
    others = [t for i in SMALL_TALK | {"inform", "request_contact"} for t in by_intent.get(i, [])]
    steps: list[Step] = [("text", "/start qr_chien_dich")]
    while len(steps) < n:
        roll = rng.random()
        if roll < 0.45:
            steps.append(("text", rng.choice(questions)))
        elif roll < 0.60:
            steps.append(("text", rng.choice(others)))
        else:  # quote conversation: bare cost question -> household size -> months button
            size = rng.randint(1, 6)
            steps.append(("text", rng.choice(cost_bare)))
            steps.append(("text", rng.choice((f"{size}", f"nha {size} nguoi", f"{size} người"))))
            steps.append(("press", rng.choice(("6 tháng", "12 tháng", "🔁 3 tháng"))))
    return steps[:n]


# ----- measurements --------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def proc_status(pid: int, key: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (and its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks


@dataclass
class Watch:
    """Peak RSS of a process, sampled."""

    pid: int
    peak_mb: float = 0.0
    samples: list[float] = field(default_factory=list)

    def sample(self) -> None:
        mb = proc_status(self.pid)
        self.samples.append(mb)
        self.peak_mb = max(self.peak_mb, mb)


# ----- the bot child process -----------------------------------------------------------------


async def serve_bot(args: argparse.Namespace) -> None:
    """Child: the real application via Stack, against an existing sandbox and NLU server."""
    from bot.config import Settings
    from bot.sandbox import DEFAULT_TOKEN
    from bot.stack import Stack

    nlu_urls = args.nlu_url.split(",")
    settings = replace(
        Settings.from_env(),
        telegram_token=DEFAULT_TOKEN,
        bot_api_base_url=args.sandbox_url,
        nlu_url=nlu_urls[0],
        database_url=args.database_url,
        telegram_global_rate=args.bot_global_rate,
    )
    if args.rate_limiter != "app":
        settings = replace(settings, rate_limiter=args.rate_limiter)
    if len(nlu_urls) > 1:
        # Several NLU servers, round robin per request, without editing the app (Stack looks
        # the name up at call time).
        import bot.stack
        from nlu.client import NluClient

        class RoundRobinNlu(NluClient):
            def __init__(self, base_url: str, **kw: Any) -> None:
                super().__init__(base_url, transport=RoundRobinTransport(nlu_urls), **kw)

        bot.stack.NluClient = RoundRobinNlu  # type: ignore[misc,assignment]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Stack(settings) as stack:
        broadcast_id = None
        if args.broadcast_setup:
            broadcast_id = await setup_broadcast_in_bot(stack, json.loads(args.broadcast_setup))
        print("READY", os.getpid(), flush=True)
        commands = asyncio.create_task(obey_parent(stack, broadcast_id))
        await stop.wait()
        commands.cancel()


async def obey_parent(stack: Any, broadcast_id: int | None) -> None:
    """Lines on stdin: GO starts the broadcast (when the citizens start); STATS prints the
    bot's own counters as one `STATS {json}` line. stdin is read by a daemon thread of its
    own, not the default executor, whose threads the bot's database calls use."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = sys.stdin.readline()  # "" at EOF: the parent closed our stdin
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            except RuntimeError:  # the loop is closed: we are exiting
                return
            if not line:
                return

    threading.Thread(target=read, name="parent-commands", daemon=True).start()
    while command := (await lines.get()):
        try:
            if command.strip() == "GO" and broadcast_id is not None:
                await start_broadcast_in_bot(stack, broadcast_id)
            elif command.strip() == "STATS":
                cache = stack.services.nlu.cache
                stats = {"nlu_cache": cache.info() if cache is not None else None}
                print("STATS", json.dumps(stats), flush=True)
        except Exception as exc:  # say so; the parent's numbers show what is missing
            print(f"bench child: {command.strip()} failed: {exc!r}", file=sys.stderr, flush=True)


async def setup_broadcast_in_bot(stack: Any, spec: dict[str, Any]) -> int:
    """N subscribers of one commune, a cadre author and a draft broadcast; returns its id."""
    from db import broadcasts as db_bc
    from db import people as db_people
    from db import places as db_places

    def work(s: Any) -> int:
        commune, reason = db_places.resolve_commune(s, BROADCAST_COMMUNE)
        if commune is None:
            raise RuntimeError(reason)
        author, _ = db_people.get_or_create_person(s, spec["author_id"], "Cán bộ")
        db_people.grant_role(s, author.id, "cadre", commune.id, None)
        for i in range(spec["count"]):
            person, _ = db_people.get_or_create_person(s, spec["first_id"] + i, f"Nhận {i}")
            db_people.subscribe(s, person.id, commune.id)
        text = "Chiến dịch BHYT hộ gia đình: đóng trước 31/12 để thẻ không bị gián đoạn."
        return db_bc.create_broadcast(s, author.id, text, [commune.id]).id

    assert stack.database is not None
    return await stack.database.acall(work)


async def start_broadcast_in_bot(stack: Any, broadcast_id: int) -> None:
    from bot.broadcast import service as bc_service
    from db import broadcasts as db_bc
    from db.models import utcnow

    app = stack.app
    svc = app.bot_data.get(bc_service.KEY) or bc_service.install(
        app, stack.settings, stack.database
    )
    await stack.database.acall(db_bc.schedule_broadcast, broadcast_id, utcnow())
    if not svc.start(broadcast_id):
        raise RuntimeError(f"broadcast {broadcast_id} did not start")


class RoundRobinTransport(httpx.AsyncBaseTransport):
    """Sends each request to the next of several servers (same API, other host:port)."""

    def __init__(self, urls: list[str]) -> None:
        self.targets = itertools.cycle([httpx.URL(u) for u in urls])
        self.inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=32 * len(urls), max_keepalive_connections=16)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = next(self.targets)
        request.url = request.url.copy_with(host=target.host, port=target.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# ----- the parent: sandbox, citizens, numbers ------------------------------------------------


@dataclass
class Citizen:
    uid: int
    steps: list[Step]
    sent: int = 0
    unanswered: int = 0
    event: asyncio.Event = field(default_factory=asyncio.Event)


async def play_citizen(
    state: Any, c: Citizen, reply_timeout: float, start_delay: float, think: float = 0.0
) -> None:
    await asyncio.sleep(start_delay)
    user = state.users[c.uid]
    rng = random.Random(c.uid)
    for n, (kind, value) in enumerate(c.steps):
        if think and n:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
        c.event.clear()
        record = None
        if kind == "press":
            try:
                record = state.press(user, value)
            except (KeyError, ValueError):  # the bot took another turn: type the answer instead
                record = None
        if record is None:
            record = state.send_text(user, value)
        c.sent += 1
        deadline = time.monotonic() + reply_timeout
        while record.replied is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                c.unanswered += 1
                break
            try:
                await asyncio.wait_for(c.event.wait(), remaining)
            except TimeoutError:
                pass
            c.event.clear()


async def watch_outbox(state: Any, by_chat: dict[int, Citizen]) -> None:
    """One watcher wakes the citizen whose chat got a bot message (not every citizen)."""
    seen = len(state.outbox)
    while True:
        await state.outbox_notifier.wait(0.2)
        entries = state.outbox[seen:]
        seen += len(entries)
        for entry in entries:
            c = by_chat.get(entry.get("chat_id"))
            if c is not None:
                c.event.set()


async def start_bot_child(
    args: argparse.Namespace,
    sandbox_url: str,
    nlu_url: str,
    database_url: str,
    broadcast_setup: str | None,
    bot_global_rate: float,
) -> asyncio.subprocess.Process:
    cmd = [
        sys.executable, "-m", "bench.load", "--serve-bot", "--sandbox-url", sandbox_url,
        "--nlu-url", nlu_url, "--database-url", database_url,
        "--rate-limiter", args.rate_limiter, "--bot-global-rate", str(bot_global_rate),
    ]  # fmt: skip
    if broadcast_setup:
        cmd += ["--broadcast-setup", broadcast_setup]
    env = dict(os.environ, LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"))
    # The citizens here type at machine speed, up to one message a second each: the per-person
    # flood guard (8 messages in 10 s) would take them for spam scripts and stop answering.
    env.setdefault("FLOOD_MAX_MESSAGES", "1000")
    if args.broadcast:
        env["BROADCAST_RATE"] = str(args.rate * args.broadcast_share)
    proc = await asyncio.create_subprocess_exec(
        *cmd, cwd=REPO_ROOT, env=env, stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 300)
        if not line:
            raise RuntimeError(f"bot child exited with {await proc.wait()} before READY")
        if line.startswith(b"READY"):
            return proc


async def stop_child(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        if proc.stdin is not None:
            proc.stdin.close()  # ends the child's stdin reader, which would hold up its exit
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def ensure_nlu_servers(urls: str | None, count: int) -> tuple[list[str], list[NluServer]]:
    """The given servers (comma-separated) when they answer, else `count` started here."""
    given = [u for u in (urls or "").split(",") if u]
    if given and all([await is_ready(u) for u in given]):
        return given, []
    servers = list(await asyncio.gather(*(NluServer().start() for _ in range(count))))
    print(f"NLU servers started: {[s.url for s in servers]}", file=sys.stderr)
    return [s.url for s in servers], servers


def nlu_pid(url: str, owned: list[NluServer]) -> int | None:
    for server in owned:
        if server.url == url and server.proc is not None:
            return server.proc.pid
    port = url.rsplit(":", 1)[-1]
    # an NLU server we did not start: find the rasa process listening on that port
    for proc_dir in Path("/proc").iterdir():
        if not proc_dir.name.isdigit():
            continue
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"rasa" in part for part in cmdline[:3]) and port.encode() in cmdline:
            return int(proc_dir.name)
    return None


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from bot.sandbox import start_sandbox

    rng = random.Random(args.seed)
    by_intent = load_by_intent()
    nlu_urls, owned_nlu = await ensure_nlu_servers(
        args.nlu_url or os.environ.get("NLU_URL"), args.nlu_servers
    )
    nlu_url = ",".join(nlu_urls)
    global_rate = args.global_rate
    sandbox = await start_sandbox(
        port=0, mode="count", global_rate=global_rate, per_chat_rate=1.0,
        per_chat_burst=args.per_chat_burst,
    )  # fmt: skip
    state = sandbox.state
    tmp = tempfile.TemporaryDirectory(prefix="bench-load-")
    database_url = args.database_url or f"sqlite:///{tmp.name}/load.sqlite3"
    child: asyncio.subprocess.Process | None = None
    try:
        broadcast_setup = None
        if args.broadcast:
            broadcast_setup = prepare_broadcast_users(state, args.broadcast)
        # The app's limiter shares one budget with the broadcast engine; PTB's AIORateLimiter
        # (--rate-limiter aio) does not, so it gets what the broadcast leaves.
        reply_rate = global_rate
        if args.broadcast and args.rate_limiter == "aio":
            reply_rate = max(1.0, global_rate - args.rate * args.broadcast_share)
        child = await start_bot_child(
            args, sandbox.url, nlu_url, database_url, broadcast_setup, reply_rate
        )
        bot_watch = Watch(child.pid)
        npids = [p for u in nlu_urls if (p := nlu_pid(u, owned_nlu))]
        nlu_watches = [Watch(p) for p in npids]

        # citizens
        per_user = [args.messages // args.users] * args.users
        for i in range(args.messages % args.users):
            per_user[i] += 1
        citizens = [
            Citizen(CITIZEN_ID0 + i, user_script(rng, by_intent, n))
            for i, n in enumerate(per_user)
            if n > 0
        ]
        for c in citizens:
            state.add_user(id=c.uid, first_name=f"Dân {c.uid - CITIZEN_ID0}", language_code="vi")
        by_chat = {c.uid: c for c in citizens}

        # warm-up on other chats (first parses, first queries), not measured
        warm = [
            Citizen(WARM_ID0 + i, user_script(random.Random(i), by_intent, 4)) for i in range(4)
        ]
        for c in warm:
            state.add_user(id=c.uid, first_name=f"Warm {c.uid}", language_code="vi")
            by_chat[c.uid] = c
        watcher = asyncio.create_task(watch_outbox(state, by_chat))
        await asyncio.gather(*(play_citizen(state, c, args.reply_timeout, 0) for c in warm))
        await asyncio.sleep(1.0)
        first_update = state.next_update_id
        violations_before = len(state.flood.violations)
        outbox_before = len(state.outbox)

        profiler = await start_profiler(args, child.pid)
        sampler = asyncio.create_task(sample(bot_watch, *nlu_watches))
        cpu0 = proc_cpu_s(child.pid), sum(proc_cpu_s(p) for p in npids), proc_cpu_s(os.getpid())
        loadavg0 = os.getloadavg()
        t0 = time.monotonic()
        broadcast_task = None
        if args.broadcast:
            broadcast_task = asyncio.create_task(run_broadcast(state, child, args))
        await asyncio.gather(
            *(
                play_citizen(state, c, args.reply_timeout, rng.uniform(0, args.ramp), args.think)
                for c in citizens
            )
        )
        elapsed = time.monotonic() - t0
        cpu1 = proc_cpu_s(child.pid), sum(proc_cpu_s(p) for p in npids), proc_cpu_s(os.getpid())
        broadcast_result = await broadcast_task if broadcast_task else None
        bot_stats = await ask_stats(child)
        await stop_profiler(profiler)
        sampler.cancel()
        watcher.cancel()
        loadavg1 = os.getloadavg()

        records = [
            r
            for r in state.update_log
            if r.update_id >= first_update
            and r.chat_id in by_chat
            and r.chat_id >= CITIZEN_ID0
            and r.chat_id < WARM_ID0
        ]
        latencies = [(r.replied - r.enqueued) * 1000 for r in records if r.replied is not None]
        # each citizen's first message (/start, all within --ramp) versus the rest
        firsts: dict[int | None, Any] = {}
        for r in records:
            if r.chat_id not in firsts or r.update_id < firsts[r.chat_id].update_id:
                firsts[r.chat_id] = r
        first_ids = {r.update_id for r in firsts.values()}
        rest = [
            (r.replied - r.enqueued) * 1000
            for r in records
            if r.replied is not None and r.update_id not in first_ids
        ]
        first_lat = [
            (r.replied - r.enqueued) * 1000 for r in firsts.values() if r.replied is not None
        ]
        sent = sum(c.sent for c in citizens)
        unanswered = sum(1 for r in records if r.replied is None)
        new_violations = state.flood.violations[violations_before:]
        outbox = state.outbox[outbox_before:]
        degraded = {
            "nlu_unavailable": sum(
                "chưa đọc được câu hỏi tự do" in (e["text"] or "") for e in outbox
            ),
            "handler_errors": sum("gặp lỗi khi xử lý" in (e["text"] or "") for e in outbox),
            "flood_refusals": sum("nhắn hơi nhanh" in (e["text"] or "") for e in outbox),
        }
        by_chat_sends: dict[int, int] = {}
        for e in outbox:
            if e["method"] in ("sendMessage", "sendPhoto", "sendDocument"):
                by_chat_sends[e["chat_id"]] = by_chat_sends.get(e["chat_id"], 0) + 1

        def r2(x: float | None) -> float | None:
            return None if x is None else round(x, 1)

        result: dict[str, Any] = {
            "users": args.users,
            "messages": args.messages,
            "replies": len(latencies),
            "unanswered": unanswered,
            "msgs_per_s": round(sent / elapsed, 1),
            "reply_p50_ms": r2(percentile(latencies, 50)),
            "reply_p95_ms": r2(percentile(latencies, 95)),
            "reply_p99_ms": r2(percentile(latencies, 99)),
            "broadcast_efficiency": broadcast_result["efficiency"] if broadcast_result else None,
            "rss_mb_bot": round(bot_watch.peak_mb, 1),
            "rss_mb_nlu": round(sum(w.peak_mb for w in nlu_watches), 1) if nlu_watches else None,
            "limit_violations": len(new_violations),
            # extras
            "reply_p95_ms_first_message": r2(percentile(first_lat, 95)),
            "reply_p50_ms_later_messages": r2(percentile(rest, 50)),
            "reply_p95_ms_later_messages": r2(percentile(rest, 95)),
            "sent": sent,
            "elapsed_s": round(elapsed, 2),
            "bot_messages": sum(by_chat_sends.values()),
            "degraded_replies": degraded,
            "violations_per_chat": sum(1 for v in new_violations if v.kind == "per_chat"),
            "violations_global": sum(1 for v in new_violations if v.kind == "global"),
            "sandbox_global_rate": global_rate,
            "rate_limiter": args.rate_limiter,
            "think_s": args.think,
            "broadcast": broadcast_result,
            "bot_cpu_pct": round(100 * (cpu1[0] - cpu0[0]) / elapsed, 1),
            "nlu_cpu_pct": round(100 * (cpu1[1] - cpu0[1]) / elapsed, 1) if npids else None,
            "nlu_servers": len(nlu_urls),
            "nlu_cache": bot_stats.get("nlu_cache"),
            "sandbox_and_citizens_cpu_pct": round(100 * (cpu1[2] - cpu0[2]) / elapsed, 1),
            "loadavg_1m_before_after": [round(loadavg0[0], 2), round(loadavg1[0], 2)],
            "cpus": os.cpu_count(),
        }
        return result
    finally:
        if child is not None:
            await stop_child(child)
        await sandbox.stop()
        for server in owned_nlu:
            server.stop()
        tmp.cleanup()


async def ask_stats(child: asyncio.subprocess.Process) -> dict[str, Any]:
    """The bot's own counters; {} when it does not answer (the run's numbers still stand)."""
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(b"STATS\n")
    await child.stdin.drain()
    try:
        while line := await asyncio.wait_for(child.stdout.readline(), 30):
            if line.startswith(b"STATS "):
                return dict(json.loads(line[6:]))
    except TimeoutError:
        print("the bot did not answer STATS", file=sys.stderr)
    return {}


async def sample(*watches: Watch | None) -> None:
    while True:
        for w in watches:
            if w is not None:
                w.sample()
        await asyncio.sleep(0.25)


async def start_profiler(args: argparse.Namespace, pid: int) -> asyncio.subprocess.Process | None:
    if not args.profile:
        return None
    spy = Path(sys.executable).parent / "py-spy"
    cmd = [str(spy), "record", "-p", str(pid), "-o", args.profile, "-r", "100", "--nonblocking"]
    if args.profile.endswith(".txt"):
        cmd += ["-f", "raw"]
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    await asyncio.sleep(0.5)
    return proc


async def stop_profiler(proc: asyncio.subprocess.Process | None) -> None:
    if proc is not None and proc.returncode is None:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 60)


# ----- broadcast -----------------------------------------------------------------------------


def prepare_broadcast_users(state: Any, n: int) -> str:
    state.add_user(id=BROADCAST_ID0 - 1, first_name="Cán bộ", language_code="vi")
    for i in range(n):
        state.add_user(id=BROADCAST_ID0 + i, first_name=f"Nhận {i}", language_code="vi")
    return json.dumps({"first_id": BROADCAST_ID0, "count": n, "author_id": BROADCAST_ID0 - 1})


async def run_broadcast(
    state: Any, child: asyncio.subprocess.Process, args: argparse.Namespace
) -> dict[str, Any]:
    """Tell the bot to send; wait until every recipient got it (or it stalls)."""
    assert child.stdin is not None
    start = time.time()
    child.stdin.write(b"GO\n")
    await child.stdin.drain()
    first, last = BROADCAST_ID0, BROADCAST_ID0 + args.broadcast
    times: list[float] = []
    seen = 0
    idle_since = time.monotonic()
    while len(times) < args.broadcast and time.monotonic() - idle_since < 30:
        await asyncio.sleep(0.2)
        for entry in state.outbox[seen:]:
            if first <= (entry.get("chat_id") or 0) < last and entry["method"] in SEND_METHODS:
                times.append(entry["ts"])
                idle_since = time.monotonic()
        seen = len(state.outbox)
    if len(times) < 2:
        return {"delivered": len(times), "efficiency": None}
    rate = (len(times) - 1) / (times[-1] - times[0])
    return {
        "delivered": len(times),
        "start_to_first_s": round(times[0] - start, 2),
        "seconds": round(times[-1] - times[0], 2),
        "rate": round(rate, 1),
        "efficiency": round(rate / args.rate, 3),
    }


SEND_METHODS = ("sendMessage", "sendPhoto", "sendDocument")
BROADCAST_COMMUNE = "Phường Ái Quốc, Hải Phòng"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--broadcast", type=int, default=0, help="broadcast recipients")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="sandbox global rate during the broadcast (msg/s)"
    )
    parser.add_argument(
        "--global-rate",
        type=float,
        default=1000.0,
        help="sandbox global rate without a broadcast (Telegram's paid ceiling; 30 is the free one)",
    )
    parser.add_argument(
        "--broadcast-share",
        type=float,
        default=1.0,
        help="the broadcast engine's rate (BROADCAST_RATE) as a share of --rate",
    )
    parser.add_argument("--per-chat-burst", type=float, default=3.0)
    parser.add_argument(
        "--rate-limiter",
        choices=["app", "chat", "aio"],
        default="app",
        help="app: the app's setting (RATE_LIMITER, default chat); chat: "
        "bot.concurrency.ChatRateLimiter; aio: python-telegram-bot's AIORateLimiter",
    )
    parser.add_argument("--bot-global-rate", type=float, default=30.0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a citizen reads before the next message (uniform 0.5x-1.5x); "
        "0: next message right after the reply",
    )
    parser.add_argument("--ramp", type=float, default=1.0, help="citizens start within this (s)")
    parser.add_argument("--reply-timeout", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--nlu-url", default=None, help="running NLU server(s), comma-separated (else NLU_URL)"
    )
    parser.add_argument(
        "--nlu-servers",
        type=int,
        default=1,
        help="NLU servers to start when none is given; >1: the bot round-robins over them",
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", default=None, help="py-spy output (.svg, or .txt collapsed)")
    # the child process
    parser.add_argument("--serve-bot", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-url", help=argparse.SUPPRESS)
    parser.add_argument("--broadcast-setup", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        import logging

        logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
        asyncio.run(serve_bot(args))
        return
    result = asyncio.run(main_async(args))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
