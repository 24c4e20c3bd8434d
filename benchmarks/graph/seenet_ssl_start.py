"""Where SE-SSL pretraining leaves SEENet when the relation training starts: the same seed with and without
100 pretraining epochs (patience 20), one training step each, then statistics of the eval-mode slot
embeddings (row norm, share of units the relu zeroes, locations without an in-edge), of the free location
embedding, the DistMult loss and positive logits on the training triples, and validation MRR@10.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/graph/seenet_ssl_start.py --seed 0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "graph" / "seenet_tokyo"


def start_statistics(data: Path, ssl: bool, seed: int) -> dict[str, float]:
    import multissl

    run = multissl.pretrain("temporal_relations", str(data), method="seenet", **{
        "method.ssl": ssl, "method.train_epochs": 1, "method.pretrain_epochs": 100, "method.pretrain_patience": 20,
        "trainer.max_epochs": 102, "trainer.enable_progress_bar": False, "trainer.loggers": [], "seed": seed})
    method = run.method
    graph = run.modality.transform(run.modality.load(str(data)))
    method.eval()
    with torch.no_grad():
        h = method.encode(graph)
        loss = method.decoder.loss(h, graph["train"], method.config.negatives, torch.Generator().manual_seed(0)).item()
        triples, slots = graph["train"], h.shape[0]
        slot = triples[:, 1] % slots
        logits = (h[slot, triples[:, 0]] * method.decoder.relations[triples[:, 1]] * h[slot, triples[:, 2]]).sum(-1)
        active = h.abs().sum(-1) > 0
    return {"slot_embedding_norm": h.norm(dim=-1)[active].mean().item(), "zero_unit_share": (h[active] == 0).float().mean().item(),
            "locations_without_in_edge": (~active).float().mean().item(),
            "free_embedding_norm": method.encoder.embedding.weight.norm(dim=-1).mean().item(),
            "distmult_loss": loss, "positive_logit_mean": logits.mean().item(), "positive_logit_std": logits.std().item(),
            "valid_mrr@10": method.rank(graph, "valid")["mrr@10"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for ssl in (False, True):
        stats = start_statistics(args.data, ssl, args.seed)
        print("after SE-SSL" if ssl else "fresh", json.dumps({k: round(v, 4) for k, v in stats.items()}), flush=True)


if __name__ == "__main__":
    main()
