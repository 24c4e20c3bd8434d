#!/usr/bin/env bash
# On the GPU machine, from the repository root: install multissl, its plugins and the carried wheels (.whl/),
# then run the stages named (default: quick parity full). Logs and JSON go to $OUT (default gpu-out/).
#   quick   check.py --quick: 3 steps per method, a smoke run
#   parity  pytest -m cuda: CUDA step and embeddings against CPU
#   full    check.py: the measured run
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --no-cache-dir --target /tmp/site \
  .whl/*.whl . plugins/speech plugins/graph plugins/tabular plugins/sensor plugins/recsys || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(quick parity full)
for stage in "${stages[@]}"; do
  case $stage in
    quick) python3 benchmarks/gpu/check.py --quick --json "$out/quick.json" 2>&1 | tee "$out/quick.log" | grep -E ' (ok|error) ' ;;
    parity) python3 -m pytest -q -m cuda tests/test_cuda_parity.py -p no:warnings 2>&1 | tee "$out/parity.log" | tail -40 ;;
    full) python3 benchmarks/gpu/check.py --json "$out/full.json" 2>&1 | tee "$out/full.log" | grep -E ' (ok|error) ' ;;
    *) echo "unknown stage $stage (quick, parity, full)"; exit 2 ;;
  esac
done
