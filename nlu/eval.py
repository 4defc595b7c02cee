"""Held-out NLU evaluation (`make nlu-eval`, `make nlu-compare`). Runs in .venv-nlu.

    PYTHONPATH=. .venv-nlu/bin/python -m nlu.eval                      # train config.yml, evaluate
    PYTHONPATH=. .venv-nlu/bin/python -m nlu.eval --model models/nlu.tar.gz
    PYTHONPATH=. .venv-nlu/bin/python -m nlu.eval --compare            # default.yml vs config.yml
    PYTHONPATH=. .venv-nlu/bin/python -m nlu.eval --compare --configs a.yml b.yml

Train on nlu/data, test on nlu/tests/test_nlu.yml (never trained on).

Entity scores are value-based: per message, the multiset of (entity, normalised value) predicted
is matched against the gold one (location compared case/accent/space-insensitively), so a
differently-bounded span with the right value counts as correct. Three views are reported:
  * `entities`          -- the values the model returns (what the bot consumes);
  * `entities_posthoc`  -- predicted values passed through the contract normaliser first
                           (isolates extraction quality for pipelines without EntityNormalizer);
  * `entities_span`     -- exact (entity, start, end) spans, regardless of value.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from nlu.components.vi_text import fold, has_diacritics, normalize_entity_value  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_FILE = REPO_ROOT / "nlu" / "tests" / "test_nlu.yml"
TRAIN_DATA = REPO_ROOT / "nlu" / "data"
REPORTS = REPO_ROOT / "nlu" / "reports"
WORK_DIR = REPO_ROOT / "var" / "nlu-eval"
DEFAULT_CONFIG = REPO_ROOT / "nlu" / "configs" / "default.yml"
CHOSEN_CONFIG = REPO_ROOT / "config.yml"
RASA_BIN = REPO_ROOT / ".venv-nlu" / "bin" / "rasa"
TARGET_ENTITIES = ("age", "household_size", "beneficiary_group", "months", "phone")


# --- training ------------------------------------------------------------------------------


def train(config: Path, train_data: Path, name: str) -> tuple[Path, float]:
    """Train with the same CLI `make train` uses; returns (model path, wall seconds)."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO_ROOT),
        RASA_TELEMETRY_ENABLED="false",
        # the graph cache keys on config + data, not on our component code: never reuse it here
        RASA_MAX_CACHE_SIZE="0",
    )
    cmd = [
        str(RASA_BIN), "train", "nlu", "--config", str(config), "--nlu", str(train_data),
        "--out", str(WORK_DIR), "--fixed-model-name", name,
    ]  # fmt: skip
    log = WORK_DIR / f"{name}.log"
    t0 = time.monotonic()
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - t0
    if proc.returncode != 0:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"training {config} failed ({proc.returncode}); log: {log}")
    return WORK_DIR / f"{name}.tar.gz", seconds


# --- data ----------------------------------------------------------------------------------


