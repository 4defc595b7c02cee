"""Broadcast delivery through the sandbox: pacing, blocked users, crash and resume.

Run: .venv/bin/python -m bench.broadcast --recipients 3000 --rate 100 [--crash-at 0.5]

The sandbox runs here with global_rate=R in "enforce" mode (429 above R); ~3 % of the
recipients have blocked the bot. The sender (bot.broadcast.DeliveryEngine with a PTB Bot
pointed at the sandbox) runs in a subprocess; with --crash-at F it is SIGKILLed once F of the
recipients have their message, then a new sender process resumes the broadcast.
Counted from the sandbox outbox: delivered (recipients with >= 1 copy), duplicates (> 1),
lost (not blocked, got none). seconds: first send to last delivered message (the restart gap
included; process start-up before the first send is reported separately).
efficiency = delivered / seconds / R. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

REPO_ROOT = Path(__file__).resolve().parent.parent
RECIPIENT_BASE = 5_000_000
CADRE_ID = 4_999_999
TEXT = (
    "📣 Tháng cao điểm vận động tham gia BHYT (01–30/11): mua BHYT hộ gia đình tại xã, "
    "người thứ hai trở đi được giảm mức đóng. Bấm nút dưới đây để tính số tiền nhà bạn."
)


def setup_db(url: str, n: int) -> tuple[int, list[int]]:
    """N subscribers of one commune and a cadre author; returns (broadcast id, telegram ids)."""
    from db import broadcasts as db_bc
    from db import people as db_people
    from db.models import Commune, Person, Subscription
    from db.places import load_places
    from db.session import Database, upgrade

    upgrade(url)
    database = Database(url)
    database.call(load_places)

    def work(s):  # type: ignore[no-untyped-def]
        commune = s.scalars(select(Commune).order_by(Commune.id)).first()
        cadre, _ = db_people.get_or_create_person(s, CADRE_ID, "Cán bộ Minh")
        db_people.grant_role(s, cadre.id, "cadre", commune.id)
        ids = [RECIPIENT_BASE + i for i in range(n)]
        s.add_all(
            Person(telegram_id=t, first_name=f"Dân {i}", locale="vi") for i, t in enumerate(ids)
        )
        s.flush()
        pids = s.scalars(select(Person.id).where(Person.telegram_id >= RECIPIENT_BASE))
        s.add_all(Subscription(person_id=p, commune_id=commune.id) for p in pids)
        s.flush()
        b = db_bc.create_broadcast(
            s,
            cadre.id,
            TEXT,
            [commune.id],
            button_text="💰 Tính tiền BHYT",
            button_url="https://t.me/sandbox_bot?start=campaign",
        )
        return b.id, ids

    try:
        return database.call(work)
    finally:
        database.dispose()


async def worker(args: argparse.Namespace) -> None:
    """One sender process: resume the broadcast until nothing is pending."""
    from bot.broadcast.engine import DeliveryEngine, EngineConfig, author_chat
    from bot.broadcast.progress import ChatProgress
    from bot.broadcast.service import engine_bot
    from bot.sandbox import DEFAULT_TOKEN
    from db.session import Database

    database = Database(args.db)
    cfg = EngineConfig(
        rate=args.rate,
        burst=args.burst,
        concurrency=args.concurrency,
        progress_s=2.0,
        resend_unknown=args.resend_unknown,
    )
    bot = engine_bot(DEFAULT_TOKEN, args.api, cfg.concurrency + 2)
    await bot.initialize()
    engine = DeliveryEngine(database, bot, cfg)
    chat, locale = await database.acall(author_chat, args.broadcast)
    progress = ChatProgress(bot, engine.bucket, chat, locale, args.broadcast)
    result = await engine.run(args.broadcast, progress)
    await bot.shutdown()
    database.dispose()
    report = {
        "counts": result.counts,
        "stats": result.stats.__dict__,
        "cpu_s": round(time.process_time(), 2),
        "run_s": round(result.seconds, 2),
    }
    print(json.dumps(report), flush=True)


def spawn(args: argparse.Namespace, url: str, api: str, bid: int) -> subprocess.Popen[str]:
    cmd = [
        sys.executable,
        "-m",
        "bench.broadcast",
        "--worker",
        "--db",
        url,
        "--api",
        api,
        "--broadcast",
        str(bid),
        "--rate",
        str(args.rate),
        "--concurrency",
        str(args.concurrency),
        "--burst",
        str(args.burst),
    ]
    if args.resend_unknown:
        cmd.append("--resend-unknown")
    return subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


async def main(args: argparse.Namespace) -> dict[str, object]:
    from bot.sandbox import SandboxClient, start_sandbox
    from db.models import Delivery
    from db.session import Database

    n, rate = args.recipients, args.rate
    tmp = tempfile.mkdtemp(prefix="bench-broadcast-")
    url = f"sqlite:///{tmp}/bench.sqlite3"
    t = time.monotonic()
    bid, ids = setup_db(url, n)
    setup_s = time.monotonic() - t

    sb = await start_sandbox(global_rate=rate, mode="enforce")
    st = sb.state
    sb.state.add_user(id=CADRE_ID, first_name="Minh")
    for i, tid in enumerate(ids):
        st.add_user(id=tid, first_name=f"Dan{i}")
    step = max(1, round(1 / args.blocked_share)) if args.blocked_share > 0 else 0
    blocked_ids = set(ids[::step]) if step else set()
    async with SandboxClient(sb.url) as client:
        for tid in blocked_ids:
            await client.block(tid)
    recipients = set(ids)
    target = len(recipients - blocked_ids)

    seen = 0
    got: Counter[int] = Counter()

    def scan() -> int:
        nonlocal seen
        for e in st.outbox[seen:]:
            if e["method"] in ("sendMessage", "sendPhoto") and e["chat_id"] in recipients:
                got[e["chat_id"]] += 1
        seen = len(st.outbox)
        return len(got)

    started = time.monotonic()
    proc = spawn(args, url, sb.url, bid)
    kills: list[dict[str, float]] = []
    if args.crash_at is not None:
        while proc.poll() is None and scan() < args.crash_at * target:
            await asyncio.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(proc.wait)
            kills.append({"at_delivered": scan(), "at_s": round(time.monotonic() - started, 2)})
            proc = spawn(args, url, sb.url, bid)
    out, _err = await asyncio.to_thread(proc.communicate)
    worker_report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    scan()
    await asyncio.sleep(0.1)
    scan()

    firsts = [e["ts"] for e in st.outbox if e["chat_id"] in recipients]
    firsts += [e["ts"] for e in st.errors if e["chat_id"] in recipients]
    lasts = [
        e["ts"] for e in st.outbox if e["chat_id"] in recipients and e["method"] == "sendMessage"
    ]
    seconds = (max(lasts) - min(firsts)) if lasts else 0.0
    first_send_after = (
        (min(firsts) - (time.time() - (time.monotonic() - started))) if firsts else 0.0
    )
    delivered = len(got)
    duplicates = sum(1 for c in got.values() if c > 1)
    lost = sum(1 for tid in recipients - blocked_ids if got[tid] == 0)
    database = Database(url)
    with database.factory() as s:
        status = dict(
            s.execute(
                select(Delivery.status, func.count())
                .where(Delivery.broadcast_id == bid)
                .group_by(Delivery.status)
            ).all()
        )
        unknown = s.scalar(
            select(func.count()).where(
                Delivery.broadcast_id == bid, Delivery.last_error.like("outcome unknown%")
            )
        )
    database.dispose()
    stats = st.stats()
    await sb.stop()
    return {
        "recipients": n,
        "delivered": delivered,
        "blocked": status.get("blocked", 0),
        "duplicates": duplicates,
        "lost": lost,
        "seconds": round(seconds, 3),
        "efficiency": round(delivered / seconds / rate, 4) if seconds else 0.0,
        "rate": rate,
        "crash_at": args.crash_at,
        "kills": kills,
        "unknown_after_crash": unknown,
        "db_status": status,
        "violations": stats["violations"]["total"],
        "count_429": stats["count_429"],
        "count_403": stats["count_403"],
        "first_send_after_s": round(first_send_after, 2),
        "setup_s": round(setup_s, 2),
        "worker": worker_report,
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipients", type=int, default=3000)
    p.add_argument("--rate", type=float, default=100.0)
    p.add_argument("--crash-at", type=float, default=None)
    p.add_argument("--blocked-share", type=float, default=0.03)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--burst", type=float, default=2.0, help="sender token bucket size")
    p.add_argument("--resend-unknown", action="store_true", help="at-least-once after a crash")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--api", help=argparse.SUPPRESS)
    p.add_argument("--broadcast", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    ns = parse()
    if ns.worker:
        asyncio.run(worker(ns))
    else:
        result = asyncio.run(main(ns))
        print(json.dumps(result, ensure_ascii=False))
