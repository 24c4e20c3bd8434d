"""Seconds for SGL's all-node contrast at Gowalla's size: the core's block-wise log-sum-exp vs the plain one.

One forward and backward of :func:`multissl_recsys.graph_contrast.view_contrast` (users and positive items of a
batch of 2048 interactions against all 29,858 users and 40,981 items, embedding 64, τ 0.2) on random embeddings,
first with the core InfoNCE as it is (:func:`multissl.objectives.product_logsumexp.product_logsumexp`: logits made
and dropped block by block, recomputed in the backward), then with the shared negatives' denominator from the whole (N, K) logits
(``plain_product_logsumexp``: what the core did before, and still does on accelerators). Same inputs,
the two alternating, one thread; the losses and gradients are compared too.

    nice -n 5 python benchmarks/recsys/contrast_speed.py --repeats 5

Results: speed.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

import torch
from multissl_recsys.graph_contrast import view_contrast

from multissl.objectives import InfoNCE
from multissl.objectives import infonce as infonce_module
from multissl.objectives.product_logsumexp import plain_product_logsumexp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=29_858)
    parser.add_argument("--items", type=int, default=40_981)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    views = [(torch.randn(args.users, args.dim, generator=generator), torch.randn(args.items, args.dim, generator=generator)) for _ in range(2)]
    users = torch.randint(args.users, (args.batch,), generator=generator)
    items = torch.randint(args.items, (args.batch,), generator=generator)
    seconds: dict[str, list[float]] = {"block-wise": [], "plain": []}
    results = {}
    for _ in range(args.repeats + 1):  # the first round warms up and is not counted
        for name, function in (("block-wise", infonce_module.product_logsumexp), ("plain", plain_product_logsumexp)):
            with mock.patch.object(infonce_module, "product_logsumexp", function):
                leaves = [[t.clone().requires_grad_() for t in view] for view in views]
                started = time.perf_counter()
                loss, _ = view_contrast(InfoNCE(temperature=0.2), leaves[0], leaves[1], users, items)
                loss.backward()
                seconds[name].append(time.perf_counter() - started)
            results[name] = (loss.detach(), [t.grad for view in leaves for t in view])
    (loss_a, grads_a), (loss_b, grads_b) = results["block-wise"], results["plain"]
    largest = max((a - b).abs().max().item() for a, b in zip(grads_a, grads_b, strict=True))
    print(f"loss block-wise {loss_a.item():.6f} plain {loss_b.item():.6f}; largest gradient difference {largest:.2e}")
    for name, values in seconds.items():
        print(f"{name}: median {statistics.median(values[1:]):.3f} s (forward + backward; rounds {', '.join(f'{v:.3f}' for v in values[1:])})")
    print(f"speed-up {statistics.median(seconds['plain'][1:]) / statistics.median(seconds['block-wise'][1:]):.2f}x")


if __name__ == "__main__":
    main()
