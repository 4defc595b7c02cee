#!/usr/bin/env bash
# Prints the path of a Python interpreter of the wanted minor version range, or explains what to install.
# usage: find-python.sh app   -> Python >= 3.11 (the application)
#        find-python.sh nlu   -> Python 3.10     (Rasa 3.6 runs on nothing newer)
set -u
want=${1:?usage: find-python.sh app|nlu}
ok() { "$1" -c "$2" >/dev/null 2>&1; }
if [ "$want" = app ]; then
  check='import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'
  names="python3.13 python3.12 python3.11 python3"
  glob="3.1[1-9]*"
else
  check='import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)'
  names="python3.10"
  glob="3.10*"
fi
for n in $names; do
  p=$(command -v "$n" 2>/dev/null) && ok "$p" "$check" && { echo "$p"; exit 0; }
done
# pyenv shims refuse versions that are installed but not selected: ask for the real binary.
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for d in $(ls -d "$root"/versions/$glob 2>/dev/null | sort -rV); do
  for b in "$d/bin/python3" "$d/bin/python"; do
    [ -x "$b" ] && ok "$b" "$check" && { echo "$b"; exit 0; }
  done
done
if [ "$want" = app ]; then
  echo "error: Python >= 3.11 not found. Install it (e.g. 'pyenv install 3.11' or 'apt-get install python3.11')." >&2
else
  echo "error: Python 3.10 not found (Rasa 3.6 needs exactly 3.10). Install it: 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv'." >&2
fi
exit 1
