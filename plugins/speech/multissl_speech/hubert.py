"""HuBERT: masked prediction of hidden units (Hsu et al. 2021; fairseq ``examples/hubert``), on a
``transformers`` ``HubertModel`` so a trained encoder exports with ``save_pretrained``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits
from torch import Tensor, nn

from multissl.errors import ComponentImportError, InvalidDataError, RecipeError
from multissl.methods.base import Method
from multissl.objectives.masked_cluster_prediction import MaskedClusterPrediction
from multissl.targets.kmeans_targets import KMeansTargets
from multissl.views.span_mask import SpanMask
from multissl_speech.features import FeatureConfig, FeatureExtractor
from multissl_speech.hubert_mask import FairseqSpanMask
from multissl_speech.pooling import masked_mean

try:
    from transformers import HubertConfig, HubertModel
except ImportError as error:
    raise ComponentImportError(
        "HuBERT is built on transformers' HubertModel, which is not installed: pip install 'multissl-speech[hubert]'."
    ) from error


@dataclasses.dataclass
class HuBERTConfig:
    """HuBERT options. Masking, logits, loss and targets are HuBERT Base's (REFERENCES.md, HuBERT); the encoder
    defaults to a CPU-sized 3 x 192 with 64-channel convolutions of Base's kernels and strides (Base: 12 x 768,
    512 channels, positional conv 128/16: docs/methods/hubert.md gives the keys). ``teacher`` switches to
    iteration 2, whose targets are ``teacher_layer`` (Base: 6 of 12)."""

    hidden_size: int = 192
    num_layers: int = 3
    num_heads: int = 4
    ffn_dim: int = 768
    conv_dim: list[int] = dataclasses.field(default_factory=lambda: [64] * 7)
    conv_kernel: list[int] = dataclasses.field(default_factory=lambda: [10, 3, 3, 3, 3, 2, 2])
    conv_stride: list[int] = dataclasses.field(default_factory=lambda: [5, 2, 2, 2, 2, 2, 2])
    conv_pos_kernel: int = 32
    conv_pos_groups: int = 4
    dropout: float = 0.1
    stable_layer_norm: bool = False
    """Pre-LN Transformer (``transformers``' ``do_stable_layer_norm``, HuBERT Large's); False: post-LN, Base's."""
    layer_drop: float = 0.05
    """Probability of skipping each Transformer layer in a training step (fairseq ``encoder_layerdrop``, Base 0.05)."""
    feature_grad_mult: float = 0.1
    """Gradient scale from the Transformer into the convolutional feature encoder (fairseq, Base 0.1)."""
    mask_prob: float = 0.8
    mask_length: int = 10
    min_masks: int = 2
    """At least this many spans per clip (fairseq ``compute_mask_indices`` as HuBERT calls it: 2)."""
    mask_sampling: str = "fairseq"
    """``fairseq``: span count rounded at random, distinct starts (:class:`FairseqSpanMask`); ``uniform``: the
    core ``SpanMask`` (count rounded to nearest, starts drawn with replacement)."""
    final_dim: int = 256
    temperature: float = 0.1
    feature_penalty: float = 10.0
    unmasked_weight: float = 0.0
    """Weight of the cross-entropy on unmasked frames (fairseq ``pred_nomask_weight``; Base: 0, masked frames only)."""
    n_clusters: int = 100
    teacher: str | None = None
    """Iteration 2: a ``save_pretrained`` directory or a multissl run directory of the iteration-1 HuBERT."""
    teacher_layer: int = 2
    kmeans_fit_fraction: float = 0.1
    kmeans_n_init: int = 3
    kmeans_batch_size: int = 10000
    kmeans_max_no_improvement: int = 100
    kmeans_threads: int | None = 1
    """OpenMP threads of the k-means fit (None: scikit-learn's default). One thread: MiniBatchKMeans synchronises
    its threads every step, which cost 20x on a shared 2-core machine for codebooks of this size."""
    embed_layer: int | None = None
    """Hidden state pooled by ``embed`` (0 = after the feature projection); None: the last."""

    def __post_init__(self) -> None:
        if self.mask_sampling not in MASK_SAMPLINGS:
            raise RecipeError(f"HuBERT mask_sampling must be one of {MASK_SAMPLINGS}, got {self.mask_sampling!r}.")
        if not 0.0 <= self.layer_drop < 1.0 or self.feature_grad_mult < 0:
            raise RecipeError(f"HuBERT layer_drop must lie in [0, 1) and feature_grad_mult be >= 0, got "
                              f"{self.layer_drop} and {self.feature_grad_mult}.")


