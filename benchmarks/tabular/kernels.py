"""The hand-written CPU kernels of T-JEPA's training against plain PyTorch, side by side in one process.

    python benchmarks/tabular/kernels.py --size recipe --steps 8 --rounds 3
    python benchmarks/tabular/kernels.py --size reference --steps 2 --rounds 3

One T-JEPA training step (``ssl_loss``, backward, AdamW step) on a batch shaped like Adult (6 numeric, 8 categorical
columns), at ``--size recipe`` (the California recipe's width 32, 2 + 2 layers, batch 256) or ``reference`` (width
64, 16 + 16 layers, batch 512), 1 thread. Variants, alternated round by round in a rotated order so that other load
on the machine hits each alike; each is timed in CPU seconds of this process per step:

- ``kernels``: ``SparseDropoutTransformer`` as shipped (sparse dropout masks, batch-last attention for small heads,
  the chunked ReLU feed-forward block);
- ``plain``: the same layers through the core ``TransformerEncoder.forward`` (``nn.TransformerEncoderLayer``:
  ``F.dropout``, ``scaled_dot_product_attention`` inside ``nn.MultiheadAttention``);
- ``no_sparse_dropout``: dropout masks from ``F.dropout`` and attention dropout inside ``scaled_dot_product_attention``
  (which excludes batch-last attention, written for the sparse masks); the chunked feed-forward block keeps its own
  sparse hidden dropout;
- ``no_batch_last``: attention always on ``scaled_dot_product_attention`` (the dropped weights still sparse);
- ``no_chunked_feed_forward``: the feed-forward block unchunked (its hidden dropout still sparse).

Prints each round and, per variant, the median over rounds of ``its time / kernels' time``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator

import torch
from torch.nn import functional as F

import multissl_tabular.sparse_dropout_transformer as layers
from multissl.encoders.transformer import TransformerEncoder
from multissl_tabular.sparse_dropout import sparse_dropout
from multissl_tabular.sparse_dropout_transformer import SparseDropoutTransformer
from multissl_tabular.tjepa import TJEPA, TJEPAConfig

SIZES = {
    "recipe": ({"dim": 32}, 256),
    "reference": ({"num_layers": 16, "predictor_layers": 16}, 512),
}
CARDINALITIES = [11, 18, 9, 17, 8, 7, 4, 44]  # Adult's categorical columns, missing and unknown codes included


def _unchunked_feed_forward(x, linear1, linear2, p, chunk_rows=None):
    """The feed-forward block without the row chunks (its hidden dropout still drawn sparsely)."""
    return linear2(sparse_dropout(F.relu(linear1(x)), p))


def _plain_attention(q, k, v, p, dropped=None):
    return F.scaled_dot_product_attention(q, k, v, dropout_p=p)


@contextlib.contextmanager
def variant(name: str) -> Iterator[None]:
    """Swap the named kernel (or all of them: ``plain``) for PyTorch's op inside the block."""
    swaps = {
        "kernels": [],
        "plain": [(SparseDropoutTransformer, "forward", TransformerEncoder.forward)],
        "no_sparse_dropout": [(layers, "sparse_dropout", F.dropout), (layers, "attention_with_sparse_dropout", _plain_attention),
                              (layers, "use_batch_last", lambda x, heads: False)],
        "no_batch_last": [(layers, "use_batch_last", lambda x, heads: False)],
        "no_chunked_feed_forward": [(layers, "relu_feed_forward", _unchunked_feed_forward)],
    }[name]
    saved = [(owner, attribute, getattr(owner, attribute)) for owner, attribute, _ in swaps]
    for owner, attribute, replacement in swaps:
        setattr(owner, attribute, replacement)
    try:
        yield
    finally:
        for owner, attribute, original in saved:
            setattr(owner, attribute, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="recipe")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=["kernels", "plain", "no_sparse_dropout", "no_batch_last",
                                                           "no_chunked_feed_forward"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    options, batch_size = SIZES[args.size]
    spec = {"n_numeric": 6, "categorical_cardinalities": CARDINALITIES}
    method = TJEPA(TJEPAConfig(**options), spec)
    optimizer = torch.optim.AdamW(method.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    batch = {"numeric": torch.rand(batch_size, 6, generator=generator),
             "categorical": torch.stack([torch.randint(2, c, (batch_size,), generator=generator) for c in CARDINALITIES], 1)}

    def step() -> None:
        loss = method.ssl_loss(batch)
        (loss[0] if isinstance(loss, tuple) else loss).backward()
        optimizer.step()
        optimizer.zero_grad()

    times: dict[str, list[float]] = {name: [] for name in args.variants}
    for round_index in range(args.rounds):
        order = args.variants[round_index % len(args.variants):] + args.variants[: round_index % len(args.variants)]
        for name in order:
            with variant(name):
                step()  # warm-up
                start = time.process_time()
                for _ in range(args.steps):
                    step()
                times[name].append((time.process_time() - start) / args.steps)
            print(f"round {round_index}: {name} {times[name][-1] * 1e3:.1f} ms per step", flush=True)
    for name in args.variants:
        ratios = [t / k for t, k in zip(times[name], times["kernels"])]
        print(f"{name}: median {statistics.median(times[name]) * 1e3:.1f} ms per step, "
              f"{statistics.median(ratios):.3f}x the kernels' time (rounds {', '.join(f'{r:.3f}' for r in ratios)})")


if __name__ == "__main__":
    main()
