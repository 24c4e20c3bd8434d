#!/usr/bin/env bash
# Here, before a GPU run: download the wheels the GPU machine lacks (Python 3.12, x86-64) into .whl/,
# which git ignores and the device call carries. Its image already holds torch, lightning, torch-geometric,
# transformers, scikit-learn, scipy, pandas, pyarrow and safetensors.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"
python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
  soundfile==0.14.0 cffi==2.1.1 pycparser==3.12 pymetis==2025.2.2
