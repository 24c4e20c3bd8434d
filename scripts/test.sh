#!/usr/bin/env bash
# Set up (into the active Python environment) and run every test: core and plugins.
#   python3 -m venv .venv && source .venv/bin/activate && bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -c constraints.txt -e ".[test]" \
  -e plugins/speech -e plugins/graph -e plugins/tabular -e plugins/sensor -e plugins/recsys
status=0
python -m pytest -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
