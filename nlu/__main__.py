"""`python -m nlu review ...` (see nlu/review.py)."""

import sys

from nlu.review import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "review":
        print("usage: python -m nlu review export|merge FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(args[1:]))
