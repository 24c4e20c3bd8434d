"""Why is HuBERT weak on FSDD? Target quality, the training curve and linear-probe accuracy as training goes on.

One process, one thread. Pretrains a HuBERT (iteration 1, the benchmark's 3 x 192 model with a 64-channel conv
front end) on every ``--every``-th FSDD training clip with a plain AdamW loop (8 % warm-up then linear decay, as
the method's optimiser defaults) and prints:

- the MFCC k-means targets: clusters used, perplexity of the code distribution, a bag-of-codes logistic regression
  for digits and speakers (80/20 split of the training clips), the frame-level code -> digit purity;
- every 25 steps, the cross-entropy (without the feature penalty), the penalty and the masked accuracy;
- at ``--probe-at`` steps and at the end, FSDD digit and speaker accuracy of a linear probe on every layer
  (mean-pooled): on validation clips of the training split (recordings 5-9, probe fitted on 10-49; the numbers to
  choose settings by) and on FSDD's official test split.

Settings (learning rate, Adam betas, dropout, unmasked-frame loss weight, K, 8 kHz front end) are flags, so that
short runs can compare them:

    python benchmarks/speech/hubert_diagnosis.py --steps 300 --probe-at 0 150
    python benchmarks/speech/hubert_diagnosis.py --steps 400 --batch 64 --batch-seconds 8 --quick-probe \
        --unmasked-weight 1.0 --lr 1e-3 --betas 0.9 0.98 --dropout 0
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from multissl_speech.downstream import fsdd_tasks, layer_embeddings, probe_last_layer
from multissl_speech.hubert import EIGHT_KHZ_FRONT_END, HuBERT, HuBERTConfig
from multissl_speech.modality import Speech, SpeechOptions
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "speech" / "fsdd" / "recordings"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=16, help="clips per batch (at most)")
    parser.add_argument("--batch-seconds", type=float, default=None,
                        help="bound batches by padded duration instead (clips sorted by length, batch order shuffled)")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--every", type=int, default=1, help="pretrain on every k-th FSDD training clip")
    parser.add_argument("--probe-at", type=int, nargs="*", default=[])
    parser.add_argument("--mask-prob", type=float, default=0.8)
    parser.add_argument("--conv-dim", type=int, default=64)
    parser.add_argument("--penalty", type=float, default=10.0)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--unmasked-weight", type=float, default=0.0, help="cross-entropy weight of unmasked frames")
    parser.add_argument("--betas", type=float, nargs=2, default=(0.9, 0.999), help="Adam betas (fairseq HuBERT: 0.9 0.98)")
    parser.add_argument("--eps", type=float, default=1e-8, help="Adam epsilon (fairseq HuBERT: 1e-6)")
    parser.add_argument("--sample-rate", type=int, default=16000, choices=(8000, 16000),
                        help="8000: FSDD's native rate, with the front end of EIGHT_KHZ_FRONT_END")
    parser.add_argument("--quick-probe", action="store_true",
                        help="probe with one standardised logistic regression (C=1) instead of the core linear probe's "
                             "cross-validated C: about 30x cheaper, for comparing settings")
    parser.add_argument("--targets-only", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    threadpool_limits(1)
    digit, speaker = fsdd_tasks(ROOT)
    modality = Speech(SpeechOptions(cmvn="utterance", max_seconds=4.0, sample_rate=args.sample_rate,
                                    max_batch_seconds=args.batch_seconds))
    modality.fitted = True
    train, test = modality.load(digit.train_paths[:: args.every]), modality.load(digit.test_paths)
    train_digits, train_speakers = digit.train_labels[:: args.every], speaker.train_labels[:: args.every]
    validation = np.array([int(Path(p).stem.split("_")[2]) < 10 for p in digit.train_paths[:: args.every]])
    print("train clips", len(train.waveforms), "audio s", sum(map(len, train.waveforms)) / args.sample_rate, flush=True)
    front_end = EIGHT_KHZ_FRONT_END if args.sample_rate == 8000 else {"conv_kernel": HuBERTConfig().conv_kernel, "conv_stride": HuBERTConfig().conv_stride}
    config = HuBERTConfig(conv_dim=[args.conv_dim] * len(front_end["conv_kernel"]), **front_end, mask_prob=args.mask_prob,
                          feature_penalty=args.penalty, dropout=args.dropout, n_clusters=args.clusters,
                          unmasked_weight=args.unmasked_weight)
    torch.manual_seed(0)
    method = HuBERT(config, modality.input_spec(), seed=0)
    loader = modality.dataloader(modality.dataset(train), batch_size=32, shuffle=False, drop_last=False, num_workers=0, seed=0)
    started = time.time()
    method.fit_codebook(loader)
    print("kmeans fit s", round(time.time() - started, 1), flush=True)
    target_report(method, loader, config.n_clusters, train_digits, train_speakers)
    if args.targets_only:
        return

    def accuracy(train_x, train_y, test_x, test_y) -> float:
        if args.quick_probe:
            model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500)).fit(train_x, train_y)
            return model.score(test_x, test_y)
        return probe_last_layer(train_x, train_y, test_x, test_y, 0)

    def probe(tag: str) -> None:
        """Per layer: accuracy on the validation clips (recordings 5-9 of the training split, the probe fitted on
        recordings 10-49; for choosing settings) and on FSDD's official test split (fitted on all training clips)."""
        train_x, test_x = layer_embeddings(method, modality, train), layer_embeddings(method, modality, test)
        fit, held_out = ~validation, validation
        for name, labels, test_labels in (("digit", train_digits, digit.test_labels), ("speaker", train_speakers, speaker.test_labels)):
            val = {layer: round(accuracy(train_x[fit, layer], labels[fit], train_x[held_out, layer], labels[held_out]), 3)
                   for layer in range(train_x.shape[1])}
            official = {layer: round(accuracy(train_x[:, layer], labels, test_x[:, layer], test_labels), 3)
                        for layer in range(train_x.shape[1])}
            print(f"[{tag}] {name} acc per layer: validation {val}; test {official} ({time.time() - started:.0f}s)", flush=True)
        method.train()

    optimizer = torch.optim.AdamW(method.parameters(), lr=args.lr, betas=tuple(args.betas), eps=args.eps, weight_decay=0.01)
    warm = max(1, int(0.08 * args.steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (args.steps - s) / (args.steps - warm))))
    train_loader = modality.dataloader(modality.dataset(train), batch_size=args.batch, shuffle=True, drop_last=True,
                                       num_workers=0, seed=0)
    method.train()
    step, started, cross_entropy = 0, time.time(), []
    if 0 in args.probe_at:
        probe("step 0")
    while step < args.steps:
        for batch in train_loader:
            loss, logs = method.ssl_loss(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            cross_entropy.append(float(loss - config.feature_penalty * logs["feature_penalty"]))
            if step % 25 == 0:
                others = {k: round(float(v), 3) for k, v in logs.items() if k not in ("loss", "feature_penalty")}
                print(f"step {step} ce {np.mean(cross_entropy[-25:]):.3f} pen {float(logs['feature_penalty']):.4f} "
                      f"{others} {time.time() - started:.0f}s", flush=True)
            if step in args.probe_at:
                probe(f"step {step}")
            if step >= args.steps:
                break
    probe(f"end {step}")


def target_report(method: HuBERT, loader, n_clusters: int, digits: np.ndarray, speakers: np.ndarray) -> None:
    """Cluster usage and how much digit / speaker information the k-means codes carry."""
    histograms, codes_per_clip = [], []
    with torch.no_grad():
        for batch in loader:
            features, valid = method._target_features(batch)
            codes = method._codes(features)
            for row, mask in zip(codes, valid):
                clip_codes = row[mask].numpy()
                codes_per_clip.append(clip_codes)
                histograms.append(np.bincount(clip_codes, minlength=n_clusters) / max(len(clip_codes), 1))
    histograms, every_code = np.array(histograms), np.concatenate(codes_per_clip)
    usage = np.bincount(every_code, minlength=n_clusters) / len(every_code)
    perplexity = math.exp(-(usage[usage > 0] * np.log(usage[usage > 0])).sum())
    print(f"codes: frames {len(every_code)}, used {int((usage > 0).sum())}/{n_clusters}, perplexity {perplexity:.1f}", flush=True)
    for name, labels in (("digit", digits), ("speaker", speakers)):
        order = np.random.default_rng(0).permutation(len(histograms))
        fit, held_out = order[: int(0.8 * len(order))], order[int(0.8 * len(order)):]
        classifier = LogisticRegression(max_iter=2000, C=10).fit(histograms[fit], labels[fit])
        print(f"bag-of-codes {name} acc (80/20 split of train) {classifier.score(histograms[held_out], labels[held_out]):.3f}", flush=True)
    frame_digits = np.concatenate([np.full(len(c), d) for c, d in zip(codes_per_clip, digits)]).astype(int)
    purity = sum(np.bincount(frame_digits[every_code == k]).max() for k in np.unique(every_code)) / len(every_code)
    majority = np.bincount(frame_digits).max() / len(frame_digits)
    print(f"frame code->digit purity {purity:.3f} (majority digit ~{majority:.3f})", flush=True)


if __name__ == "__main__":
    main()
