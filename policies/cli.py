"""`python -m policies quote|explain`: one JSON request on stdin, one answer on stdout.

Invalid input: exit status 2 and a one-line English message naming the field on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys

from .engine import quote
from .loader import ParameterError, load_rules
from .render import explain, quote_to_dict
from .request import RequestError, parse_request

EXIT_INVALID = 2
EXIT_BAD_PARAMETERS = 3


def _fail(message: str, status: int) -> int:
    print(" ".join(message.split()), file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policies", description=__doc__)
    parser.add_argument("command", choices=("quote", "explain"))
    parser.add_argument(
        "--locale", help="text language: explain defaults to vi, quote (reason/notes) to en"
    )
    args = parser.parse_args(argv)
    try:
        rules = load_rules()
    except ParameterError as exc:
        return _fail(f"error: parameters: {exc}", EXIT_BAD_PARAMETERS)
    try:
        data = json.loads(sys.stdin.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _fail(f"error: (request): invalid JSON: {exc}", EXIT_INVALID)
    try:
        result = quote(parse_request(data, rules), rules)
    except RequestError as exc:
        return _fail(f"error: {exc}", EXIT_INVALID)
    if args.command == "quote":
        print(json.dumps(quote_to_dict(result, args.locale or "en"), ensure_ascii=False))
    else:
        print(explain(result, args.locale or "vi"))
    return 0
