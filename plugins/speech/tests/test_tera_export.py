"""TERA's s3prl checkpoint: s3prl's Transformer computed from the checkpoint alone reproduces the encoder."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from multissl_speech.modality import Speech
from multissl_speech.tera import TERA, TERAConfig
from multissl_speech.tera_export import export_tera_s3prl

import multissl
from multissl.errors import InvalidDataError
from multissl.export import export

SPEC = {"input_dim": 80, "sample_rate": 16000,
        "features": {"kind": "logmel", "n_mels": 80, "cmvn": "utterance", "target_db": -25.0}}


def _layer_norm(x, state, prefix, eps):
    """s3prl's TransformerLayerNorm (TF style: ε inside the square root)."""
    u = x.mean(-1, keepdim=True)
    s = (x - u).pow(2).mean(-1, keepdim=True)
    return state[prefix + ".weight"] * (x - u) / torch.sqrt(s + eps) + state[prefix + ".bias"]


def _linear(x, state, prefix):
    return x @ state[prefix + ".weight"].T + state[prefix + ".bias"]


def s3prl_forward(checkpoint: dict, features: torch.Tensor, lengths: list[int]) -> torch.Tensor:
    """s3prl ``TransformerModel.forward`` (``upstream/mockingjay/model.py``) in eval mode, written from its
    equations: input projection + sinusoidal positions + LayerNorm, then post-LN BERT layers with an additive
    −10000 attention mask on padded keys."""
    state, config = checkpoint["Transformer"], checkpoint["Config"]["transformer"]
    eps, heads, d = config["layer_norm_eps"], config["num_attention_heads"], config["hidden_size"]
    n, t, _ = features.shape
    position = torch.arange(t, dtype=torch.float64)[:, None]
    angle = position / torch.pow(10000.0, 2 * (torch.arange(d) // 2) / d)
    table = torch.where(torch.arange(d) % 2 == 0, torch.sin(angle), torch.cos(angle)).float()
    hidden = _layer_norm(_linear(features, state, "input_representations.spec_transform") + table, state,
                         "input_representations.LayerNorm", eps)
    mask = (1.0 - (torch.arange(t) < torch.tensor(lengths)[:, None]).float())[:, None, None, :] * -10000.0
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        split = lambda x: x.view(n, t, heads, d // heads).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = (split(_linear(hidden, state, p + f"attention.self.{name}")) for name in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads) + mask, dim=-1)
        context = (probs @ v).permute(0, 2, 1, 3).reshape(n, t, d)
        attention = _layer_norm(_linear(context, state, p + "attention.output.dense") + hidden, state,
                                p + "attention.output.LayerNorm", eps)
        inner = torch.nn.functional.gelu(_linear(attention, state, p + "intermediate.dense"))
        hidden = _layer_norm(_linear(inner, state, p + "output.dense") + attention, state, p + "output.LayerNorm", eps)
    return hidden


def test_checkpoint_reproduces_the_encoder_under_s3prl_names(tiny_tera, tmp_path):
    torch.manual_seed(0)
    method = TERA(TERAConfig(**tiny_tera), SPEC).eval()
    path = export_tera_s3prl(method, tmp_path / "tera.ckpt")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    assert set(checkpoint) == {"Transformer", "SpecHead", "Config"}
    assert set(checkpoint["Config"]) == {"transformer", "task", "audio"}
    assert checkpoint["Config"]["audio"]["input"] == {"feat_type": "mel", "channel": 0, "log": True, "delta": 0, "cmvn": True}
    features, lengths = torch.randn(3, 40, 80), [40, 25, 9]
    valid = torch.arange(40) < torch.tensor(lengths)[:, None]
    with torch.no_grad():
        ours = method.encoder(features, padding_mask=~valid)
    theirs = s3prl_forward(checkpoint, features, lengths)
    torch.testing.assert_close(theirs[valid], ours[valid], atol=1e-4, rtol=1e-4)
    head = checkpoint["SpecHead"]
    assert head["output.weight"].shape == (80, tiny_tera["d_model"]) and "LayerNorm.weight" in head


def test_runs_s3prl_cannot_express_are_refused(tiny_tera, tmp_path):
    with pytest.raises(InvalidDataError, match="input_norm"):
        export_tera_s3prl(TERA(TERAConfig(**tiny_tera, input_norm=False), SPEC), tmp_path / "a.ckpt")
    global_cmvn = {**SPEC, "features": {**SPEC["features"], "cmvn": "none"}}
    with pytest.raises(InvalidDataError, match="per-utterance CMVN"):
        export_tera_s3prl(TERA(TERAConfig(**tiny_tera), global_cmvn), tmp_path / "b.ckpt")



def test_core_torchscript_export_reproduces_embed_front_end_included(tiny_tera, tmp_path):
    """``multissl export --format torchscript``: waveforms in, embeddings out (the log-mel front end is tensor ops);
    the encoder runs its padded path while traced, so other batch sizes and lengths give ``Run.embed``."""
    example = Speech().example()
    clips = {"audio": example["audio"], "sample_rate": 16000}
    run = multissl.pretrain("speech", clips, method="tera", max_epochs=1, batch_size=8, **tiny_tera,
                            **{"trainer.enable_progress_bar": False})
    path = export(run, tmp_path / "tera.pt", "torchscript")  # raises unless it reproduces embed on another batch
    assert json.loads(path.with_suffix(".json").read_text())["inputs"].keys() >= {"waveform", "num_samples"}
    batch = Speech().collate([{"waveform": torch.from_numpy(a)} for a in clips["audio"][:5]])
    traced = torch.jit.load(str(path))
    with torch.no_grad():
        exported = traced(batch["waveform"], batch["num_samples"]).numpy()
    np.testing.assert_allclose(exported,
                               run.embed({"audio": clips["audio"][:5], "sample_rate": 16000}), atol=1e-5)
