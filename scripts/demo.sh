#!/usr/bin/env bash
# Set up a virtual environment, install supervisor-rules into it, check the two
# shipped policies and decide every sample case under examples/cases/ with the
# explanation (articles cited in Chinese).
#
#   bash scripts/demo.sh            # uses ./.venv (created if missing)
#   VENV=/tmp/sr bash scripts/demo.sh
#   PYTHON=python3.12 bash scripts/demo.sh
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "supervisor-rules needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1 || echo missing)" >&2
    echo "(set PYTHON=python3.11, say)" >&2
    exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints/test.txt -e .

SR="$VENV/bin/supervisor-rules"
run() {
    if [ -t 1 ]; then printf '\n\033[1m$ %s\033[0m\n' "$*"; else printf '\n$ %s\n' "$*"; fi
    "$@"
}

run "$SR" check policies/wuhan.rules policies/guangxi.rules --format text
for city in wuhan guangxi; do
    for case in examples/cases/"$city"/*.json; do
        run "$SR" eval "$city" "$case" --format text --explain
    done
done
