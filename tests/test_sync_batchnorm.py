"""A whole method step in two gloo processes, each with half of a global batch, matches one process with
all of it once BatchNorm is synchronised (and does not without)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from multissl.engine.sync_batchnorm import GlobalBatchNorm, GlobalBatchNormPlugin, convert_batchnorm, revert_batchnorm

sys.path.insert(0, str(Path(__file__).parent / "objectives"))
import ddp_harness  # noqa: E402


@pytest.fixture(scope="module")
def per_rank(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("method_step")
    ddp_harness.launch(ddp_harness.method_worker, out_dir, str(out_dir))
    return [torch.load(out_dir / f"rank{rank}.pt") for rank in range(ddp_harness.WORLD_SIZE)]


@pytest.mark.parametrize("split", sorted(ddp_harness.SPLITS))
@pytest.mark.parametrize("name", ddp_harness.METHODS)
def test_a_method_step_in_two_processes_matches_one(per_rank, name, split):
    single = ddp_harness.method_step(name, slice(None), sync_batchnorm=True)
    assert any("running_mean" in key for key in single["running_means"])
    for rank, results in enumerate(per_rank):
        result = results[name, split, True]
        close(result["loss"], single["loss"], f"loss on rank {rank}")
        assert result["grads"].keys() == single["grads"].keys()
        for key, grad in single["grads"].items():
            close(result["grads"][key], grad, f"grad {key} on rank {rank}")
        for key, mean in single["running_means"].items():
            close(result["running_means"][key], mean, f"{key} on rank {rank}")


@pytest.mark.parametrize("name", ddp_harness.METHODS)
def test_without_synchronisation_the_step_differs(per_rank, name):
    single = ddp_harness.method_step(name, slice(None), sync_batchnorm=False)
    assert not torch.allclose(per_rank[0][name, "equal", False]["loss"], single["loss"], atol=1e-5)


def test_conversion_keeps_weights_and_state_dict_keys():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Sequential(nn.BatchNorm1d(4)))
    model(torch.randn(8, 3))  # running statistics move away from their initial values
    before = {k: v.clone() for k, v in model.state_dict().items()}
    converted = convert_batchnorm(model)
    assert sum(isinstance(m, GlobalBatchNorm) for m in converted.modules()) == 2
    assert converted.state_dict().keys() == before.keys()
    for key, value in converted.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert [type(m) for m in revert_batchnorm(converted).modules()][1:] == [nn.Linear, nn.BatchNorm1d, nn.Sequential, nn.BatchNorm1d]


def test_in_one_process_it_is_plain_batchnorm():
    torch.manual_seed(0)
    plain = nn.BatchNorm1d(4)
    synced = convert_batchnorm(nn.Sequential(nn.BatchNorm1d(4)))[0]
    x = torch.randn(8, 4)
    torch.testing.assert_close(synced(x), plain(x))
    torch.testing.assert_close(synced.running_var, plain.running_var)


@pytest.mark.parametrize("sync", [True, False])
def test_the_trainer_option_reaches_lightning(tmp_path, sync):
    from multissl import recipe as recipes
    from multissl.engine.trainer import build_trainer
    from multissl.plugins import registry

    recipe = recipes.resolve(
        {"modality": "vectors", "data": {"source": "wine"}, "method": "simclr", "trainer": {"sync_batchnorm": sync}}, registry()
    )
    trainer = build_trainer(recipe, tmp_path, has_validation=False, callbacks=[])
    layer_sync = trainer._accelerator_connector._layer_sync
    assert isinstance(layer_sync, GlobalBatchNormPlugin) if sync else layer_sync is None
    assert recipes.TrainerOptions().sync_batchnorm is True


def close(actual, expected, what):
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-4, msg=lambda detail: f"{what}: {detail}")
