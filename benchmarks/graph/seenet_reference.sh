#!/usr/bin/env bash
# Run SEENet's PyTorch reference (anonymous-kdd/Submission1110, PyTorch + DGL) on CPU, next to ours, on the
# same Tokyo split (docs/methods/seenet.md). Nothing of the reference enters multissl; this only runs it.
#
#   bash benchmarks/graph/seenet_reference.sh REFERENCE_CHECKOUT WORK_DIR [EPOCHS] [EVALUATE_EVERY] [SEED] [ssl]
#
# REFERENCE_CHECKOUT: a clone of github.com/anonymous-kdd/Submission1110 (measured at f6bb266, its
# data/tokyo identical to shared/datasets/graph/seenet_tokyo). WORK_DIR gets a separate virtual environment
# (DGL must not enter the project's) and a patched copy of the reference. With "ssl" last, SE-SSL
# pretraining (the reference's run.sh settings) runs first and training starts from its checkpoint. The copy
# is rebuilt on every call: one run per WORK_DIR at a time.
#
# The reference is written for one CUDA device and DGL 0.x; five textual substitutions make it run on CPU
# with DGL 2.1 and change no computation: `.cuda()` and `.to(args.gpu)` dropped, `torch.cuda.set_device` made a
# no-op, its GPU branch forced on (the evaluation tensors are only defined there), `fn.copy_edge` renamed
# `fn.copy_e` (DGL 1.0). DGL 2.1's wheel has no GraphBolt library for torch 2.13, which plain DGL does not
# use: its loader is made optional.
set -euo pipefail
if [ $# -lt 2 ] || [ ! -f "$1/train_trial.py" ]; then
    echo "usage: $0 REFERENCE_CHECKOUT WORK_DIR [EPOCHS] [EVALUATE_EVERY] [SEED] [ssl]" >&2
    echo "REFERENCE_CHECKOUT must hold the reference's train_trial.py: git clone https://github.com/anonymous-kdd/Submission1110" >&2
    exit 2
fi
reference=$(realpath "$1"); work=$(realpath -m "$2"); epochs=${3:-500}; every=${4:-10}; seed=${5:-42}; ssl=${6:-}
here=$(cd "$(dirname "$0")/../.." && pwd)

if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q -c "$here/constraints.txt" torch "dgl==2.1.0" "numpy<2" \
        pandas scipy networkx tqdm psutil pydantic requests pyyaml
    # DGL 2.1 imports setuptools.extern (gone from setuptools 70) and torchdata's datapipes (gone after 0.7)
    "$work/venv/bin/pip" install -q --no-deps "setuptools<70" "torchdata==0.7.1"
    graphbolt=$("$work/venv/bin/python" -c "import importlib.util as u; print(u.find_spec('dgl').submodule_search_locations[0])")/graphbolt/__init__.py
    sed -i 's/^load_graphbolt()$/try:\n    load_graphbolt()\nexcept FileNotFoundError:\n    pass/' "$graphbolt"
fi

code="$work/code"
rm -rf "$code" && mkdir -p "$code" && cp -r "$reference"/. "$code" && rm -rf "$code/.git"
cd "$code" && mkdir -p runs logs output
sed -i 's/\.cuda()//g; s/\.to(args\.gpu)//g; s/use_cuda = args.gpu >= 0 and torch.cuda.is_available()/use_cuda = True/;
        s/torch.cuda.set_device(args.gpu)/pass/; s/fn\.copy_edge(/fn.copy_e(/g' ./*.py

export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
pretrained=""
if [ "$ssl" = "ssl" ]; then
    started=$SECONDS
    "$work/venv/bin/python" train_ssl.py --dataset tokyo --local-weight 0.1 --global-weight 1.0 --global-batch-size 1024 \
        --global-neg-ratio 8 --grid-len 300 --name "seed$seed" --seed "$seed" > "$work/ssl_seed$seed.log"
    echo "SE-SSL pretraining: $(grep -c '^Epoch' "$work/ssl_seed$seed.log") epochs in $((SECONDS - started)) s, log in $work/ssl_seed$seed.log"
    pretrained="./output/tokyo_seed${seed}_ssl_model.pth"
fi
started=$SECONDS
# its per-epoch lines: the first (the loss at the start) and every evaluation's
"$work/venv/bin/python" train_trial.py --pretrain-path "$pretrained" --n-epochs "$epochs" --evaluate-every "$every" \
    --name "seed${seed}${ssl}" --seed "$seed" | awk -v every="$every" '!/^Epoch/ || $2 == 1 || $2 % every == 0'
echo "training and testing took $((SECONDS - started)) s"
