"""T-JEPA and SCARF end to end on small tables: pretrain, save, load, identical embeddings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from multissl_tabular.masks import FeatureMaskOptions
from multissl_tabular.modality import Tabular
from multissl_tabular.tjepa import TJEPA, TJEPAConfig

import multissl
from multissl.errors import RecipeError

SMALL = {
    "tjepa": {"dim": 16, "num_layers": 2, "predictor_dim": 8, "predictor_layers": 1, "predictor_ffn_dim": 16},
    "scarf": {"dim": 16, "num_layers": 1, "ffn_dim": 32, "projector_dims": [32, 16]},
}
QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


def pretrain(method: str, data, **overrides):
    return multissl.pretrain("tabular", data, method, max_epochs=2, batch_size=16, **SMALL[method], **QUIET, **overrides)


@pytest.mark.parametrize("method", ["tjepa", "scarf"])
def test_pretrain_save_load_embed_identically(method, tmp_path):
    frame = Tabular().example()
    run = pretrain(method, frame, **{"data.label_column": "label"})
    embeddings = run.embed(frame)
    assert embeddings.shape == (48, 16) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    loaded = multissl.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.embed(frame), embeddings)
    unseen = frame.assign(city=["Atlantis"] * len(frame))  # categories never seen in training
    assert np.isfinite(loaded.embed(unseen)).all()


@pytest.mark.parametrize("method", ["tjepa", "scarf"])
@pytest.mark.parametrize("columns", [["city", "member"], ["age", "income"]], ids=["zero-numeric", "zero-categorical"])
def test_tables_with_one_kind_of_column_pretrain(method, columns):
    frame = Tabular().example()[columns]
    run = pretrain(method, frame)
    assert np.isfinite(run.embed(frame)).all()


def _tiny_tjepa(**options) -> tuple[TJEPA, Tabular]:
    modality = Tabular()
    modality.fit(modality.load(Tabular().example().drop(columns="label")))
    return TJEPA(TJEPAConfig(**{**SMALL["tjepa"], **options}), modality.input_spec()), modality


def test_reg_tokens_are_always_in_the_context():
    method, modality = _tiny_tjepa(n_reg=2)
    batch = modality.collate(list(modality.dataset(modality.load(Tabular().example().drop(columns="label")))))
    kept = []
    method.context_encoder.register_forward_pre_hook(lambda module, args, kwargs: kept.append(kwargs["keep"]), with_kwargs=True)
    for _ in range(5):
        method.ssl_loss(batch)
    for keep in kept:
        assert (keep[:, :2] == torch.arange(2)).all() and (keep[:, 2:] >= 2).all()


def test_target_encoder_follows_the_context_encoder_by_ema():
    """With momentum 0 the EMA step copies the student, so after training teacher == student."""
    run = pretrain("tjepa", Tabular().example(), momentum_start=0.0, momentum_end=0.0)
    student = dict(run.method.context_encoder.named_parameters())
    teacher = dict(run.method.target_encoder.teacher.named_parameters())
    assert not any(p.requires_grad for p in teacher.values())
    for name, parameter in student.items():
        torch.testing.assert_close(teacher[name], parameter, msg=name)


def test_configs_share_the_backbone_options_and_keep_their_own_defaults():
    from multissl_tabular.row_encoder import RowEncoder, RowEncoderConfig
    from multissl_tabular.scarf import SCARFConfig

    tjepa, scarf = TJEPAConfig(), SCARFConfig()
    assert isinstance(tjepa, RowEncoderConfig) and isinstance(scarf, RowEncoderConfig)
    # T-JEPA keeps the reference's layer shape (FFN 64, dropout 0.002) at a laptop depth (2 + 2) with unit-scale
    # value weights; SCARF the small encoder with every weight at init_std
    assert (tjepa.num_layers, tjepa.predictor_layers, tjepa.ffn_dim, tjepa.dropout) == (2, 2, 64, 0.002)
    assert tjepa.value_init_std == 1.0 and scarf.value_init_std is None
    assert (scarf.num_layers, scarf.ffn_dim, scarf.dropout) == (3, 128, 0.0)
    assert tjepa.mask_options() == dataclasses.asdict(FeatureMaskOptions())  # the reference's mask ratios
    with pytest.raises(RecipeError, match="mask ratios need"):
        TJEPAConfig(context_min=0.5, context_max=0.1)  # checked when the recipe is read
    encoder = RowEncoder.from_config(
        SCARFConfig(dim=8, num_layers=1, ffn_dim=16, n_reg=2), {"n_numeric": 2, "categorical_cardinalities": [4]}
    )
    assert encoder.n_features == 3 and encoder.n_reg == 2 and encoder.output_dim == 8
