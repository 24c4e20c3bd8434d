#!/usr/bin/env bash
# Set up (into the active Python environment) and run every test: core and plugins.
#   python3 -m venv .venv && source .venv/bin/activate && bash scripts/test.sh
# With MULTISSL_LOWEST=1: install the core alone with the lowest version of each dependency it declares
# (torch as constraints.txt pins it) and run the core's tests, so the declared floors stay true:
#   MULTISSL_LOWEST=1 bash scripts/test.sh tests
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --upgrade pip
if [ "${MULTISSL_LOWEST:-0}" = "1" ]; then
  pins="$(mktemp)"
  python scripts/lowest_pins.py test > "$pins"
  python -m pip install --quiet -c constraints.txt -r "$pins" torch -e .
  python -m pip list 2>/dev/null | grep -i -E "^(torch|lightning|pluggy|numpy|pandas|pyyaml|scikit-learn|safetensors|pyarrow|pytest) "
  rm -f "$pins"
else
  python -m pip install --quiet -c constraints.txt -e ".[test,tensorboard,wandb,mlflow,report,onnx]" \
    -e "plugins/speech[hubert]" -e plugins/graph -e plugins/tabular -e plugins/sensor -e plugins/recsys
fi
status=0
python -m pytest -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