MASK_SAMPLINGS = ("fairseq", "uniform")


EIGHT_KHZ_FRONT_END = {"conv_kernel": [10, 3, 3, 3, 2, 2], "conv_stride": [5, 2, 2, 2, 2, 2]}
"""Base's front end for 8 kHz audio (e.g. FSDD at its native rate): one (2, 2) layer fewer, so the frames stay
20 ms (stride 160) with a 25 ms receptive field (200 samples), aligned with the MFCC targets' hop and window."""

MFCC_TARGETS = {"kind": "mfcc", "n_mels": 23, "n_mfcc": 13, "deltas": 2, "cmvn": "none", "target_db": None}
"""Iteration-1 features: 13 MFCC + deltas + delta-deltas (39), Kaldi settings, at 100 Hz (fairseq ``dump_mfcc_feature``)."""


class HuBERT(Method):
    """``L = Σ_{t∈M} CE_t / |M| + w_u · Σ_{t∈U} CE_t / |U| + λ · mean(c²)`` with
    ``CE_t = −log softmax_k(cos(P h_t, e_k) / τ)[z_t]``, ``U`` the unmasked frames (``unmasked_weight`` w_u,
    Base: 0): the encoder sees
    the waveform with the frames in ``M`` (span masking, ``mask_prob`` 0.8, span 10) replaced by a learned
    embedding; ``P`` projects to ``final_dim``, ``e_k`` are learned code embeddings, ``z_t`` the k-means code of
    frame ``t`` (MFCC in iteration 1, a layer of the iteration-1 model in iteration 2), ``c`` the convolutional
    features (feature penalty, λ = 10). The codebook is fitted once on the training data when training starts
    (core ``KMeansTargets``) and saved with the weights; codes are assigned on the fly, so crops stay aligned.
    """

    Config = HuBERTConfig
    # fairseq HuBERT Base: Adam lr 5e-4, betas (0.9, 0.98), eps 1e-6, 8 % warm-up (32k of 400k updates) then
    # linear decay, weight decay 0.01
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 5e-4, "betas": (0.9, 0.98), "eps": 1e-6, "warmup_fraction": 0.08,
                                                    "schedule": "linear", "weight_decay": 0.01}

    def __init__(self, config: HuBERTConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if not (len(config.conv_dim) == len(config.conv_kernel) == len(config.conv_stride)):
            raise RecipeError("HuBERT conv_dim, conv_kernel and conv_stride must have the same length.")
        self.model = HubertModel(hubert_config(config))
        sample_rate = int(input_spec.get("sample_rate", 0))
        self.mfcc = FeatureExtractor(FeatureConfig(sample_rate=sample_rate, **MFCC_TARGETS)) if config.teacher is None else None
        self.label_step = self._label_step(config, sample_rate)
        self.project = nn.Linear(config.hidden_size, config.final_dim)
        self.code_embeddings = nn.Parameter(torch.randn(config.n_clusters, config.final_dim) * config.final_dim ** -0.5)
        self.span_mask = (FairseqSpanMask(ratio=config.mask_prob, span=config.mask_length, min_spans=config.min_masks)
                          if config.mask_sampling == "fairseq"
                          else SpanMask(ratio=config.mask_prob, span=config.mask_length, min_spans=config.min_masks))
        self.objective = MaskedClusterPrediction(unmasked_weight=config.unmasked_weight)
        self.register_buffer("codebook", torch.zeros(0, 0))
        self._kmeans: KMeansTargets | None = None
        self._teacher: HubertModel | None = None
        self._conv_features: Tensor | None = None
        self.model.feature_extractor.register_forward_hook(self._keep_conv_features)

    # -- targets ------------------------------------------------------------------------------
    def _label_step(self, config: HuBERTConfig, sample_rate: int) -> int:
        """MFCC frames per model frame; the model's stride and receptive field must match whole MFCC frames."""
        if config.teacher is not None:
            return 1
        stride = math.prod(config.conv_stride)
        field = 1
        for kernel, step in zip(reversed(config.conv_kernel), reversed(config.conv_stride)):
            field = (field - 1) * step + kernel
        mfcc = FeatureConfig(sample_rate=sample_rate, **MFCC_TARGETS)
        if stride % mfcc.hop_length or field != mfcc.win_length:
            raise RecipeError(
                f"HuBERT's frames (stride {stride}, receptive field {field} samples at {sample_rate} Hz) do not line up "
                f"with the MFCC target frames (hop {mfcc.hop_length}, window {mfcc.win_length}); use 16 kHz audio and "
                "conv kernels/strides whose stride is a multiple of the hop and whose receptive field is the window."
            )
        return stride // mfcc.hop_length

    def _target_features(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Per-frame target features at the model's frame rate and the valid frames: MFCC every ``label_step``-th
        frame, or the teacher's ``teacher_layer``. A frame-count mismatch is an error, never a crop."""
        waveform, num_samples = _waveform(batch)
        frames = self.model._get_feat_extract_output_lengths(num_samples)
        n_model = int(self.model._get_feat_extract_output_lengths(torch.tensor(waveform.shape[1])))
        with torch.no_grad():
            if self.config.teacher is None:
                features, _ = self.mfcc(waveform, num_samples)
                features = features[:, :: self.label_step]
            else:
                teacher = self._teacher_model()
                hidden = teacher(waveform, attention_mask=_sample_mask(waveform, num_samples),
                                 output_hidden_states=True).hidden_states
                if not 0 <= self.config.teacher_layer < len(hidden):
                    raise RecipeError(f"teacher_layer {self.config.teacher_layer} is not in [0, {len(hidden) - 1}].")
                features = hidden[self.config.teacher_layer]
        if features.shape[1] != n_model:
            raise InvalidDataError(
                f"HuBERT label rate mismatch: {features.shape[1]} target frames for {n_model} model frames "
                f"({waveform.shape[1]} samples). The target frame rate must equal the model's frame rate."
            )
        return features, torch.arange(n_model, device=waveform.device) < frames[:, None]

    def _teacher_model(self) -> HubertModel:
        if self._teacher is None:
            self._teacher = load_hubert(self.config.teacher).eval().requires_grad_(False)
        return self._teacher.to(self.device)

    def fit_codebook(self, batches) -> None:
        """Fit the k-means codebook on the target features of ``batches`` (an iterable of speech batches)."""
        def rows():
            for batch in batches:
                batch = {k: v.to(self.device) for k, v in batch.items()}
                features, valid = self._target_features(batch)
                yield features[valid].float().cpu().numpy()

        c = self.config
        kmeans = KMeansTargets(c.n_clusters, batch_size=c.kmeans_batch_size, n_init=c.kmeans_n_init,
                               max_no_improvement=c.kmeans_max_no_improvement, fit_fraction=c.kmeans_fit_fraction,
                               seed=self.seed)
        with threadpool_limits(limits=c.kmeans_threads, user_api="openmp"):
            kmeans.fit(rows())
        self._set_codebook(torch.from_numpy(kmeans.cluster_centers))

    def _set_codebook(self, centers: Tensor) -> None:
        self.codebook = centers.to(self.codebook.device, torch.float32)
        self._kmeans = None

    def _codes(self, features: Tensor) -> Tensor:
        if self.codebook.numel() == 0:
            raise InvalidDataError("HuBERT has no k-means codebook yet: train it (the codebook is fitted when training starts).")
        if self._kmeans is None:
            self._kmeans = KMeansTargets(self.config.n_clusters)
            self._kmeans.load_state_dict({**self._kmeans_settings(), "cluster_centers": self.codebook.cpu()})
        return self._kmeans.predict(features)

    def _kmeans_settings(self) -> dict[str, Any]:
        c = self.config
        return {"n_clusters": c.n_clusters, "batch_size": c.kmeans_batch_size, "n_init": c.kmeans_n_init,
                "max_no_improvement": c.kmeans_max_no_improvement, "max_iter": 100, "fit_fraction": c.kmeans_fit_fraction,
                "min_fit_samples": None, "seed": self.seed}

    def on_train_start(self) -> None:
        """Fit the codebook once (rank 0, then broadcast); a resumed run keeps the one in its checkpoint."""
        if self.codebook.numel() == 0:
            centers = None
            if self.trainer.is_global_zero:
                self.fit_codebook(self.trainer.train_dataloader)
                centers = self.codebook.cpu()
            centers = self.trainer.strategy.broadcast(centers, src=0)
            self._set_codebook(centers.to(self.device))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + "codebook"
        if key in state_dict:  # the codebook's shape is known only once fitted
            self.codebook = torch.empty_like(state_dict[key], device=self.codebook.device)
            self._kmeans = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        """What pickling sends (``ddp_spawn`` pickles the method to its processes). torch pickles a module with a
        parametrization (``HubertModel``'s weight-normalised positional convolution) only through its
        ``state_dict``, so the encoder travels as its configuration, weights and mode and is rebuilt on arrival
        (:meth:`__setstate__`); the teacher is loaded again from its path when first needed."""
        state = super().__getstate__()
        state["_modules"] = {**state["_modules"], "model": None}  # the slot keeps the modules' order
        state["_teacher"] = None
        state["_encoder_parts"] = (self.model.config, self.model.state_dict(), self.model.training)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        config, weights, training = state.pop("_encoder_parts")
        super().__setstate__(state)
        model = HubertModel(config)
        model.load_state_dict(weights)
        self._modules["model"] = model.train(training)
        model.feature_extractor.register_forward_hook(self._keep_conv_features)

    # -- training -----------------------------------------------------------------------------
    def _keep_conv_features(self, module, inputs, output) -> Tensor:
        """The convolutional features, their gradient scaled by ``feature_grad_mult`` in training (fairseq
        ``GradMultiply``, before the feature penalty reads them)."""
        if self.training and self.config.feature_grad_mult != 1.0:
            output = GradMultiply.apply(output, self.config.feature_grad_mult)
        self._conv_features = output
        return output

    def ssl_loss(self, batch: dict[str, Tensor]):
        waveform, num_samples = _waveform(batch)
        targets, valid = self._target_features(batch)
        codes = self._codes(targets)
        mask = self.span_mask(torch.zeros(valid.shape, device=valid.device), self.generator(valid.device), valid=valid).mask
        hidden = self.model(waveform, attention_mask=_sample_mask(waveform, num_samples), mask_time_indices=mask).last_hidden_state
        logits = F.normalize(self.project(hidden), dim=-1) @ F.normalize(self.code_embeddings, dim=-1).T / self.config.temperature
        loss, logs = self.objective(logits, codes, mask, valid)
        penalty = self._conv_features.float().pow(2).mean()
        logs["feature_penalty"] = penalty.detach()
        return loss + self.config.feature_penalty * penalty, logs

    # -- representations ----------------------------------------------------------------------
    def _hidden_states(self, batch: dict[str, Tensor]) -> tuple[tuple[Tensor, ...], Tensor]:
        waveform, num_samples = _waveform(batch)
        out = self.model(waveform, attention_mask=_sample_mask(waveform, num_samples), output_hidden_states=True)
        frames = self.model._get_feat_extract_output_lengths(num_samples)
        valid = torch.arange(out.last_hidden_state.shape[1], device=waveform.device) < frames[:, None]
        return out.hidden_states, valid

    def embed(self, batch: dict[str, Tensor]) -> Tensor:
        hidden, valid = self._hidden_states(batch)
        layer = -1 if self.config.embed_layer is None else self.config.embed_layer
        return masked_mean(hidden[layer], valid)

    def layer_embeddings(self, batch: dict[str, Tensor]) -> Tensor:
        """``(N, L + 1, D)``: the mean over real frames of every hidden state."""
        hidden, valid = self._hidden_states(batch)
        return torch.stack([masked_mean(h, valid) for h in hidden], dim=1)


class GradMultiply(torch.autograd.Function):
    """Identity forward, gradient times ``scale`` backward (fairseq ``GradMultiply``)."""

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:
        return grad * ctx.scale, None


def hubert_config(config: HuBERTConfig) -> HubertConfig:
    """The ``transformers`` configuration of the encoder (per-frame LayerNorm in the conv stack, so that padding
    does not leak into real frames; layer drop acts in training only, so every hidden state is there in ``embed``)."""
    return HubertConfig(
        hidden_size=config.hidden_size, num_hidden_layers=config.num_layers, num_attention_heads=config.num_heads,
        intermediate_size=config.ffn_dim, conv_dim=tuple(config.conv_dim), conv_kernel=tuple(config.conv_kernel),
        conv_stride=tuple(config.conv_stride), num_conv_pos_embeddings=config.conv_pos_kernel,
        num_conv_pos_embedding_groups=config.conv_pos_groups, feat_extract_norm="layer", do_stable_layer_norm=config.stable_layer_norm,
        hidden_dropout=config.dropout, attention_dropout=config.dropout, activation_dropout=0.0,
        feat_proj_dropout=config.dropout, layerdrop=config.layer_drop, mask_time_prob=config.mask_prob,
        mask_time_length=config.mask_length, apply_spec_augment=True,
    )


def load_hubert(path: str | Path) -> HubertModel:
    """A ``HubertModel`` from a ``save_pretrained`` directory or from a multissl run directory of ``hubert``."""
    path = Path(path)
    if (path / "config.json").is_file():
        return HubertModel.from_pretrained(path)
    if (path / "run.json").is_file():
        import multissl

        run = multissl.load(path)
        if not isinstance(run.method, HuBERT):
            raise RecipeError(f"{path} holds a {run.recipe.method!r} run; the HuBERT teacher must be a 'hubert' run.")
        return run.method.model
    raise RecipeError(f"HuBERT teacher {str(path)!r} is neither a save_pretrained directory nor a multissl run directory.")


def export_hubert(run_or_method: Any, path: str | Path) -> Path:
    """Write the HuBERT encoder of a run (or method) as a ``transformers`` model directory: the model
    (``HubertModel.from_pretrained(path)``) and the ``Wav2Vec2FeatureExtractor`` that prepares its input
    (``AutoFeatureExtractor.from_pretrained(path)``): the run's sample rate, zero padding with an attention
    mask, and no waveform normalisation (the encoder reads the waveform as loaded, as fairseq's HuBERT Base)."""
    from transformers import Wav2Vec2FeatureExtractor

    method = getattr(run_or_method, "method", run_or_method)
    if not isinstance(method, HuBERT):
        raise InvalidDataError(f"export_hubert needs a 'hubert' run, got {type(method).__name__}.")
    method.model.save_pretrained(path)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=int(method.input_spec["sample_rate"]), padding_value=0.0,
                             do_normalize=False, return_attention_mask=True).save_pretrained(path)
    return Path(path)


def _waveform(batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
    if "waveform" not in batch:
        raise InvalidDataError("HuBERT reads waveforms; turn data.feature_cache off for this method.")
    return batch["waveform"], batch["num_samples"]


def _sample_mask(waveform: Tensor, num_samples: Tensor) -> Tensor:
    return (torch.arange(waveform.shape[1], device=waveform.device) < num_samples[:, None]).long()
