#!/usr/bin/env bash
# The whole suite against the newest releases of every dependency (no constraints file), in a
# separate environment (.venv-latest) so the pinned .venv stays as CI has it. A failure here is
# an early warning: a new release would break a fresh install once the pins move.
# After a green run, `.venv-latest/bin/pip freeze --exclude-editable` is the new constraints/test.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .venv-latest
python3 -m venv .venv-latest
.venv-latest/bin/pip install -q --upgrade pip
.venv-latest/bin/pip install -q --upgrade -e '.[test]'
exec .venv-latest/bin/python -m pytest "$@"
