"""One timed round of TERA training steps for ``tera_speed.py``: ``worker.py {multissl|s3prl} batches.npz steps threads``.

With a fifth argument ``profile`` it then runs the steps once more under ``torch.profiler`` and prints the
operators by self CPU time (the table in tera_speed.md).

Prints one JSON line: seconds of audio trained on, wall-clock and CPU seconds taken (after one warm-up step; the
process's CPU time is not inflated by waiting for a core on a shared machine), torch version.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch

DIM, LAYERS, HEADS, FFN, DROPOUT = 192, 3, 4, 768, 0.1


def multissl_step():
    from multissl_speech.modality import Speech
    from multissl_speech.tera import TERA, TERAConfig

    modality = Speech()
    modality.fitted = True  # per-utterance CMVN: nothing to fit
    method = TERA(TERAConfig(d_model=DIM, num_layers=LAYERS, num_heads=HEADS, ffn_dim=FFN, dropout=DROPOUT),
                  modality.input_spec()).train()
    optimizer = torch.optim.AdamW(method.parameters(), lr=2e-4)

    def step(waveform, lengths):
        loss, _ = method.ssl_loss({"waveform": waveform, "num_samples": lengths})
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    return step


def s3prl_step():
    import os

    import s3prl

    sys.path.insert(0, os.path.dirname(s3prl.__file__))  # s3prl's pretrain code imports `pretrain.`, `upstream.`
    from pretrain.mockingjay.pretrain_expert import TransformerForMaskedAcousticModel
    from pretrain.mockingjay.task import generate_masked_acoustic_model_data
    from upstream.baseline.preprocessor import get_preprocessor
    from upstream.mockingjay.model import TransformerConfig

    feature = {"feat_type": "mel", "log": True, "delta": 0, "cmvn": True}
    audio = {"target_level": -25, "win_ms": 25, "hop_ms": 10, "n_freq": 201, "n_mels": 80, "n_mfcc": 13,
             "input": {**feature, "channel": 0}, "target": {**feature, "channel": 1}}
    extracter, input_dim, output_dim = get_preprocessor(audio)
    transformer = {"hidden_size": DIM, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
                   "intermediate_size": FFN, "hidden_act": "gelu", "hidden_dropout_prob": DROPOUT,
                   "attention_probs_dropout_prob": DROPOUT, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
                   "share_layer": False, "pre_layer_norm": False}
    task = {"loss": "L1", "sequence_length": 1500, "position_encoding_size": DIM, "mask_proportion": 0.15,
            "mask_consecutive_min": 7, "mask_consecutive_max": 7, "mask_allow_overlap": True, "mask_bucket_ratio": 1.5,
            "mask_frequency": 0.2, "noise_proportion": 0.15}
    config = TransformerConfig(transformer)
    config.loss = "L1"
    model = TransformerForMaskedAcousticModel(config, input_dim, output_dim=output_dim).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-4)

    def step(waveform, lengths):
        valid = torch.arange(waveform.shape[1]) < lengths[:, None]
        rms = (waveform.pow(2).sum(1) / lengths).sqrt()  # OnlineAcousticDataset: each clip to -25 dB, then padded
        waveform = waveform * (10 ** (-25 / 20) / (rms + 1e-10))[:, None] * valid
        features = extracter(waveform.unsqueeze(1))
        spec_masked, pos_enc, mask_label, attn_mask, spec_target = generate_masked_acoustic_model_data(features, task)
        pos_enc = pos_enc.expand(spec_masked.size(0), *pos_enc.size())
        loss, _ = model(spec_masked, pos_enc, mask_label, attn_mask, spec_target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    return step


def main() -> None:
    side, path, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = np.load(path)
    batches = [(torch.from_numpy(data[f"wave{b}"]), torch.from_numpy(data[f"len{b}"])) for b in range(steps)]
    step = multissl_step() if side == "multissl" else s3prl_step()
    step(*batches[0])  # warm-up
    started, cpu_started = time.perf_counter(), time.process_time()
    for waveform, lengths in batches:
        step(waveform, lengths)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    audio = float(sum(int(lengths.sum()) for _, lengths in batches) / 16000)
    if sys.argv[5:] == ["profile"]:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as profiler:
            for waveform, lengths in batches:
                step(waveform, lengths)
        print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=30))
    print(json.dumps({"audio_seconds": audio, "seconds": seconds, "cpu_seconds": cpu_seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
