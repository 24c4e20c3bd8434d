"""A TERA run as a checkpoint that s3prl's TERA upstream reads (``s3prl/upstream/mockingjay``: ``torch.load`` of a
dict with ``Transformer`` and ``SpecHead`` state dicts and a ``Config`` with ``transformer``, ``task`` and
``audio`` blocks, as s3prl's pretraining writes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from multissl.errors import InvalidDataError


def s3prl_transformer_state(encoder: nn.Module) -> dict[str, Tensor]:
    """The encoder's weights under s3prl's ``TransformerModel`` names (BERT's): the input projection and its
    LayerNorm, then per layer the query/key/value projections (PyTorch packs them in ``in_proj``), the attention
    output with its LayerNorm, the feed-forward ``intermediate`` and ``output`` with theirs."""
    state = {
        "input_representations.spec_transform.weight": encoder.input_projection.weight,
        "input_representations.spec_transform.bias": encoder.input_projection.bias,
        "input_representations.LayerNorm.weight": encoder.input_norm.weight,
        "input_representations.LayerNorm.bias": encoder.input_norm.bias,
    }
    for i, layer in enumerate(encoder.layers):
        prefix = f"encoder.layer.{i}."
        weights = layer.self_attn.in_proj_weight.chunk(3)
        biases = layer.self_attn.in_proj_bias.chunk(3)
        for name, weight, bias in zip(("query", "key", "value"), weights, biases):
            state[f"{prefix}attention.self.{name}.weight"] = weight
            state[f"{prefix}attention.self.{name}.bias"] = bias
        for target, module in (("attention.output.dense", layer.self_attn.out_proj),
                               ("attention.output.LayerNorm", layer.norm1), ("intermediate.dense", layer.linear1),
                               ("output.dense", layer.linear2), ("output.LayerNorm", layer.norm2)):
            state[f"{prefix}{target}.weight"] = module.weight
            state[f"{prefix}{target}.bias"] = module.bias
    return {k: v.detach().cpu().clone().contiguous() for k, v in state.items()}


def export_tera_s3prl(run_or_method: Any, path: str | Path) -> Path:
    """Write ``path`` (a ``.ckpt`` file) for s3prl's ``tera_local`` / ``mockingjay_local`` upstream
    (``ckpt=path``): the encoder and the reconstruction head under s3prl's names, and the configuration of
    the model and of s3prl's own log-mel front end (``audio``) closest to the run's.

    s3prl computes the log-mel itself, with centred frames, per-utterance CMVN and ``log(m + 1e-10)``, so its
    features differ slightly from the run's (frames not centred, ``log(max(m, 1e-10))``); a run trained with
    global CMVN, other features or without ``input_norm`` has no s3prl equivalent and is refused."""
    from multissl_speech.tera import TERA

    method = getattr(run_or_method, "method", run_or_method)
    if not isinstance(method, TERA):
        raise InvalidDataError(f"export_tera_s3prl needs a 'tera' run, got {type(method).__name__}.")
    config, features = method.config, method.frontend.extractor.config
    if not config.input_norm:
        raise InvalidDataError("s3prl's TERA always applies a LayerNorm to the projected input; this run was trained "
                               "with input_norm: false, which s3prl cannot express. Retrain with input_norm: true.")
    if features.kind != "logmel" or features.cmvn != "utterance" or features.deltas or features.target_db is None:
        raise InvalidDataError(
            f"s3prl's TERA front end scales waveforms to a dB level and computes log-mel with per-utterance CMVN and "
            f"no deltas; this run used {features.kind} with cmvn={features.cmvn!r}, deltas={features.deltas}, "
            f"target_db={features.target_db}. Train with data.features: logmel, data.cmvn: utterance and a "
            "data.target_db to export for s3prl."
        )
    head = method.head
    spec_head = {"dense.weight": head[0].weight, "dense.bias": head[0].bias, "LayerNorm.weight": head[2].weight,
                 "LayerNorm.bias": head[2].bias, "output.weight": head[3].weight, "output.bias": head[3].bias}
    mel = {"feat_type": "mel", "log": True, "delta": 0, "cmvn": True}
    checkpoint = {
        "Transformer": s3prl_transformer_state(method.encoder),
        "SpecHead": {k: v.detach().cpu().clone() for k, v in spec_head.items()},
        "Config": {
            "transformer": {
                "input_dim": features.dim, "hidden_size": config.d_model, "num_hidden_layers": config.num_layers,
                "num_attention_heads": config.num_heads, "intermediate_size": config.ffn_dim, "hidden_act": "gelu",
                "hidden_dropout_prob": config.dropout, "attention_probs_dropout_prob": config.dropout,
                "initializer_range": 0.02, "layer_norm_eps": method.encoder.input_norm.eps, "share_layer": False,
                "pre_layer_norm": False,
            },
            "task": {"loss": config.loss.upper(), "sequence_length": config.max_frames,
                     "position_encoding_size": config.d_model},
            "audio": {
                "target_level": features.target_db,
                "sample_rate": features.sample_rate, "win_ms": features.win_ms, "hop_ms": features.hop_ms,
                "n_freq": features.n_fft // 2 + 1, "n_mels": features.n_mels, "n_mfcc": features.n_mfcc,
                "input": {**mel, "channel": 0}, "target": {**mel, "channel": 1},
            },
        },
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)
    return path