def load_test(path: Path) -> list[dict[str, Any]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    cases = []
    for msg in data.intent_examples:
        text = msg.get("text")
        gold = [
            {
                "entity": e["entity"],
                "value": str(e.get("value", text[e["start"] : e["end"]])),
                "start": e["start"],
                "end": e["end"],
            }
            for e in msg.get("entities", []) or []
        ]
        cases.append({"text": text, "intent": msg.get("intent"), "entities": gold})
    return cases


async def predict(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("xin chào")  # warm-up (graph + TF lazy init)
    out = []
    t0 = time.perf_counter()
    for text in texts:
        out.append(await agent.parse_message(text))
    per_msg_ms = (time.perf_counter() - t0) * 1000 / max(1, len(texts))
    return out, per_msg_ms


# --- metrics -------------------------------------------------------------------------------


def _value_key(entity: str, value: Any) -> tuple[str, str]:
    text = str(value)
    return entity, fold(text) if entity == "location" else text


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def entity_scores(
    cases: list[dict[str, Any]], preds: list[dict[str, Any]], mode: str
) -> dict[str, dict[str, float]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for case, pred in zip(cases, preds, strict=True):
        text = case["text"]
        if mode == "span":
            gold = Counter((e["entity"], e["start"], e["end"]) for e in case["entities"])
            got = Counter((e["entity"], e["start"], e["end"]) for e in pred["entities"])
        else:
            gold = Counter(_value_key(e["entity"], e["value"]) for e in case["entities"])
            got = Counter()
            for e in pred["entities"]:
                value = e.get("value")
                if mode == "posthoc":
                    span = text[e["start"] : e["end"]] if "start" in e else None
                    value = normalize_entity_value(e["entity"], value, span)
                    if value is None:
                        continue
                got[_value_key(e["entity"], value)] += 1
        for key in gold | got:
            both = min(gold[key], got[key])
            tp[key[0]] += both
            fp[key[0]] += got[key] - both
            fn[key[0]] += gold[key] - both
    names = sorted(set(tp) | set(fp) | set(fn))
    scores = {n: _prf(tp[n], fp[n], fn[n]) for n in names}
    scores["_micro"] = _prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores


def intent_scores(gold: list[str], pred: list[str]) -> dict[str, Any]:
    from sklearn.metrics import f1_score, precision_recall_fscore_support

    labels = sorted(set(gold))
    if not labels:
        return {"macro_f1": None, "accuracy": None, "n": 0}
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return {
        "macro_f1": round(float(f1_score(gold, pred, labels=labels, average="macro")), 4),
        "accuracy": round(sum(g == q for g, q in zip(gold, pred, strict=True)) / len(gold), 4),
        "n": len(gold),
        "per_intent": {
            lab: {
                "precision": round(float(pp), 4),
                "recall": round(float(rr), 4),
                "f1": round(float(ff), 4),
                "support": int(ss),
            }
            for lab, pp, rr, ff, ss in zip(labels, p, r, f, s, strict=True)
        },  # fmt: skip
    }


def evaluate(model: Path, cases: list[dict[str, Any]]) -> dict[str, Any]:
    preds, per_msg_ms = asyncio.run(predict(model, [c["text"] for c in cases]))
    gold = [c["intent"] for c in cases]
    got = [(p.get("intent") or {}).get("name") or "None" for p in preds]
    nodia = [i for i, c in enumerate(cases) if not has_diacritics(c["text"])]
    dia = [i for i, c in enumerate(cases) if has_diacritics(c["text"])]
    confusions = Counter((g, q) for g, q in zip(gold, got, strict=True) if g != q)
    errors = [
        {"text": c["text"], "gold": g, "pred": q,
         "confidence": round(float((p.get("intent") or {}).get("confidence") or 0), 3)}
        for c, g, q, p in zip(cases, gold, got, preds, strict=True) if g != q
    ]  # fmt: skip
    entity_errors = []
    for c, p in zip(cases, preds, strict=True):
        g = sorted(str(_value_key(e["entity"], e["value"])) for e in c["entities"])
        q = sorted(str(_value_key(e["entity"], e.get("value"))) for e in p["entities"])
        if g != q:
            entity_errors.append({"text": c["text"], "gold": g, "pred": q})
    return {
        "model": str(model),
        "n_messages": len(cases),
        "parse_ms_per_message": round(per_msg_ms, 2),
        "intent": {
            "overall": intent_scores(gold, got),
            "no_diacritics": intent_scores([gold[i] for i in nodia], [got[i] for i in nodia]),
            "with_diacritics": intent_scores([gold[i] for i in dia], [got[i] for i in dia]),
        },
        "entities": entity_scores(cases, preds, "value"),
        "entities_no_diacritics": entity_scores(
            [cases[i] for i in nodia], [preds[i] for i in nodia], "value"
        ),
        "entities_with_diacritics": entity_scores(
            [cases[i] for i in dia], [preds[i] for i in dia], "value"
        ),
        "entities_posthoc": entity_scores(cases, preds, "posthoc"),
        "entities_span": entity_scores(cases, preds, "span"),
        "top_confusions": [
            {"gold": g, "pred": q, "count": n} for (g, q), n in confusions.most_common(10)
        ],
        "intent_errors": errors,
        "entity_errors": entity_errors,
        "_gold": gold,
        "_pred": got,
    }


# --- output --------------------------------------------------------------------------------


def plot_confusion(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    gold, pred = result["_gold"], result["_pred"]
    labels = sorted(set(gold) | set(pred))
    cm = confusion_matrix(gold, pred, labels=labels)
    fig, ax = plt.subplots(figsize=(10, 9))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if cm[i, j]:
                color = "white" if cm[i, j] > cm.max() / 2 else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7, color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    f1 = result["intent"]["overall"]["macro_f1"]
    ax.set_title(f"Held-out intents (macro-F1 {f1:.3f}, n={result['n_messages']})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _f(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def print_table(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    width = max(14, *(len(n) + 2 for n in names))
    print("metric".ljust(30) + "".join(n.rjust(width) for n in names))

    def row(label: str, getter: Any) -> None:
        vals = []
        for n in names:
            try:
                vals.append(_f(getter(results[n])))
            except KeyError:
                vals.append("  -  ")
        print(label.ljust(30) + "".join(v.rjust(width) for v in vals))

    row("intent macro-F1 overall", lambda r: r["intent"]["overall"]["macro_f1"])
    row("intent macro-F1 no-diacr.", lambda r: r["intent"]["no_diacritics"]["macro_f1"])
    row("intent macro-F1 diacritics", lambda r: r["intent"]["with_diacritics"]["macro_f1"])
    row("intent accuracy", lambda r: r["intent"]["overall"]["accuracy"])
    ents = sorted({e for r in results.values() for e in r["entities"] if not e.startswith("_")})
    for e in ents:
        row(f"entity F1 {e}", lambda r, e=e: r["entities"][e]["f1"])
    row("entity F1 micro", lambda r: r["entities"]["_micro"]["f1"])
    row("entity recall micro", lambda r: r["entities"]["_micro"]["recall"])
    row("entity F1 micro no-diacr.", lambda r: r["entities_no_diacritics"]["_micro"]["f1"])
    row("entity F1 micro diacritics", lambda r: r["entities_with_diacritics"]["_micro"]["f1"])
    intents = sorted({i for r in results.values() for i in r["intent"]["overall"]["per_intent"]})
    for i in intents:
        row(f"intent F1 {i}", lambda r, i=i: r["intent"]["overall"]["per_intent"][i]["f1"])
    for e in TARGET_ENTITIES:
        row(f"  posthoc-norm F1 {e}", lambda r, e=e: r["entities_posthoc"][e]["f1"])
    row("  span-exact F1 micro", lambda r: r["entities_span"]["_micro"]["f1"])
    row("train seconds", lambda r: r.get("train_seconds"))
    row("parse ms/msg (in-process)", lambda r: r["parse_ms_per_message"])
    for n in names:
        top = ", ".join(
            f"{c['gold']}->{c['pred']} x{c['count']}" for c in results[n]["top_confusions"][:6]
        )
        print(f"top confusions [{n}]: {top}")


def _public(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", type=Path, help="evaluate this model instead of training one")
    ap.add_argument("--config", type=Path, default=CHOSEN_CONFIG)
    ap.add_argument("--data", type=Path, default=TRAIN_DATA)
    ap.add_argument("--test", type=Path, default=TEST_FILE)
    ap.add_argument("--compare", action="store_true", help="train and evaluate several configs")
    ap.add_argument("--configs", type=Path, nargs="+", default=[CHOSEN_CONFIG, DEFAULT_CONFIG])
    ap.add_argument("--reports", type=Path, default=REPORTS)
    args = ap.parse_args(argv)

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # rasa's structlog prints every parse otherwise
    cases = load_test(args.test)
    results: dict[str, dict[str, Any]] = {}
    if args.compare:
        for cfg in args.configs:
            name = cfg.stem if cfg != CHOSEN_CONFIG else "config"
            model, seconds = train(cfg, args.data, f"eval-{name}")
            results[name] = evaluate(model, cases)
            results[name]["config"] = str(cfg.relative_to(REPO_ROOT) if cfg.is_absolute() else cfg)
            results[name]["train_seconds"] = round(seconds, 1)
            print(f"[{name}] trained in {seconds:.0f} s", file=sys.stderr)
            # written after every model so a long baseline cannot hold back the others
            args.reports.mkdir(parents=True, exist_ok=True)
            out = args.reports / "compare.json"
            out.write_text(
                json.dumps(
                    {n: _public(r) for n, r in results.items()}, ensure_ascii=False, indent=1
                )
            )
            if name == "config":  # the chosen pipeline also gets the single-model report
                (args.reports / "eval.json").write_text(
                    json.dumps(_public(results["config"]), ensure_ascii=False, indent=1)
                )
                plot_confusion(results["config"], args.reports / "confusion.png")
    else:
        if args.model:
            model, seconds = args.model, None
        else:
            model, seconds = train(args.config, args.data, "eval-config")
        result = evaluate(model, cases)
        result["config"] = str(args.config)
        result["train_seconds"] = None if seconds is None else round(seconds, 1)
        results["config"] = result
        args.reports.mkdir(parents=True, exist_ok=True)
        (args.reports / "eval.json").write_text(
            json.dumps(_public(result), ensure_ascii=False, indent=1)
        )
        plot_confusion(result, args.reports / "confusion.png")
        out = args.reports / "eval.json"
    print_table(results)
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
