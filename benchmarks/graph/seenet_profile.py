"""Cost of one SEENet epoch on Tokyo, by part, and the full run it implies (pretrain + train).

Times (process CPU seconds, median of ``--steps``) a training step (80% message graph, DistMult loss,
backward, clipping, Adam) and a pretraining step (SE-SSL on the full graph) of the method as it trains,
the encoder's halves (intra-time 2-hop attention, inter-time propagation) and the decoder forward +
backward, and one validation ranking; ``--profile`` adds torch.profiler's table of a training step.
The full run is extrapolated as ``P`` pretraining epochs + ``T`` training epochs + ``T / evaluate_every``
validations (the paper: >= 100 pretraining epochs, 3,000 training epochs, validation every 10).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/graph/seenet_profile.py --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "graph" / "seenet_tokyo"


def cpu_seconds(step, repeats: int) -> float:
    """Median process CPU seconds of ``step()`` after one warm-up call."""
    step()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        step()
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--encoder", default="seenet", choices=["seenet", "rgcn", "distmult"])
    parser.add_argument("--pretrain-epochs", type=int, default=200)
    parser.add_argument("--train-epochs", type=int, default=3000)
    parser.add_argument("--evaluate-every", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="print torch.profiler's table of a training step")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"The Tokyo data are not at {args.data}; pass --data.")
    torch.set_num_threads(args.threads)

    from multissl_graph.seenet.method import SEENet, SEENetConfig
    from multissl_graph.seenet.modality import TemporalRelationsModality

    modality = TemporalRelationsModality()
    raw = modality.load(str(args.data))
    modality.fit(raw)
    graph = modality.transform(raw)
    torch.manual_seed(0)
    method = SEENet(SEENetConfig(encoder=args.encoder, ssl=True), modality.input_spec(), seed=0)
    optimizer = torch.optim.Adam(method.parameters(), lr=1e-2, weight_decay=1e-4)

    def step(stage: str):
        def run():
            method.stage = stage
            method.train()
            ssl, _ = method.ssl_loss(graph)
            supervised = method.supervised_loss(graph)
            loss = ssl if supervised is None else supervised[0] + method.ssl_weight * ssl
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(method.parameters(), 1.0)
            optimizer.step()
        return run

    rows = {"train step": cpu_seconds(step("train"), args.steps)}
    pretrain = cpu_seconds(step("pretrain"), args.steps) if args.encoder == "seenet" else 0.0
    rows["pretrain step"] = pretrain
    method.stage = "train"
    method.train()
    keep = torch.rand(graph["train"].shape[0], generator=torch.Generator().manual_seed(0)) < 0.8
    h = method.encode(graph, keep).detach().contiguous().requires_grad_()
    rows["  encoder forward + backward"] = cpu_seconds(lambda: method.encode(graph, keep).sum().backward(), args.steps)
    rows["  decoder forward + backward"] = cpu_seconds(
        lambda: method.decoder.loss(h, graph["train"], 5, torch.Generator().manual_seed(0)).backward(), args.steps)
    rows["validation ranking"] = cpu_seconds(lambda: method.rank(graph, "valid"), max(args.steps // 3, 1))
    full = (args.pretrain_epochs * pretrain + args.train_epochs * rows["train step"]
            + args.train_epochs // args.evaluate_every * rows["validation ranking"])
    print(f"encoder {args.encoder}, {args.threads} thread(s), CPU seconds (median of {args.steps}):")
    for name, seconds in rows.items():
        print(f"  {name:32s} {seconds:.3f}")
    print(f"full run ({args.pretrain_epochs} pretraining + {args.train_epochs} training epochs, validation every "
          f"{args.evaluate_every}): {full:.0f} CPU s = {full / 60:.1f} min")
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            step("train")()
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=20))


if __name__ == "__main__":
    main()
